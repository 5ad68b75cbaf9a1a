"""Delivering events to endpoints, as the Standard Webhooks specification asks
(https://www.standardwebhooks.com/, spec on GitHub: standard-webhooks/standard-webhooks,
"Signature scheme"): `webhook-id` (the event id, kept by redeliveries), `webhook-timestamp`
(unix seconds of the attempt), `webhook-signature` (`v1,` + base64 HMAC-SHA256), verified here
with the spec's reference Python library `standardwebhooks`.
"""

import asyncio
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import httpx
import pytest
import respx
import time_machine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.event_bus import bus_listener, catalogued, received
from tests.support.events import lambda_context
from tests.support.snapshots import workspace_items
from tests.webhooks.hooks_world import Hooks, envelope, pinned

URL = "https://hooks.example.com/herald"


def verified(secret: str, request: httpx.Request) -> dict[str, object]:
    payload: dict[str, object] = Webhook(secret).verify(request.content, dict(request.headers))
    return payload


def announced_disablings(listener: str) -> list[dict[str, object]]:
    """The `webhook.endpoint_disabled` events that reached the bus, each handed to the notifier
    as the bus rule does; their data, checked against the catalogue."""
    from functions.webhooks.workers.notifier import handler

    events = received(listener)
    for event in events:
        assert event["source"] == "herald.webhooks"
        handler(event, lambda_context("herald-test-notifier"))
    return [catalogued(event) for event in events]


def event_delivered_at(hooks: Hooks, moment: datetime) -> None:
    """A new event fanned out and its deliveries attempted, with the clock at `moment`."""
    with time_machine.travel(moment, tick=False):
        hooks.publish(envelope(hooks.workspace_id))
        hooks.pump()


def endpoint_failing_since(hooks: Hooks, start: datetime) -> dict[str, Any]:
    """A new endpoint whose first delivery, at `start`, fails (a 400)."""
    endpoint = hooks.create_endpoint(URL)
    with respx.mock() as web:
        web.post(pinned(URL)).respond(400)
        event_delivered_at(hooks, start)
    return endpoint


def notified(hooks: Hooks, headers: dict[str, str]) -> list[tuple[str, str, str | None]]:
    response = hooks.client.get("/v1/notifications", headers=headers)
    assert response.status_code == 200, response.text
    return [
        (item["event_type"], item["body"], item["link"]["endpoint_id"])
        for item in response.json()["items"]
    ]


