"""The inbound processor: a queued platform event becomes one inbox item per workspace that
connected the account, with its `comment.received` or `mention.received`, exactly once; notices
go to the publish group as an internal event; what cannot be used is acknowledged and counted.

The deliveries are the sandbox platform's (functions/shared/sandbox_webhooks.py); the accounts'
and posts' links are written as the publish group writes them
(tests/publish/test_platform_links.py).
"""

import json
import threading
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from ulid import ULID

from functions.shared.engagement import (
    PLATFORM_NOTICE_EVENT,
    Engagement,
    EngagementAuthor,
    PlatformNotice,
)
from functions.shared.engagement_calls import EngagementAnswer, EngagementCall
from functions.shared.inbound import MAX_RECEIVES, InboundDelivery, accept
from functions.shared.platform_links import PlatformAccountLink, PlatformPostLink
from functions.shared.settings import get_settings
from functions.shared.tables import key
from functions.webhooks.adapters import engagement_function
from functions.webhooks.adapters.inbox_items import InboxItem, InboxKeyItem
from functions.webhooks.domain import inbound_processing
from functions.webhooks.domain.platform_hooks.parsers import PARSERS
from functions.webhooks.workers.inbound_processor import handler
from tests.support.event_bus import bus_listener, catalogued, received
from tests.support.events import lambda_context
from tests.webhooks import platform_examples as examples
from tests.webhooks.hooks_world import Hooks

ACCOUNT = "sandbox-01JQ7ZM2D4F6H8K0N3P5R7T9V1"


def sandbox_event(item_id: str = "c-1", **item: Any) -> dict[str, Any]:
    return {
        "event_id": f"evt-{ULID()}",
        "account_id": item.pop("account_id", ACCOUNT),
        "item": {
            "id": item_id,
            "kind": "comment",
            "text": "Is the autumn roast available in whole beans?",
            "author": {"id": "u-42", "name": "Ada Baker", "handle": "ada.bakes"},
            "created_at": "2026-12-05T07:00:00Z",
            "post_id": "sandbox-post-1",
            **item,
        },
    }


def record(body: dict[str, Any], message_id: str | None = None) -> dict[str, Any]:
    delivery = InboundDelivery("sandbox", body["event_id"], body)
    return {
        "messageId": message_id or str(ULID()),
        "receiptHandle": "handle",
        "body": delivery.to_json(),
        "eventSource": "aws:sqs",
    }


