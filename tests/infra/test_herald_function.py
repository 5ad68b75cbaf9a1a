"""Every Lambda function in the template has what HeraldFunction guarantees.

Read from the template, not from the stack's constructs: a function built without
infra/herald_function.py fails here.
"""

from __future__ import annotations

from typing import Any

from tests.infra.synthesized import Resources, Synthesized


def functions(synthesized: Synthesized) -> Resources:
    found = synthesized.of_type("AWS::Lambda::Function")
    assert found
    return found


def alarms(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [alarm["Properties"] for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()]


def lambda_alarms(synthesized: Synthesized, metric: str, function_id: str) -> list[dict[str, Any]]:
    return [
        alarm
        for alarm in alarms(synthesized)
        if alarm.get("Namespace") == "AWS/Lambda"
        and alarm["MetricName"] == metric
        and alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
    ]


def failure_alarms(synthesized: Synthesized, service: str) -> list[dict[str, Any]]:
    """Alarms on a function's own failure count, which Powertools tags with its service."""
    return [
        alarm
        for alarm in alarms(synthesized)
        if alarm.get("Namespace") == "Herald"
        and alarm["Dimensions"] == [{"Name": "service", "Value": service}]
    ]


def test_every_function_has_a_role_of_its_own(synthesized: Synthesized) -> None:
    role_of: dict[str, str] = {}
    for function_id, function in functions(synthesized).items():
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        role = synthesized.resources[role_id]
        assert role["Type"] == "AWS::IAM::Role", function_id
        trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]
        assert "ManagedPolicyArns" not in role["Properties"], function_id
        role_of[function_id] = role_id
    assert len(set(role_of.values())) == len(role_of), f"a role serves two functions: {role_of}"


def test_every_function_logs_to_a_log_group_of_its_own_with_retention(
    synthesized: Synthesized,
) -> None:
    log_group_of: dict[str, str] = {}
    for function_id, function in functions(synthesized).items():
        logging = function["Properties"].get("LoggingConfig", {})
        assert "LogGroup" in logging, f"{function_id}: no log group of its own (so no retention)"
        log_group_id = logging["LogGroup"]["Ref"]
        log_group = synthesized.resources[log_group_id]
        assert log_group["Type"] == "AWS::Logs::LogGroup", function_id
        assert log_group["Properties"]["RetentionInDays"] == 30, function_id
        assert log_group["DeletionPolicy"] == "Retain", function_id
        log_group_of[function_id] = log_group_id
    assert len(set(log_group_of.values())) == len(log_group_of), (
        f"a log group serves two functions: {log_group_of}"
    )


def test_every_function_has_an_error_alarm_and_a_throttle_alarm(synthesized: Synthesized) -> None:
    for function_id, function in functions(synthesized).items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        service = variables.get("POWERTOOLS_SERVICE_NAME")
        errors = lambda_alarms(synthesized, "Errors", function_id)
        # A function that fails on purpose alarms on its own count of real failures instead.
        assert len(errors) + len(failure_alarms(synthesized, service)) == 1, function_id
        assert len(lambda_alarms(synthesized, "Throttles", function_id)) == 1, function_id