def test_an_event_reaches_a_subscribed_endpoint_signed_verifiably(hooks: Hooks) -> None:
    endpoint = hooks.create_endpoint(URL, event_types=["post.published"])
    event = envelope(hooks.workspace_id, "post.published", post_id="01JB8Z6D3W5Y7A9C1E3G5J7K9M")
    with respx.mock(assert_all_called=True) as web:
        route = web.post(pinned(URL)).respond(204)
        assert hooks.publish(event) == {"deliveries": 1}
        assert hooks.pump() == {"batchItemFailures": [], "records": 1}

    (request,) = [call.request for call in route.calls]
    assert request.headers["host"] == "hooks.example.com"  # pinned address, hostname kept
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["webhook-id"] == event["id"]
    assert request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 5
    assert request.headers["webhook-signature"].startswith("v1,")
    assert verified(endpoint["secret"], request) == {
        "type": "post.published",
        "timestamp": event["occurred_at"],
        "data": {"post_id": "01JB8Z6D3W5Y7A9C1E3G5J7K9M", "workspace_id": hooks.workspace_id},
    }
    tampered = request.content.replace(b"post.published", b"post.failed")
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(tampered, dict(request.headers))
    (delivery,) = hooks.deliveries(endpoint["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "delivered",
        1,
        204,
    )
    assert delivery["event_id"] == event["id"]
    assert hooks.endpoint(endpoint["id"])["last_success_at"] is not None


def test_only_enabled_subscribed_endpoints_get_an_event_and_a_duplicate_once(hooks: Hooks) -> None:
    published = hooks.create_endpoint(URL, event_types=["post.published"])
    everything = hooks.create_endpoint("https://other.example.com/all")
    hooks.create_endpoint(URL, event_types=["media.job.failed"])
    hooks.create_endpoint(URL, enabled=False)
    event = envelope(hooks.workspace_id)

    assert hooks.publish(event) == {"deliveries": 2}
    assert hooks.publish(event) == {"deliveries": 0}  # relayed twice, same id
    assert len(hooks.queued()) == 2
    assert [d["event_id"] for d in hooks.deliveries(published["id"])] == [event["id"]]
    assert [d["event_id"] for d in hooks.deliveries(everything["id"])] == [event["id"]]


def test_a_duplicated_message_makes_one_attempt(hooks: Hooks) -> None:
    from functions.webhooks.adapters.delivery_queue import DeliveryMessage
    from functions.webhooks.domain.deliveries import handle_message

    endpoint = hooks.create_endpoint(URL)
    hooks.publish(envelope(hooks.workspace_id))
    (message,) = hooks.queued()
    with respx.mock() as web:
        route = web.post(pinned(URL)).respond(200)
        handle_message(DeliveryMessage.from_json(message["Body"]))
        handle_message(DeliveryMessage.from_json(message["Body"]))

    assert route.call_count == 1
    assert hooks.deliveries(endpoint["id"])[0]["attempts"] == 1


def test_failures_are_retried_on_the_schedule_honouring_retry_after(hooks: Hooks) -> None:
    endpoint = hooks.create_endpoint(URL)
    event = envelope(hooks.workspace_id)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=True) as clock, respx.mock() as web:
        route = web.post(pinned(URL))
        route.side_effect = [
            httpx.Response(503, text="down for maintenance"),
            httpx.Response(429, headers={"Retry-After": "120"}),
            httpx.ConnectTimeout("timed out"),
            httpx.Response(200, text="ok"),
        ]
        hooks.publish(event)
        hooks.pump()  # 1st attempt: 503, retried in 5 s
        first = hooks.deliveries(endpoint["id"])[0]
        assert (first["status"], first["last_status_code"]) == ("pending", 503)
        assert first["response_excerpt"] == "down for maintenance"
        assert first["next_attempt_at"] is not None
        assert hooks.pump()["records"] == 0  # not due yet
        clock.shift(6)
        hooks.pump()  # 2nd: 429 with Retry-After 120 s, shorter than the schedule's 5 min
        second = hooks.deliveries(endpoint["id"])[0]
        waited = datetime.fromisoformat(second["next_attempt_at"]) - datetime.now(UTC)
        assert timedelta(minutes=4) < waited <= timedelta(minutes=5)  # the schedule's 5 min
        # A 300 s wait is one SQS message delayed 300 s.
        clock.shift(301)
        hooks.pump()  # 3rd: timeout, next in 30 min = 900 s + 900 s of chained messages
        third = hooks.deliveries(endpoint["id"])[0]
        assert (third["last_status_code"], third["last_error"]) == (None, "no answer within 10 s")
        for _ in range(2):
            clock.shift(901)
            hooks.pump()
        assert route.call_count == 4
    final = hooks.deliveries(endpoint["id"])[0]
    assert (final["status"], final["attempts"], final["last_status_code"]) == ("delivered", 4, 200)
    assert [a["status_code"] for a in final["attempt_log"]] == [503, 429, None, 200]
    ids = {call.request.headers["webhook-id"] for call in route.calls}
    assert ids == {event["id"]}  # every redelivery keeps its webhook-id


def test_a_retry_after_longer_than_the_schedule_is_honoured(hooks: Hooks) -> None:
    endpoint = hooks.create_endpoint(URL)
    with respx.mock() as web:
        web.post(pinned(URL)).respond(429, headers={"Retry-After": "3600"})
        hooks.publish(envelope(hooks.workspace_id))
        hooks.pump()
    delivery = hooks.deliveries(endpoint["id"])[0]
    waited = datetime.fromisoformat(delivery["next_attempt_at"]) - datetime.now(UTC)
    assert timedelta(minutes=59) < waited <= timedelta(hours=1)