def run(*records: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = handler(
        {"Records": list(records)}, lambda_context("herald-test-inbound")
    )
    return result


def inbox(workspace_id: str) -> list[InboxItem]:
    return list(
        InboxItem.query(
            key("WS", workspace_id), InboxItem.sk.startswith("INBOX#"), consistent_read=True
        )
    )


@pytest.fixture
def linked(hooks: Hooks) -> Hooks:
    """The world's workspace with a sandbox account linked, as connecting it writes."""
    settings = get_settings()
    boto3.client("sqs", region_name=settings.region).create_queue(
        QueueName=settings.inbound_queue_url.rsplit("/", 1)[-1]
    )
    PlatformAccountLink.of(
        "sandbox", ACCOUNT, hooks.workspace_id, "01JQ7ZM2D4F6H8K0N3P5R7T9V1"
    ).save()
    return hooks


def test_a_comment_becomes_an_inbox_item_and_its_event(linked: Hooks) -> None:
    listener = bus_listener("comment.received", "mention.received")

    assert run(record(sandbox_event())) == {"batchItemFailures": []}

    [item] = inbox(linked.workspace_id)
    assert (item.platform, item.platform_item_id, item.kind, item.status) == (
        "sandbox",
        "c-1",
        "comment",
        "new",
    )
    assert (item.author_id, item.author_name, item.author_handle) == (
        "u-42",
        "Ada Baker",
        "ada.bakes",
    )
    assert item.created_at == datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    assert item.platform_post_id == "sandbox-post-1"
    assert item.post_id is None  # not a post Herald published
    guard = InboxKeyItem.find(linked.workspace_id, "sandbox", "c-1")
    assert guard is not None
    assert guard.item_id == item.item_id
    [event] = received(listener)
    assert (event["source"], event["detail-type"]) == ("herald.webhooks", "comment.received")
    assert event["detail"]["workspace_id"] == linked.workspace_id
    data = catalogued(event)
    assert data["item_id"] == item.item_id
    assert data["author"]["name"] == "Ada Baker"


def test_a_comment_on_a_post_herald_published_names_the_post_and_target(linked: Hooks) -> None:
    post_id, target_id = str(ULID()), "01JQ7ZM2D4F6H8K0N3P5R7T9V1"
    PlatformPostLink.of("sandbox", "sandbox-post-1", linked.workspace_id, post_id, target_id).save()
    # Another workspace's target of the same platform post is not this workspace's.
    PlatformPostLink.of("sandbox", "sandbox-post-1", str(ULID()), str(ULID()), target_id).save()

    run(record(sandbox_event()))

    [item] = inbox(linked.workspace_id)
    assert (item.post_id, item.target_id) == (post_id, target_id)


def test_a_mention_emits_mention_received(linked: Hooks) -> None:
    listener = bus_listener("comment.received", "mention.received")

    run(record(sandbox_event("m-1", kind="mention", post_id=None)))

    [event] = received(listener)
    assert event["detail-type"] == "mention.received"
    assert catalogued(event)["kind"] == "mention"


def test_the_same_item_twice_is_recorded_once(linked: Hooks) -> None:
    """A platform's retry under another event id, or a poll finding what a webhook brought."""
    listener = bus_listener("comment.received")

    run(record(sandbox_event()))
    run(record(sandbox_event()))

    assert len(inbox(linked.workspace_id)) == 1
    assert len(received(listener)) == 1


def test_concurrent_duplicate_deliveries_give_one_item(linked: Hooks) -> None:
    listener = bus_listener("comment.received")
    body = sandbox_event("c-race")
    start = threading.Barrier(8)
    outcomes: list[Any] = []

    def deliver() -> None:
        start.wait()
        outcomes.append(inbound_processing.process(InboundDelivery("sandbox", "e", body)))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcome.recorded for outcome in outcomes) == [0] * 7 + [1]
    assert sum(outcome.duplicates for outcome in outcomes) == 7
    assert len(inbox(linked.workspace_id)) == 1
    assert len(received(listener)) == 1


def test_an_account_connected_in_two_workspaces_gets_the_item_in_each(linked: Hooks) -> None:
    other_owner = linked.herald.sign_up("other")
    other = linked.herald.create_workspace(other_owner, "Other")["id"]
    PlatformAccountLink.of("sandbox", ACCOUNT, other, "01JQ7ZM9X1Z3B5D7F9H2K4M6P8").save()

    run(record(sandbox_event()))

    assert len(inbox(linked.workspace_id)) == 1
    [theirs] = inbox(other)
    assert theirs.account_id == "01JQ7ZM9X1Z3B5D7F9H2K4M6P8"


def test_an_unknown_account_is_acknowledged_logged_and_counted(
    linked: Hooks, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    result = run(record(sandbox_event(account_id="sandbox-nobody")))

    assert result == {"batchItemFailures": []}  # not retried
    assert inbox(linked.workspace_id) == []
    assert "inbound event for an account no workspace connected" in caplog.messages
    assert _metric(capsys.readouterr().out, inbound_processing.UNKNOWN_ACCOUNT_METRIC) == 1


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"platform": "sandbox"}),
        json.dumps({"platform": "myspace", "event_id": "1", "payload": {}}),
        json.dumps({"platform": "sandbox", "event_id": "1", "payload": {"item": "?"}}),
    ],
    ids=["not-json", "no-payload", "unknown-platform", "refused-by-parser"],
)
def test_an_unusable_delivery_is_acknowledged_and_counted(
    linked: Hooks, body: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run({"messageId": "m-1", "receiptHandle": "h", "body": body})

    assert result == {"batchItemFailures": []}
    assert _metric(capsys.readouterr().out, inbound_processing.UNUSABLE_METRIC) == 1


def test_a_failure_to_record_is_reported_for_a_retry(
    linked: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    def throttled(*args: Any) -> None:
        raise RuntimeError("ProvisionedThroughputExceededException")

    monkeypatch.setattr(inbound_processing, "record_engagement", throttled)

    result = run(record(sandbox_event("c-1"), "m-1"), record(sandbox_event("c-2"), "m-2"))

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]}


