"""The publish worker's engagement poller queues what it finds on the inbound queue
(infra/publish_worker.py `send_to_inbound_queue`): its URL as HERALD_INBOUND_QUEUE_URL, and
sqs:SendMessage on that queue alone. The inbound pipeline creates the queue; a stand-in one
here, on an app of its own so that the session's synthesis stays as the stack builds it."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from infra.app import STACK_NAME, build_app
from infra.stack import HeraldStack
from tests.infra.synthesized import Synthesized, as_list, statements_of_role


def test_the_poller_may_send_to_the_inbound_queue_and_knows_its_url(tmp_path: Path) -> None:
    app = build_app(outdir=str(tmp_path), nag=False)
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, HeraldStack)
    queue = sqs.Queue(stack, "InboundStandIn", enforce_ssl=True)
    stack.publish_worker.send_to_inbound_queue(queue)
    template = Template.from_stack(stack)
    synthesized = Synthesized(
        app=app, stack=stack, template=template, resources=template.to_json()["Resources"]
    )
    worker = stack.publish_worker
    queue_id = synthesized.logical_id(queue)

    variables = synthesized.resources[synthesized.logical_id(worker.function)]["Properties"][
        "Environment"
    ]["Variables"]
    assert variables["HERALD_INBOUND_QUEUE_URL"] == {"Ref": queue_id}
    granted = [
        statement
        for statement in statements_of_role(synthesized, synthesized.logical_id(worker.role))
        if {"Fn::GetAtt": [queue_id, "Arn"]} in as_list(statement["Resource"])
    ]
    assert [statement["Action"] for statement in granted] == ["sqs:SendMessage"]
    # The publish API has no use for it: only the worker polls.
    api = synthesized.resources[synthesized.function_id("publish")]["Properties"]
    assert "HERALD_INBOUND_QUEUE_URL" not in api["Environment"]["Variables"]