def test_after_the_last_retry_a_delivery_is_failed_and_kept(hooks: Hooks) -> None:
    from functions.webhooks.domain.deliveries import RETRY_SCHEDULE

    endpoint = hooks.create_endpoint(URL)
    with time_machine.travel(datetime.now(UTC), tick=True) as clock, respx.mock() as web:
        route = web.post(pinned(URL)).respond(500)
        hooks.publish(envelope(hooks.workspace_id))
        hooks.pump()
        for wait in RETRY_SCHEDULE:
            for _ in range(int(wait.total_seconds()) // 900 + 1):
                clock.shift(min(wait.total_seconds(), 900) + 1)
                hooks.pump()
        assert route.call_count == len(RETRY_SCHEDULE) + 1
    delivery = hooks.deliveries(endpoint["id"])[0]
    assert (delivery["status"], delivery["next_attempt_at"]) == ("failed", None)
    assert hooks.endpoint(endpoint["id"])["failing_since"] is not None


def test_a_4xx_fails_at_once_and_410_disables_the_endpoint_and_tells_the_admins(
    hooks: Hooks,
) -> None:
    admin, editor = hooks.as_member("admin"), hooks.as_member("editor")
    disablings = bus_listener("webhook.endpoint_disabled")
    rejecting = hooks.create_endpoint(URL)
    gone = hooks.create_endpoint("https://other.example.com/gone")
    with respx.mock() as web:
        web.post(pinned(URL)).respond(400, text="bad")
        web.post(pinned("https://other.example.com/gone")).respond(410)
        hooks.publish(envelope(hooks.workspace_id))
        hooks.pump()

    assert hooks.deliveries(rejecting["id"])[0]["status"] == "failed"
    assert hooks.endpoint(rejecting["id"])["enabled"] is True
    assert hooks.deliveries(gone["id"])[0]["status"] == "failed"
    disabled = hooks.endpoint(gone["id"])
    assert (disabled["enabled"], disabled["disabled_reason"]) == (
        False,
        "the endpoint answered 410 Gone",
    )
    assert hooks.publish(envelope(hooks.workspace_id)) == {"deliveries": 1}
    assert announced_disablings(disablings) == [
        {
            "endpoint_id": gone["id"],
            "reason": "the endpoint answered 410 Gone",
            "failing_since": disabled["failing_since"].replace("+00:00", "Z"),
        }
    ]
    told = (
        "webhook.endpoint_disabled",
        "A webhook endpoint kept failing and was disabled; no "
        "events reach it until it is enabled again. Reason: the endpoint answered 410 Gone",
        gone["id"],
    )
    assert notified(hooks, hooks.headers) == [told]
    assert notified(hooks, admin) == [told]
    assert notified(hooks, editor) == []


def test_an_endpoint_failing_for_five_days_is_disabled_and_the_admins_told(hooks: Hooks) -> None:
    admin = hooks.as_member("admin")
    disablings = bus_listener("webhook.endpoint_disabled")
    start = datetime.now(UTC)
    endpoint = endpoint_failing_since(hooks, start)
    with respx.mock() as web:
        web.post(pinned(URL)).respond(400)
        event_delivered_at(hooks, start + timedelta(days=4, hours=23))
        assert hooks.endpoint(endpoint["id"])["enabled"] is True
        assert announced_disablings(disablings) == []
        event_delivered_at(hooks, start + timedelta(days=5, minutes=1))
    disabled = hooks.endpoint(endpoint["id"])
    assert disabled["enabled"] is False
    assert "5 days of failures" in disabled["disabled_reason"]
    (announced,) = announced_disablings(disablings)
    assert (announced["endpoint_id"], announced["reason"]) == (
        endpoint["id"],
        disabled["disabled_reason"],
    )
    assert datetime.fromisoformat(str(announced["failing_since"])) == start
    for headers in (hooks.headers, admin):
        ((event_type, body, endpoint_id),) = notified(hooks, headers)
        assert (event_type, endpoint_id) == ("webhook.endpoint_disabled", endpoint["id"])
        assert "5 days of failures" in body


def test_a_success_in_between_restarts_the_five_days(hooks: Hooks) -> None:
    disablings = bus_listener("webhook.endpoint_disabled")
    endpoint = hooks.create_endpoint(URL)
    start = datetime.now(UTC)
    with respx.mock() as web:
        route = web.post(pinned(URL))
        for elapsed, answer in (
            (timedelta(0), 400),
            (timedelta(days=3), 204),
            (timedelta(days=4), 400),
            (timedelta(days=5, minutes=1), 400),  # 5 days after the first failure
            (timedelta(days=8, hours=23), 400),
        ):
            route.respond(answer)
            event_delivered_at(hooks, start + elapsed)
        assert hooks.endpoint(endpoint["id"])["enabled"] is True
        assert announced_disablings(disablings) == []
        # 5 days after the first failure since the success
        event_delivered_at(hooks, start + timedelta(days=9, minutes=1))

    assert hooks.endpoint(endpoint["id"])["enabled"] is False
    (announced,) = announced_disablings(disablings)
    assert announced["endpoint_id"] == endpoint["id"]


def test_an_endpoint_disabled_twice_at_once_is_announced_once(hooks: Hooks) -> None:
    """Two failing deliveries read the endpoint enabled and both disable it: one event."""
    from functions.webhooks.adapters.items import EndpointItem
    from functions.webhooks.domain import deliveries

    disablings = bus_listener("webhook.endpoint_disabled")
    endpoint = hooks.create_endpoint(URL)
    read_by_each = [EndpointItem.find(hooks.workspace_id, endpoint["id"]) for _ in range(2)]
    for item in read_by_each:
        assert item is not None
        deliveries._endpoint_failed(item, datetime.now(UTC), "the endpoint answered 410 Gone")

    assert hooks.endpoint(endpoint["id"])["enabled"] is False
    assert len(announced_disablings(disablings)) == 1


def test_an_endpoint_re_enabled_during_an_attempt_is_not_disabled_by_it(hooks: Hooks) -> None:
    """The attempt read the endpoint failing for 5 days; a person re-enabled it (clearing the
    failures) before the attempt failed: the clock starts again instead."""
    from functions.webhooks.adapters.items import EndpointItem
    from functions.webhooks.domain import deliveries

    disablings = bus_listener("webhook.endpoint_disabled")
    start = datetime.now(UTC)
    endpoint = endpoint_failing_since(hooks, start)
    read_by_the_attempt = EndpointItem.find(hooks.workspace_id, endpoint["id"])
    assert read_by_the_attempt is not None
    re_enabled = hooks.client.patch(
        f"/v1/webhooks/endpoints/{endpoint['id']}", json={"enabled": True}, headers=hooks.headers
    )
    assert re_enabled.status_code == 200, re_enabled.text
    later = start + timedelta(days=5, minutes=1)
    deliveries._endpoint_failed(read_by_the_attempt, later, None)

    after = hooks.endpoint(endpoint["id"])
    assert after["enabled"] is True
    assert datetime.fromisoformat(after["failing_since"]) == later
    assert announced_disablings(disablings) == []


def test_a_hanging_endpoint_does_not_delay_the_others_in_the_same_batch(hooks: Hooks) -> None:
    hooks.create_endpoint("https://slow.example.com/hook")
    quick = hooks.create_endpoint(URL)
    answered: dict[str, float] = {}

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3)  # stands for the 10 s timeout, which is not what is measured
        return httpx.Response(200)

    def record(request: httpx.Request) -> httpx.Response:
        answered["quick"] = time.monotonic()
        return httpx.Response(200)

    with respx.mock() as web:
        web.post(pinned("https://slow.example.com/hook")).mock(side_effect=hang)
        web.post(pinned(URL)).mock(side_effect=record)
        hooks.publish(envelope(hooks.workspace_id))
        started = time.monotonic()
        result = hooks.pump()
    assert result["records"] == 2
    assert answered["quick"] - started < 1.5
    assert hooks.deliveries(quick["id"])[0]["status"] == "delivered"


