"""The media job workflow in the template: state machine, FFmpeg function, the generation
function's video steps, and their roles."""

from __future__ import annotations

import json
from typing import Any

from functions.media.adapters.ffmpeg import MediaRejected
from functions.media.domain.job_workflow_steps import JobEnded
from functions.media.workers import job_steps
from infra import media_jobs
from tests.infra.synthesized import Synthesized, as_list, flatten, statements_of_role

STEPS = [
    ("Probe", "probe"),
    ("Process", "process"),
    ("Thumbnail", "thumbnail"),
    ("Finalize", "finalize"),
]
VIDEO_STEPS = [("StartVideo", "start_video"), ("PollVideo", "poll_video")]
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
]


def ids(synthesized: Synthesized) -> dict[str, str]:
    jobs = synthesized.stack.media_jobs
    lid = synthesized.logical_id
    return {
        "function": lid(jobs.steps.function),
        "generation": synthesized.function_id("generation"),
        "state_machine": lid(jobs.state_machine),
        "role": lid(jobs.steps.role),
        "state_machine_role": lid(jobs.state_machine_role),
        "log_group": lid(jobs.steps.log_group),
        "execution_log_group": lid(jobs.execution_log_group),
        "ffmpeg_layer": lid(jobs.ffmpeg_layer),
        "dependencies_layer": lid(synthesized.stack.foundation.dependencies_layer),
    }


def definition(synthesized: Synthesized) -> dict[str, Any]:
    """The state machine's ASL, with the FFmpeg function's ARN written as `<function>` and the
    generation function's as `<generation>`."""
    found = ids(synthesized)
    names = {
        json.dumps({"Fn::GetAtt": [found[name], "Arn"]}): f"<{name}>"
        for name in ("function", "generation")
    }
    props = synthesized.resources[found["state_machine"]]["Properties"]
    parts = props["DefinitionString"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else names[json.dumps(part)] for part in parts)
    named = text.count("<function>") + text.count("<generation>")
    assert len(parts) == named * 2 + 1, "the ASL names other resources"
    asl: dict[str, Any] = json.loads(text)
    return asl


def test_the_workflow_is_probe_process_thumbnail_finalize_with_one_failure_path(
    synthesized: Synthesized,
) -> None:
    asl = definition(synthesized)
    states = asl["States"]

    assert asl["StartAt"] == "WhichJob"
    assert states["WhichJob"]["Default"] == "Probe"
    assert set(states) == {name for name, _ in STEPS + VIDEO_STEPS} | {
        "RecordFailure",
        "JobFailed",
        "WhichJob",
        "WaitForVideo",
        "VideoReady",
    }
    for index, (name, step) in enumerate(STEPS):
        state = states[name]
        assert state["Type"] == "Task"
        assert state["Resource"] == "<function>"
        assert state["Parameters"] == {"step": step, "job.$": "$"}
        if index + 1 < len(STEPS):
            assert state["Next"] == STEPS[index + 1][0]
        else:
            assert state["End"] is True
        # Every error goes to RecordFailure, the step's input kept beside it at $.error.
        assert state["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}
        ]
    assert states["RecordFailure"]["Parameters"] == {"step": "record_failure", "job.$": "$"}
    assert states["RecordFailure"]["Next"] == "JobFailed"
    assert "Catch" not in states["RecordFailure"]
    assert states["JobFailed"]["Type"] == "Fail"
    assert states["JobFailed"]["Error"] == "MediaJobFailed"


