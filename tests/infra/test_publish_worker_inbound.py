"""The publish worker's engagement poller queues what it finds on the inbound queue
(infra/publish_worker.py `send_to_inbound_queue`): its URL as HERALD_INBOUND_QUEUE_URL, and
sqs:SendMessage on that queue alone; the publish API gets neither."""

from __future__ import annotations

from tests.infra.synthesized import Synthesized, as_list, statements_of_role


def test_the_poller_may_send_to_the_inbound_queue_and_knows_its_url(
    synthesized: Synthesized,
) -> None:
    worker = synthesized.stack.publish_worker
    queue_id = synthesized.logical_id(synthesized.stack.inbound.queue)

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
