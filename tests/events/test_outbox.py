"""No event is lost, none is half-written, and a duplicate reaches a deduplicating consumer once.

A state change and its event are one DynamoDB transaction; the relay puts outbox items on the
bus from the table's stream, reporting the records the bus refused so that Lambda retries them
(ReportBatchItemFailures: https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html).
PutEvents answers one result per entry, a refused one with an ErrorCode:
https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from pynamodb.exceptions import TransactWriteError

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.domain.platform_calls import mark_needs_reconnect
from functions.shared import aws
from functions.shared.events import (
    OUTBOX_SORT_KEY,
    DomainEvent,
    OutboxItem,
    first_receipt,
    forget_receipt,
    record_event,
)
from functions.webhooks.workers import relay
from tests.support.event_bus import bus_listener, received, stream_relay

WORKSPACE = "01JC0000000000000000000WS1"
ACCOUNT = "01JC000000000000000ACCOUNT"


@pytest.fixture
def account(cloud: None) -> SocialAccountItem:
    item = SocialAccountItem(
        *SocialAccountItem.keys(WORKSPACE, ACCOUNT),
        account_id=ACCOUNT,
        workspace_id=WORKSPACE,
        platform="sandbox",
        platform_account_id="sandbox-1",
        name="Sandbox",
        sealed_tokens="sealed",
        connected_by="user:01JC00000000000000000USER",
    )
    item.save()
    return item


def _put_events_answer(status: int, parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    http = AWSResponse(url="https://events", status_code=status, headers=HTTPHeaders(), raw=None)
    return http, {**parsed, "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}}}


@contextmanager
def broken_bus(kind: str) -> Iterator[list[int]]:
    """EventBridge refusing every entry (`refuses`) or failing the call (`throttles`); yields
    the number of entries of each PutEvents call."""
    calls: list[int] = []

    def answer(params: dict[str, Any], **_: Any) -> Any:
        entries = len(json.loads(params["body"])["Entries"])  # the serialized request
        calls.append(entries)
        if kind == "throttles":
            error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
            return _put_events_answer(400, error)
        refused = {"ErrorCode": "InternalFailure", "ErrorMessage": "Internal failure"}
        return _put_events_answer(
            200, {"FailedEntryCount": entries, "Entries": [refused] * entries}
        )

    events = aws.events().meta.events
    events.register("before-call.events.PutEvents", answer, unique_id="broken-bus")
    try:
        yield calls
    finally:
        events.unregister("before-call.events.PutEvents", unique_id="broken-bus")


def outbox() -> list[OutboxItem]:
    # Tests only: Herald never scans the table.
    return list(OutboxItem.scan(OutboxItem.sk == OUTBOX_SORT_KEY))


class Recorder:
    """The relay handler, with every batch it was given and every answer it gave."""

    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.batches.append(json.loads(json.dumps(event)))
        answer = relay.handler(event, context)
        self.answers.append(answer)
        return answer


def test_an_event_the_bus_refused_reaches_it_once_the_bus_recovers(
    account: SocialAccountItem,
) -> None:
    listener = bus_listener("account.needs_reconnect")
    recorder = Recorder()
    stream = stream_relay(recorder)

    with broken_bus("refuses") as calls:
        mark_needs_reconnect(account, "The platform revoked the token.")
        stream.drain()

    # The change committed, with its outbox item, although the bus refused the event.
    stored = SocialAccountItem.find(WORKSPACE, ACCOUNT)
    assert stored is not None
    assert stored.status == "needs_reconnect"
    [item] = outbox()
    envelope = json.loads(item.envelope)
    assert (item.source, item.detail_type) == ("herald.publish", "account.needs_reconnect")
    # The relay was given the outbox insert only (not the account's update) and reported it.
    assert calls == [1]
    [batch] = recorder.batches
    [record] = batch["Records"]
    assert record["dynamodb"]["Keys"]["PK"]["S"] == f"EVENT#{envelope['id']}"
    assert recorder.answers == [
        {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    ]
    assert received(listener, relay=False) == []

    stream.drain()  # the bus is back: Lambda retries from the reported record
    stream.drain()  # nothing left to relay

    assert recorder.answers[1:] == [{"batchItemFailures": []}]
    [event] = received(listener, relay=False)
    assert (event["source"], event["detail-type"]) == ("herald.publish", "account.needs_reconnect")
    assert event["detail"] == envelope
    assert envelope["type"] == "account.needs_reconnect"
    assert envelope["workspace_id"] == WORKSPACE
    assert envelope["version"] == 1
    assert envelope["id"].startswith("evt_")
    assert envelope["data"] == {"account_id": ACCOUNT, "reason": "The platform revoked the token."}


def test_a_change_whose_transaction_fails_writes_no_event(account: SocialAccountItem) -> None:
    listener = bus_listener("account.needs_reconnect")
    stale = SocialAccountItem.find(WORKSPACE, ACCOUNT)
    assert stale is not None
    account.update(actions=[SocialAccountItem.name.set("Renamed meanwhile")])

    with pytest.raises(TransactWriteError):
        mark_needs_reconnect(stale, "The platform revoked the token.")

    assert outbox() == []
    fresh = SocialAccountItem.find(WORKSPACE, ACCOUNT)
    assert fresh is not None
    assert fresh.status == "active"
    assert received(listener) == []


def test_a_relayed_duplicate_keeps_its_id_and_reaches_a_deduplicating_consumer_once(
    cloud: None,
) -> None:
    listener = bus_listener("post.published")
    recorder = Recorder()
    event = DomainEvent("publish", "post.published", WORKSPACE, {"post_id": "01JC0POST"})
    record_event(event)
    stream_relay(recorder).drain()
    [batch] = recorder.batches

    relay.handler(batch, None)  # the same stream record, delivered again

    deliveries = received(listener, relay=False)
    assert [delivery["detail"]["id"] for delivery in deliveries] == [event.id, event.id]
    handled = [
        delivery["detail"]["data"]
        for delivery in deliveries
        if first_receipt("test-consumer", delivery["detail"]["id"])
    ]
    assert handled == [{"post_id": "01JC0POST"}]


def test_receipts_are_per_consumer_and_a_forgotten_one_can_be_claimed_again(cloud: None) -> None:
    assert first_receipt("notifier", "evt_01JC00000000000000000EVT1") is True
    assert first_receipt("notifier", "evt_01JC00000000000000000EVT1") is False
    assert first_receipt("webhooks", "evt_01JC00000000000000000EVT1") is True
    assert first_receipt("notifier", "evt_01JC00000000000000000EVT2") is True

    forget_receipt("notifier", "evt_01JC00000000000000000EVT1")  # its handling failed

    assert first_receipt("notifier", "evt_01JC00000000000000000EVT1") is True


def test_the_relay_sends_ten_entries_per_call_and_retries_all_of_a_failed_call(
    cloud: None,
) -> None:
    records: list[dict[str, Any]] = [
        {
            "eventName": "INSERT",
            "dynamodb": {
                "SequenceNumber": str(100 + n),
                "NewImage": {
                    "source": {"S": "herald.publish"},
                    "detail_type": {"S": "post.published"},
                    "envelope": {"S": json.dumps({"id": f"evt_{n}"})},
                },
            },
        }
        for n in range(23)
    ]
    records[5]["dynamodb"]["NewImage"].pop("envelope")  # unreadable: reported, never sent

    with broken_bus("throttles") as calls:
        answer = relay.handler({"Records": records}, None)

    assert calls == [9, 10, 3]
    failed = [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]
    assert sorted(failed, key=int) == [str(100 + n) for n in range(23)]
    assert relay.handler({"Records": records}, None) == {
        "batchItemFailures": [{"itemIdentifier": "105"}]
    }