def test_ids_with_the_key_separator_or_long_are_recorded_and_deduplicated(linked: Hooks) -> None:
    long_id = "9" * 300
    for platform_id in ("thread#42", long_id, "thread#42", long_id):
        run(record(sandbox_event("x", id=platform_id, text="hi")))

    assert sorted(item.platform_item_id for item in inbox(linked.workspace_id)) == sorted(
        ["thread#42", long_id]
    )
    assert InboxKeyItem.find(linked.workspace_id, "sandbox", "thread#42") is not None


def test_an_item_whose_id_is_too_long_to_be_real_is_refused_and_counted(
    linked: Hooks, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The sandbox's own model refuses such an id: a parser that lets it through is simulated.
    engagement = PARSERS["sandbox"](sandbox_event())[0]
    monkeypatch.setitem(
        PARSERS, "sandbox", lambda payload: [_with(engagement, platform_item_id="1" * 513)]
    )

    assert run(record(sandbox_event())) == {"batchItemFailures": []}
    assert inbox(linked.workspace_id) == []
    assert _metric(capsys.readouterr().out, inbound_processing.UNUSABLE_METRIC) == 1


def test_text_and_fields_are_bounded_whatever_the_parser_lets_through(
    linked: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    engagement = PARSERS["sandbox"](sandbox_event())[0]
    monkeypatch.setitem(
        PARSERS,
        "sandbox",
        lambda payload: [_with(engagement, text="a" * 20_000, permalink="https://x/" + "p" * 3000)],
    )

    run(record(sandbox_event()))

    [item] = inbox(linked.workspace_id)
    assert len(item.text) == 10_000
    assert item.permalink is None


def test_a_notice_goes_to_the_publish_group_as_an_internal_event(
    linked: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_id = str(ULID())
    PlatformPostLink.of(
        "sandbox", "publish-7", linked.workspace_id, post_id, "01JQ7ZM2D4F6H8K0N3P5R7T9V1"
    ).save()
    notice = PlatformNotice("sandbox", ACCOUNT, "publish_complete", platform_post_id="publish-7")
    monkeypatch.setitem(PARSERS, "sandbox", lambda payload: [notice])
    listener = bus_listener(PLATFORM_NOTICE_EVENT)

    run(record(sandbox_event()))

    [event] = received(listener)
    assert event["source"] == "herald-internal.webhooks"  # outside the `herald.` prefix
    assert event["detail"]["data"] == {
        "account_id": "01JQ7ZM2D4F6H8K0N3P5R7T9V1",
        "platform": "sandbox",
        "kind": "publish_complete",
        "platform_post_id": "publish-7",
        "post_id": post_id,
        "target_id": "01JQ7ZM2D4F6H8K0N3P5R7T9V1",
        "detail": None,
    }
    assert inbox(linked.workspace_id) == []


def test_accepted_deliveries_are_queued_for_the_processor(linked: Hooks) -> None:
    body = sandbox_event()
    delivery = InboundDelivery("sandbox", body["event_id"], body)

    assert accept([delivery, delivery]) == 1
    assert accept([delivery]) == 0  # the platform's retry
    sqs = boto3.client("sqs", region_name=get_settings().region)
    messages = sqs.receive_message(QueueUrl=get_settings().inbound_queue_url)["Messages"]
    run(*[{"messageId": m["MessageId"], "receiptHandle": "h", "body": m["Body"]} for m in messages])
    assert len(inbox(linked.workspace_id)) == 1


def _with(engagement: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(engagement, **changes)


def _metric(out: str, name: str) -> float:
    """The sum of a metric over the EMF documents the run printed."""
    total = 0.0
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            value = json.loads(line).get(name, 0)
            total += sum(value) if isinstance(value, list) else float(value)
    return total


IG_USER = "17841405309211844"  # the account of platform_examples.INSTAGRAM_MENTION
IG_ACCOUNT = "01JQ7ZMA2C4E6G8J0M2P4R6T8W"


def instagram_mention(receives: int = 1) -> dict[str, Any]:
    body = examples.INSTAGRAM_MENTION
    delivery = InboundDelivery("instagram", f"evt-{ULID()}", body)
    return {
        "messageId": "m-ig",
        "receiptHandle": "h",
        "body": delivery.to_json(),
        "attributes": {"ApproximateReceiveCount": str(receives)},
    }


@pytest.fixture
def instagram_linked(linked: Hooks, monkeypatch: pytest.MonkeyPatch) -> list[EngagementCall]:
    """An Instagram account linked to the world's workspace; the engagement function's calls are
    recorded, and answered by `answers` (set by each test)."""
    PlatformAccountLink.of("instagram", IG_USER, linked.workspace_id, IG_ACCOUNT).save()
    calls: list[EngagementCall] = []

    def invoke(call: EngagementCall) -> EngagementAnswer:
        calls.append(call)
        answer = ANSWERS.pop(0)
        if answer is None:
            raise engagement_function.EngagementUnanswered
        return answer

    monkeypatch.setattr(engagement_function, "invoke", invoke)
    return calls


ANSWERS: list[EngagementAnswer | None] = []


def looked_up_mention() -> Engagement:
    [parsed] = PARSERS["instagram"](examples.INSTAGRAM_MENTION)
    assert isinstance(parsed, Engagement)
    looked_up: Engagement = _with(
        parsed,
        platform_account_id="ignored-by-the-processor",
        text="@herald.coffee the autumn roast is back!",
        author=EngagementAuthor(platform_user_id="178414", handle="ada.bakes"),
        created_at=datetime(2026, 12, 5, 7, 0, tzinfo=UTC),
    )
    return looked_up


def test_an_instagram_mention_is_recorded_with_the_text_the_platform_gives_for_its_ids(
    linked: Hooks, instagram_linked: list[EngagementCall]
) -> None:
    ANSWERS[:] = [EngagementAnswer("done", "instagram", reply=looked_up_mention())]

    assert run(instagram_mention()) == {"batchItemFailures": []}

    [call] = instagram_linked
    assert (call.action, call.workspace_id, call.account_id) == (
        "look_up",
        linked.workspace_id,
        IG_ACCOUNT,
    )
    assert (call.engagement.platform_item_id, call.engagement.platform_post_id) == (
        "17894227972186120",
        "17887498072083520",
    )
    [item] = inbox(linked.workspace_id)
    assert (item.kind, item.text, item.author_handle) == (
        "mention",
        "@herald.coffee the autumn roast is back!",
        "ada.bakes",
    )
    assert item.account_id == IG_ACCOUNT


@pytest.mark.parametrize("answer", [None, EngagementAnswer("retry_later", "instagram")])
def test_a_mention_that_cannot_be_read_yet_is_offered_again_and_not_recorded(
    linked: Hooks, instagram_linked: list[EngagementCall], answer: EngagementAnswer | None
) -> None:
    ANSWERS[:] = [answer]

    assert run(instagram_mention(receives=1)) == {"batchItemFailures": [{"itemIdentifier": "m-ig"}]}

    assert len(instagram_linked) == 1
    assert inbox(linked.workspace_id) == []


@pytest.mark.parametrize(
    ("answer", "receives"),
    [
        (None, MAX_RECEIVES),
        (EngagementAnswer("retry_later", "instagram"), MAX_RECEIVES),
        (EngagementAnswer("refused", "instagram", message="media is private"), 1),
    ],
    ids=["unanswered-on-the-last-receive", "retry-later-on-the-last-receive", "refused"],
)
def test_a_mention_never_readable_is_recorded_without_its_text_and_counted(
    linked: Hooks,
    instagram_linked: list[EngagementCall],
    capsys: pytest.CaptureFixture[str],
    answer: EngagementAnswer | None,
    receives: int,
) -> None:
    ANSWERS[:] = [answer]

    assert run(instagram_mention(receives)) == {"batchItemFailures": []}

    [item] = inbox(linked.workspace_id)
    assert (item.kind, item.platform_item_id, item.text) == ("mention", "17894227972186120", "")
    assert _metric(capsys.readouterr().out, inbound_processing.WORDLESS_METRIC) == 1


def test_a_mention_whose_webhook_carries_its_text_is_not_looked_up(
    linked: Hooks, instagram_linked: list[EngagementCall]
) -> None:
    run(record(sandbox_event("m-1", kind="mention", post_id=None)))

    assert instagram_linked == []
    [item] = inbox(linked.workspace_id)
    assert item.text == "Is the autumn roast available in whole beans?"