def test_a_generated_video_waits_in_a_wait_state_between_polls_then_joins_thumbnail(
    synthesized: Synthesized,
) -> None:
    states = definition(synthesized)["States"]

    assert states["WhichJob"]["Choices"] == [
        {"Variable": "$.generation", "IsPresent": True, "Next": "StartVideo"}
    ]
    assert states["StartVideo"]["Next"] == "WaitForVideo"
    # The Wait state waits, never a Lambda; how long comes with the job (the API's settings).
    assert states["WaitForVideo"] == {
        "Type": "Wait",
        "SecondsPath": "$.generation.poll_seconds",
        "Next": "PollVideo",
    }
    assert states["PollVideo"]["Next"] == "VideoReady"
    assert states["VideoReady"]["Choices"] == [
        {"Variable": "$.output", "IsNull": False, "Next": "Thumbnail"}
    ]
    assert states["VideoReady"]["Default"] == "WaitForVideo"
    for name, step in VIDEO_STEPS:
        # They call the AI endpoint: the generation function, with the openai layer, runs them.
        assert states[name]["Resource"] == "<generation>"
        assert states[name]["Parameters"] == {"step": step, "job.$": "$"}
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}
        ]
        assert step in job_steps.VIDEO_STEPS


def test_only_lambda_service_errors_and_transient_ones_are_retried(
    synthesized: Synthesized,
) -> None:
    states = definition(synthesized)["States"]

    for name in [name for name, _ in STEPS + VIDEO_STEPS] + ["RecordFailure"]:
        retried = [error for retrier in states[name]["Retry"] for error in retrier["ErrorEquals"]]
        assert retried == [
            *LAMBDA_SERVICE_ERRORS,
            job_steps.TransientError.__name__,
            "Lambda.TooManyRequestsException",
        ], name
        assert all(retrier["BackoffRate"] >= 2 for retrier in states[name]["Retry"])
        # Bad input, a cancelled job or a crash would fail the same way again.
        for never in (MediaRejected, JobEnded, job_steps.StepCrashed):
            assert never.__name__ not in retried
        assert not {"States.ALL", "States.TaskFailed"} & set(retried)


def test_the_state_machine_is_standard_logged_and_traced(synthesized: Synthesized) -> None:
    found = ids(synthesized)
    props = synthesized.resources[found["state_machine"]]["Properties"]

    assert props["StateMachineType"] == "STANDARD"
    assert props["StateMachineName"] == "herald-dev-media-jobs"
    assert props["TracingConfiguration"] == {"Enabled": True}
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["Destinations"] == [
        {
            "CloudWatchLogsLogGroup": {
                "LogGroupArn": {"Fn::GetAtt": [found["execution_log_group"], "Arn"]}
            }
        }
    ]
    assert props["RoleArn"] == {"Fn::GetAtt": [found["state_machine_role"], "Arn"]}
    log_group = synthesized.resources[found["execution_log_group"]]["Properties"]
    assert log_group["LogGroupName"].startswith("/aws/vendedlogs/states/")
    assert log_group["RetentionInDays"] == 30


def test_the_ffmpeg_function_has_the_layer_room_and_time_it_needs(
    synthesized: Synthesized,
) -> None:
    found = ids(synthesized)
    props = synthesized.resources[found["function"]]["Properties"]
    media = synthesized.resources[synthesized.function_id("media")]["Properties"]

    assert props["Handler"] == "functions.media.workers.job_steps.handler"
    assert props["Code"] == media["Code"]  # the media group's bundle
    assert props["Layers"] == [{"Ref": found["dependencies_layer"]}, {"Ref": found["ffmpeg_layer"]}]
    assert props["MemorySize"] == 3008
    assert props["EphemeralStorage"] == {"Size": 10240}
    assert props["Timeout"] == 900
    assert props["Architectures"] == media["Architectures"] == ["x86_64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": found["log_group"]}
    # The media group's settings, under the steps' own service name; it starts no jobs.
    expected = {
        name: value
        for name, value in media["Environment"]["Variables"].items()
        if name != media_jobs.STATE_MACHINE_VARIABLE
    } | {"POWERTOOLS_SERVICE_NAME": "herald-media-jobs"}
    assert props["Environment"]["Variables"] == expected
    layer = synthesized.resources[found["ffmpeg_layer"]]["Properties"]
    assert layer["CompatibleArchitectures"] == ["x86_64"]


