"""moto's Step Functions engine runs a CDK-synthesized workflow with in-process Lambda steps.

The stack is built the way Herald's media workflow is: `Function`s from an asset, chained with
`LambdaInvoke` tasks (both the "payload only" and the full-response form) into a `StateMachine`.
"""

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.assertions import Template

from infra.local import lambda_dispatch
from infra.local.cloud import ACCOUNT, REGION, LocalCloud
from infra.local.provision import Deployment, provision
from infra.local.runtime import InProcessLambdas
from tests.integration.workflow import steps

pytestmark = pytest.mark.cdk

WORKFLOW_CODE = Path(steps.__file__).parent
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def workflow_template() -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "Workflow", env=cdk.Environment(account=ACCOUNT, region=REGION))

    def step(name: str) -> lambda_.Function:
        return lambda_.Function(
            stack,
            f"{name.capitalize()}Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            code=lambda_.Code.from_asset(str(WORKFLOW_CODE)),
            handler=f"tests.integration.workflow.steps.{name}",
            timeout=cdk.Duration.minutes(1),
        )

    probe = tasks.LambdaInvoke(
        stack, "Probe", lambda_function=step("probe"), payload_response_only=True
    )
    process = tasks.LambdaInvoke(
        stack, "Process", lambda_function=step("process"), output_path="$.Payload"
    )
    finalize = tasks.LambdaInvoke(
        stack, "Finalize", lambda_function=step("finalize"), output_path="$.Payload"
    )
    reject = tasks.LambdaInvoke(
        stack, "Reject", lambda_function=step("reject"), payload_response_only=True
    )
    process.add_catch(reject, errors=["MediaRejected"], result_path="$.error")
    route = (
        sfn.Choice(stack, "NeedsProcessing")
        .when(sfn.Condition.string_equals("$.kind", "image"), finalize)
        .otherwise(process.next(finalize))
    )
    sfn.StateMachine(
        stack,
        "MediaJob",
        definition_body=sfn.DefinitionBody.from_chainable(probe.next(route)),
    )
    return dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return workflow_template()


@pytest.fixture(scope="module")
def deployment(template: dict[str, Any]) -> Iterator[tuple[LocalCloud, Deployment]]:
    cloud = LocalCloud().start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOTO_PORT", cloud.environment()["MOTO_PORT"])
        deployed = provision(template, cloud.client, region=REGION, account=ACCOUNT)
        lambda_dispatch.install(InProcessLambdas(deployed.functions))
        try:
            yield cloud, deployed
        finally:
            lambda_dispatch.uninstall()
            cloud.stop()


def run(deployment: tuple[LocalCloud, Deployment], job: dict[str, Any]) -> dict[str, Any]:
    cloud, deployed = deployment
    (state_machine,) = (
        resource.ref
        for logical_id, resource in deployed.resources.items()
        if logical_id.startswith("MediaJob") and resource.ref.startswith("arn:aws:states:")
    )
    stepfunctions = cloud.client("stepfunctions")
    steps.calls.clear()
    execution = stepfunctions.start_execution(stateMachineArn=state_machine, input=json.dumps(job))[
        "executionArn"
    ]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        described: dict[str, Any] = stepfunctions.describe_execution(executionArn=execution)
        if described["status"] in TERMINAL:
            return described
        time.sleep(0.1)
    pytest.fail(f"Execution still {described['status']} after 30 s")


def test_the_state_machine_comes_from_the_template_with_its_functions_in_process(
    deployment: tuple[LocalCloud, Deployment],
) -> None:
    _, deployed = deployment
    handlers = sorted(function.handler for function in deployed.functions)
    assert handlers == [
        f"tests.integration.workflow.steps.{name}"
        for name in ("finalize", "probe", "process", "reject")
    ]


def test_a_video_runs_every_step_in_order(deployment: tuple[LocalCloud, Deployment]) -> None:
    execution = run(deployment, {"key": "w1/clip.mov", "kind": "video"})

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {
        "key": "w1/clip.mov",
        "kind": "video",
        "duration": 12.5,
        "output": "w1/clip.mov.mp4",
        "steps": ["probe", "process", "finalize"],
        "status": "done",
    }
    assert steps.calls == ["probe", "process", "finalize"]


def test_executions_without_a_name_each_run(deployment: tuple[LocalCloud, Deployment]) -> None:
    job = {"key": "w1/photo.jpg", "kind": "image"}

    first, second = run(deployment, job), run(deployment, job)

    assert first["executionArn"] != second["executionArn"]
    assert (first["status"], second["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert steps.calls == ["probe", "finalize"]  # of the second run, which did happen


def test_the_choice_state_routes_on_the_probe_result(
    deployment: tuple[LocalCloud, Deployment],
) -> None:
    execution = run(deployment, {"key": "w1/photo.jpg", "kind": "image"})

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["steps"] == ["probe", "finalize"]
    assert steps.calls == ["probe", "finalize"]


def test_a_caught_step_error_goes_to_the_catch_state(
    deployment: tuple[LocalCloud, Deployment],
) -> None:
    execution = run(deployment, {"key": "w1/bad.mov", "kind": "video", "corrupt": True})

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {
        "key": "w1/bad.mov",
        "status": "rejected",
        "reason": "unreadable stream",
    }
    assert steps.calls == ["probe", "process", "reject"]


def test_an_uncaught_step_error_fails_the_execution(
    deployment: tuple[LocalCloud, Deployment],
) -> None:
    execution = run(deployment, {"key": "w1/clip.mov", "kind": "video", "crash": True})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "RuntimeError"
    assert json.loads(execution["cause"])["errorMessage"] == "ffmpeg crashed"
    assert steps.calls == ["probe", "process"]


def lambda_client(cloud: LocalCloud) -> Any:
    # A client of the default session, as moto's engine creates them.
    return boto3.client(
        "lambda",
        endpoint_url=cloud.endpoint_url,
        region_name=REGION,
        aws_access_key_id="herald-local",
        aws_secret_access_key="herald-local",
    )


def test_direct_invocations_are_answered_in_process(
    deployment: tuple[LocalCloud, Deployment],
) -> None:
    cloud, deployed = deployment
    probe = next(f for f in deployed.functions if f.handler.endswith(".probe"))
    steps.calls.clear()

    response = lambda_client(cloud).invoke(
        FunctionName=probe.name, Payload=json.dumps({"key": "k"}).encode()
    )
    queued = lambda_client(cloud).invoke(
        FunctionName=probe.arn, InvocationType="Event", Payload=b'{"key": "async"}'
    )

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {
        "key": "k",
        "duration": 12.5,
        "steps": ["probe"],
    }
    assert queued["StatusCode"] == 202
    deadline = time.monotonic() + 5
    while len(steps.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert steps.calls == ["probe", "probe"]


def test_invocations_of_other_functions_go_on_to_moto(
    deployment: tuple[LocalCloud, Deployment],
) -> None:
    cloud, _ = deployment
    client = lambda_client(cloud)

    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="not-ours", Payload=b"{}")
