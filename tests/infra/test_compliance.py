"""cfn-lint, cdk-nag (AWS Solutions) and CDK's own annotations find nothing unacknowledged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint  # type: ignore[import-untyped]
from constructs import IConstruct

from infra import nag
from infra.app import build_app
from tests.infra.synthesized import Synthesized

# CDK always adds DependsOn on a function's role although Role's GetAtt already orders them.
IGNORED_CFN_LINT = ["W3005"]
# Every acknowledgement the stack may carry; a new one has to be added here knowingly.
ACKNOWLEDGEABLE = re.compile(
    r"AwsSolutions-(APIG2|APIG4|COG4|L1|SQS3|SMG4|IAM4\[Policy::.+\]|IAM5\[Resource::.+\])"
)


def test_cfn_lint_finds_no_errors_or_warnings(synthesized: Synthesized) -> None:
    template = json.dumps(synthesized.template.to_json())
    matches = lint(
        template,
        config=ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=IGNORED_CFN_LINT),
    )
    problems = [
        f"{match.rule.id} {match.message} ({'/'.join(map(str, match.path or []))})"
        for match in matches
        if match.rule.id[0] in "EW"
    ]
    assert problems == []


def test_cfn_lint_is_not_blind() -> None:
    """The same call reports a broken template, so an empty result above means something."""
    broken = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"Nope": 1}}}}
    assert any(match.rule.id.startswith("E") for match in lint(json.dumps(broken)))


def _violations(app: cdk.App) -> list[str]:
    report = AwsSolutionsChecks().validate_scope(app)
    return [
        f"{violation.rule_name}: {resource.construct_path}"
        for violation in report.violations
        for resource in violation.violating_resources
    ]


def test_cdk_nag_aws_solutions_finds_nothing_unacknowledged(synthesized: Synthesized) -> None:
    assert _violations(synthesized.app) == []


def test_cdk_nag_reports_what_it_should() -> None:
    """The check above is not vacuous: an unencrypted, plain queue is reported."""
    app = cdk.App()
    stack = cdk.Stack(app, "Control")
    sqs.Queue(stack, "Plain", encryption=sqs.QueueEncryption.UNENCRYPTED)
    violations = _violations(app)
    assert "AwsSolutions-SQS2: Control/Plain/Resource" in violations
    assert "AwsSolutions-SQS4: Control/Plain/Resource" in violations


def test_no_cdk_warnings_or_errors(synthesized: Synthesized) -> None:
    annotations = Annotations.from_stack(synthesized.stack)
    assert annotations.find_error("*", Match.any_value()) == []
    assert annotations.find_warning("*", Match.any_value()) == []


def _acknowledgements(synthesized: Synthesized) -> list[tuple[str, str, str]]:
    """(construct path, rule id, reason) of every acknowledgement in the app."""
    found = []
    for construct in synthesized.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    found.append((construct.node.path, rule.split("::", 1)[-1], reason))
    return found


def test_every_acknowledgement_is_known_and_explained(synthesized: Synthesized) -> None:
    acknowledgements = _acknowledgements(synthesized)
    assert acknowledgements
    for path, rule, reason in acknowledgements:
        assert ACKNOWLEDGEABLE.fullmatch(rule), f"{path}: unexpected acknowledgement of {rule}"
        # A reason says why this resource is safe, in a sentence or more.
        assert len(reason) >= 60, f"{path} {rule}: {reason!r}"
        assert reason.endswith("."), f"{path} {rule}: {reason!r}"


class _Recorder:
    """Stands in for `Validations` in infra.nag: records acknowledgements, applies none."""

    def __init__(self) -> None:
        self.recorded: list[tuple[str, str]] = []
        self._path = ""

    def of(self, scope: IConstruct) -> _Recorder:
        self._path = scope.node.path
        return self

    def acknowledge(self, *rules: Acknowledgment) -> None:
        self.recorded.extend((self._path, rule.id) for rule in rules)


def test_every_acknowledgement_is_needed_and_every_finding_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built without its acknowledgements, the app's findings are exactly what was acknowledged:
    none is stale, none covers more than the constructs it was meant for."""
    recorder = _Recorder()
    monkeypatch.setattr(nag, "Validations", recorder)
    app = build_app(outdir=str(tmp_path), nag=False)
    app.synth()
    findings = {
        (str(resource.construct_path), violation.rule_name)
        for violation in AwsSolutionsChecks().validate_scope(app).violations
        for resource in violation.violating_resources
    }

    def covers(acknowledged: tuple[str, str], finding: tuple[str, str]) -> bool:
        (scope, rule), (path, found) = acknowledged, finding
        return rule == found and (path == scope or path.startswith(scope + "/"))

    unacknowledged = {f for f in findings if not any(covers(a, f) for a in recorder.recorded)}
    stale = {a for a in recorder.recorded if not any(covers(a, f) for f in findings)}
    assert unacknowledged == set()
    assert stale == set()