def test_the_media_and_generation_apis_know_the_state_machine(synthesized: Synthesized) -> None:
    def machine_of(group: str) -> Any:
        function = synthesized.resources[synthesized.function_id(group)]["Properties"]
        return function["Environment"]["Variables"][media_jobs.STATE_MACHINE_VARIABLE]

    assert machine_of("media") == {"Ref": ids(synthesized)["state_machine"]}
    # The machine invokes the generation function, which knows it by name (no cycle).
    assert flatten(machine_of("generation")) == (
        "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:"
        + synthesized.resources[ids(synthesized)["state_machine"]]["Properties"]["StateMachineName"]
    )


def test_the_generation_function_runs_the_video_steps_with_the_media_code(
    synthesized: Synthesized,
) -> None:
    found = ids(synthesized)
    props = synthesized.resources[found["generation"]]["Properties"]
    media = synthesized.resources[synthesized.function_id("media")]["Properties"]

    assert props["Handler"] == "functions.media.generation_app.handler"
    assert props["Code"] == media["Code"]  # the media group's bundle
    # ffprobe only (its layers: tests/infra/test_template.py::test_functions).
    assert {"Ref": found["ffmpeg_layer"]} not in props["Layers"]


def grants(synthesized: Synthesized, role_id: str) -> set[tuple[str, str]]:
    return {
        (action, flatten(resource))
        for statement in statements_of_role(synthesized, role_id)
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }


def test_the_steps_reach_only_the_table_and_workspace_objects(
    synthesized: Synthesized,
) -> None:
    found = ids(synthesized)
    foundation = synthesized.stack.foundation
    lid = synthesized.logical_id
    trust = synthesized.resources[found["role"]]["Properties"]["AssumeRolePolicyDocument"]
    objects = f"<{lid(foundation.media_bucket)}.Arn>/workspaces/*"

    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]
    assert grants(synthesized, found["role"]) == {
        ("logs:CreateLogStream", f"<{found['log_group']}.Arn>"),
        ("logs:PutLogEvents", f"<{found['log_group']}.Arn>"),
        *(
            (action, f"<{lid(foundation.app_table)}.Arn>")
            for action in media_jobs.STEP_TABLE_ACCESS
        ),
        ("s3:GetObject", objects),
        ("s3:PutObject", objects),
        ("s3:DeleteObject", objects),
        ("sqs:SendMessage", f"<{lid(foundation.async_dlq)}.Arn>"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    }


def test_the_state_machine_invokes_only_the_steps_and_generation_functions(
    synthesized: Synthesized,
) -> None:
    found = ids(synthesized)
    trust = synthesized.resources[found["state_machine_role"]]["Properties"][
        "AssumeRolePolicyDocument"
    ]
    granted = grants(synthesized, found["state_machine_role"])
    function = f"<{found['function']}.Arn>"
    generation = f"<{found['generation']}.Arn>"

    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "states.amazonaws.com"}]
    assert {(a, r) for a, r in granted if r != "*"} == {
        ("lambda:InvokeFunction", function),
        ("lambda:InvokeFunction", f"{function}:*"),
        ("lambda:InvokeFunction", generation),
        ("lambda:InvokeFunction", f"{generation}:*"),
    }
    # What supports no resource scope: log delivery (for the execution log) and X-Ray.
    assert {a.split(":")[0] for a, r in granted if r == "*"} == {"logs", "xray"}


def test_crashes_and_throttles_raise_alarms(synthesized: Synthesized) -> None:
    alarms = [
        alarm["Properties"] for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
    ]
    function_id = ids(synthesized)["function"]

    throttles = [
        alarm
        for alarm in alarms
        if alarm.get("MetricName") == "Throttles"
        and alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
    ]
    crashes = [alarm for alarm in alarms if alarm.get("MetricName") == job_steps.CRASH_METRIC]
    assert len(throttles) == 1
    assert len(crashes) == 1
    assert crashes[0]["Namespace"] == "Herald"
    # Powertools names the service dimension after POWERTOOLS_SERVICE_NAME.
    assert crashes[0]["Dimensions"] == [{"Name": "service", "Value": "herald-media-jobs"}]
    assert media_jobs.CRASH_METRIC == job_steps.CRASH_METRIC