def test_a_fan_out_writes_and_queues_its_deliveries_side_by_side(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One write after another would hold the last endpoint back by a round trip per endpoint
    before it (bench/webhooks.py, (a)): every write and every queue batch waits here until all
    of them are in flight, which only happens if they run at once."""
    from functions.shared import aws
    from functions.webhooks.adapters.items import DeliveryItem

    endpoints = [hooks.create_endpoint(URL) for _ in range(12)]
    writes = threading.Barrier(len(endpoints), timeout=5)
    batches = threading.Barrier(2, timeout=5)  # 12 messages: batches of 10 and 2
    save = DeliveryItem.save
    send = aws.sqs().send_message_batch

    def save_together(item: DeliveryItem, *args: Any, **kwargs: Any) -> Any:
        writes.wait()
        return save(item, *args, **kwargs)

    def send_together(**kwargs: Any) -> Any:
        batches.wait()
        return send(**kwargs)

    monkeypatch.setattr(DeliveryItem, "save", save_together)
    monkeypatch.setattr(aws.sqs(), "send_message_batch", send_together)
    assert hooks.publish(envelope(hooks.workspace_id)) == {"deliveries": 12}
    monkeypatch.undo()

    assert len(hooks.queued()) + len(hooks.queued()) == 12
    assert all(len(hooks.deliveries(endpoint["id"])) == 1 for endpoint in endpoints)


def test_attempts_share_one_tls_context(hooks: Hooks, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the CA bundle costs tens of milliseconds of CPU; a deliverer handles ten
    messages at once on a fraction of a core, so it is loaded once per process, not per attempt."""
    hooks.create_endpoint(URL)
    hooks.create_endpoint(URL)
    contexts = mock.Mock(wraps=ssl.create_default_context)
    monkeypatch.setattr(ssl, "create_default_context", contexts)
    with respx.mock() as web:
        web.post(pinned(URL)).respond(200)
        hooks.publish(envelope(hooks.workspace_id))
        hooks.publish(envelope(hooks.workspace_id))
        assert hooks.pump()["records"] == 4
    assert contexts.call_count <= 1


def test_a_private_address_is_refused_at_delivery(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.webhooks.domain import deliveries

    endpoint = hooks.create_endpoint(URL)

    async def rebound(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]  # DNS changed its answer after the endpoint was created

    monkeypatch.setattr(deliveries, "resolver", lambda: rebound)
    with respx.mock(assert_all_mocked=True):
        hooks.publish(envelope(hooks.workspace_id))
        hooks.pump()
    delivery = hooks.deliveries(endpoint["id"])[0]
    assert delivery["status"] == "pending"
    assert "169.254.169.254" in delivery["last_error"]
    assert "link-local" in delivery["last_error"]


def test_an_event_of_a_deleted_workspace_writes_nothing_back(hooks: Hooks) -> None:
    """`workspace.deleted` reaches the fan-out after auth purged the partition: its event log
    and handled-marker must not bring items of the workspace back (docs/auth.md)."""
    hooks.create_endpoint(URL)
    deleted = hooks.herald.client.delete(
        f"/v1/workspaces/{hooks.workspace_id}", headers=hooks.owner.headers
    )
    assert deleted.status_code == 204, deleted.text
    left = workspace_items(hooks.workspace_id)

    result = hooks.publish(envelope(hooks.workspace_id, "workspace.deleted", deleted_by="user:x"))

    assert result == {"deliveries": 0}
    assert workspace_items(hooks.workspace_id) == left
    assert hooks.queued() == []