def test_an_execution_that_ends_unrecorded_reaches_the_reconciler(
    synthesized: Synthesized,
) -> None:
    """Step Functions' status changes go to the default bus; the rule picks this machine's
    failed, timed-out and aborted executions (event reference:
    https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html)."""
    jobs = synthesized.stack.media_jobs
    lid = synthesized.logical_id
    reconciler = lid(jobs.reconciler.function)
    rule = synthesized.resources[lid(jobs.ended_execution_rule)]["Properties"]
    function = synthesized.resources[reconciler]["Properties"]

    assert "EventBusName" not in rule  # the default bus, where AWS services send events
    assert rule["State"] == "ENABLED"
    assert rule["EventPattern"] == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {
            "status": ["FAILED", "TIMED_OUT", "ABORTED"],
            "stateMachineArn": [{"Ref": ids(synthesized)["state_machine"]}],
        },
    }
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [reconciler, "Arn"]}
    assert "Input" not in target  # the event itself, as the handler reads it
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3}
    assert target["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": [lid(synthesized.stack.foundation.async_dlq), "Arn"]}
    }
    assert function["Handler"] == media_jobs.RECONCILER_HANDLER
    assert len(function["Layers"]) == 1  # the dependency layer, not FFmpeg
    permissions = [
        p["Properties"]
        for p in synthesized.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [reconciler, "Arn"]}
    ]
    assert sorted((p["Principal"], str(p["SourceArn"])) for p in permissions) == sorted(
        ("events.amazonaws.com", str({"Fn::GetAtt": [lid(rule), "Arn"]}))
        for rule in (jobs.ended_execution_rule, jobs.workspace_deleted_rule)
    )


def test_a_deleted_workspace_reaches_the_media_events_function(synthesized: Synthesized) -> None:
    jobs = synthesized.stack.media_jobs
    lid = synthesized.logical_id
    rule = synthesized.resources[lid(jobs.workspace_deleted_rule)]["Properties"]

    assert rule["EventBusName"] == {"Ref": lid(synthesized.stack.foundation.event_bus)}
    assert rule["EventPattern"] == {
        "source": ["herald.auth"],
        "detail-type": ["workspace.deleted"],
    }
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [lid(jobs.reconciler.function), "Arn"]}
    assert "Input" not in target
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3}


def test_the_media_events_function_ends_jobs_and_deletes_workspace_files_only(
    synthesized: Synthesized,
) -> None:
    jobs = synthesized.stack.media_jobs
    foundation = synthesized.stack.foundation
    lid = synthesized.logical_id
    log_group = f"<{lid(jobs.reconciler.log_group)}.Arn>"

    assert grants(synthesized, lid(jobs.reconciler.role)) == {
        ("logs:CreateLogStream", log_group),
        ("logs:PutLogEvents", log_group),
        ("dynamodb:GetItem", f"<{lid(foundation.app_table)}.Arn>"),
        ("dynamodb:PutItem", f"<{lid(foundation.app_table)}.Arn>"),
        ("dynamodb:UpdateItem", f"<{lid(foundation.app_table)}.Arn>"),
        ("s3:DeleteObject", f"<{lid(foundation.media_bucket)}.Arn>/workspaces/*"),
        ("s3:ListBucket", f"<{lid(foundation.media_bucket)}.Arn>"),
        ("sqs:SendMessage", f"<{lid(foundation.async_dlq)}.Arn>"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    }
    [listing] = [
        s
        for s in statements_of_role(synthesized, lid(jobs.reconciler.role))
        if s["Action"] == "s3:ListBucket"
    ]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["workspaces/*"]}}
