"""Deliveries and admins writing the same endpoint, and what one attempt costs in AWS calls.

An admin's edit is guarded by the endpoint's version (optimistic locking: a write conditional on
the version read, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/BestPractices_OptimisticLocking.html);
delivery results are written beside it without changing that version, so they never make an
edit answer 409, while two edits at once still do. An attempt is claimed with one conditional
UpdateItem that returns the delivery (`ReturnValues=ALL_NEW`,
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html).
"""

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.client
import pytest
import respx
import time_machine

from functions.shared import sealing
from functions.webhooks.domain import deliveries
from tests.support.event_bus import bus_listener, received
from tests.webhooks.hooks_world import Hooks, envelope, fake_resolve, pinned

URL = "https://hooks.example.com/herald"
NEW_URL = "https://other.example.com/herald"


def while_the_patch_checks_its_url(
    monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]
) -> None:
    """`meanwhile` runs once while a PATCH resolves NEW_URL's host: after the PATCH read the
    endpoint, before it writes it."""
    pending = [meanwhile]

    async def resolve(host: str, port: int) -> list[str]:
        if host == "other.example.com" and pending:
            pending.pop()()
        return await fake_resolve(host, port)

    monkeypatch.setattr(deliveries, "resolver", lambda: resolve)


def delivered(hooks: Hooks, status: int) -> Callable[[], None]:
    """A new event fanned out and attempted, the receiver answering `status`."""

    def deliver() -> None:
        with respx.mock() as web:
            web.post(pinned(URL)).respond(status)
            hooks.publish(envelope(hooks.workspace_id))
            assert hooks.pump()["records"] == 1

    return deliver


def patch(hooks: Hooks, endpoint_id: str, body: dict[str, Any]) -> Any:
    return hooks.client.patch(
        f"/v1/webhooks/endpoints/{endpoint_id}", json=body, headers=hooks.headers
    )


def test_deliveries_recorded_while_an_admin_edits_do_not_make_the_edit_conflict(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = hooks.create_endpoint(URL)

    def success_then_failure() -> None:
        delivered(hooks, 200)()
        delivered(hooks, 503)()

    while_the_patch_checks_its_url(monkeypatch, success_then_failure)
    edited = patch(hooks, endpoint["id"], {"url": NEW_URL, "description": "moved"})

    assert edited.status_code == 200, edited.text
    after = hooks.endpoint(endpoint["id"])
    assert (after["url"], after["description"], after["enabled"]) == (NEW_URL, "moved", True)
    # The health the deliveries recorded meanwhile is kept, not overwritten by the edit.
    assert after["last_success_at"] is not None
    assert after["failing_since"] is not None
    assert edited.json() == after


def test_of_two_admin_edits_at_once_the_second_answers_409(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = hooks.create_endpoint(URL)
    first: list[int] = []
    while_the_patch_checks_its_url(
        monkeypatch,
        lambda: first.append(patch(hooks, endpoint["id"], {"description": "first"}).status_code),
    )

    second = patch(hooks, endpoint["id"], {"url": NEW_URL, "description": "second"})

    assert first == [200]
    assert second.status_code == 409, second.text
    assert "changed meanwhile" in second.json()["detail"]
    after = hooks.endpoint(endpoint["id"])
    assert (after["url"], after["description"]) == (URL, "first")


def test_herald_disabling_an_endpoint_during_an_edit_stands_unless_the_edit_enables_it(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The edit writes only what it names: a disabling meanwhile stays, unless the admin says
    `enabled: true`, which is the last word."""
    gone = "the endpoint answered 410 Gone"
    kept_disabled = hooks.create_endpoint(URL)
    while_the_patch_checks_its_url(monkeypatch, delivered(hooks, 410))
    edited = patch(hooks, kept_disabled["id"], {"url": NEW_URL})
    assert edited.status_code == 200, edited.text
    after = hooks.endpoint(kept_disabled["id"])
    assert (after["url"], after["enabled"], after["disabled_reason"]) == (NEW_URL, False, gone)

    hooks.client.delete(f"/v1/webhooks/endpoints/{kept_disabled['id']}", headers=hooks.headers)
    re_enabled = hooks.create_endpoint(URL)
    while_the_patch_checks_its_url(monkeypatch, delivered(hooks, 410))
    edited = patch(hooks, re_enabled["id"], {"url": NEW_URL, "enabled": True})
    assert edited.status_code == 200, edited.text
    after = hooks.endpoint(re_enabled["id"])
    assert (after["enabled"], after["disabled_reason"], after["failing_since"]) == (
        True,
        None,
        None,
    )


def test_an_attempt_that_read_the_endpoint_before_an_edit_does_not_disable_it(
    hooks: Hooks,
) -> None:
    """The 410 answered the URL the attempt read; the admin changed the endpoint since, so that
    verdict no longer applies: the failure is noted, the endpoint stays enabled, and nothing is
    announced."""
    from functions.webhooks.adapters.items import EndpointItem

    disablings = bus_listener("webhook.endpoint_disabled")
    endpoint = hooks.create_endpoint(URL)
    read_by_the_attempt = EndpointItem.find(hooks.workspace_id, endpoint["id"])
    assert read_by_the_attempt is not None
    assert patch(hooks, endpoint["id"], {"url": NEW_URL}).status_code == 200

    deliveries._endpoint_failed(
        read_by_the_attempt, datetime.now(UTC), "the endpoint answered 410 Gone"
    )

    after = hooks.endpoint(endpoint["id"])
    assert (after["enabled"], after["disabled_reason"]) == (True, None)
    assert after["failing_since"] is not None
    assert received(disablings) == []


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS API call any client makes (boto3's and PynamoDB's go through botocore's
    `BaseClient._make_api_call`), by operation name."""
    calls: list[str] = []
    make_api_call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]  # private, unstubbed

    def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return make_api_call(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    return calls


def calls_of_one_attempt(hooks: Hooks, aws_calls: list[str], status: int) -> Counter[str]:
    """The AWS calls the deliverer makes for one queued attempt, the receiver answering
    `status` (fanning out and receiving the message are not counted)."""
    with respx.mock() as web:
        web.post(pinned(URL)).respond(status)
        hooks.publish(envelope(hooks.workspace_id))
        (message,) = hooks.queued()
        aws_calls.clear()
        assert hooks.deliver([message]) == {"batchItemFailures": [], "records": 1}
    return Counter(aws_calls)


def test_an_attempt_to_a_steady_endpoint_costs_three_aws_calls(
    hooks: Hooks, aws_calls: list[str]
) -> None:
    """Claim the attempt (UpdateItem returning the delivery), read the endpoint (GetItem),
    record the outcome (PutItem). Its secret's data key is opened by KMS once per warm process
    (functions/shared/sealing.py), and a success is written on the endpoint at most once a
    minute while it is not failing."""
    endpoint = hooks.create_endpoint(URL)
    sealing.opened_keys.clear()
    steady = Counter({"UpdateItem": 1, "GetItem": 1, "PutItem": 1})
    start = datetime.now(UTC)

    with time_machine.travel(start, tick=False):
        first = calls_of_one_attempt(hooks, aws_calls, 200)
    # The data key opened, the first success noted on the endpoint.
    assert first == steady + Counter({"Decrypt": 1, "UpdateItem": 1})
    noted = hooks.endpoint(endpoint["id"])["last_success_at"]
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert calls_of_one_attempt(hooks, aws_calls, 200) == steady
    assert hooks.endpoint(endpoint["id"])["last_success_at"] == noted
    with time_machine.travel(start + timedelta(minutes=1, seconds=1), tick=False):
        assert calls_of_one_attempt(hooks, aws_calls, 200) == steady + Counter({"UpdateItem": 1})
    assert hooks.endpoint(endpoint["id"])["last_success_at"] != noted

    # A rotation changes the sealed secret, so the new one is opened at once (the previous one
    # still signs, its data key already open).
    rotated = hooks.client.post(
        f"/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret", headers=hooks.headers
    )
    assert rotated.status_code == 200, rotated.text
    with time_machine.travel(start + timedelta(minutes=1, seconds=30), tick=False):
        assert calls_of_one_attempt(hooks, aws_calls, 200) == steady + Counter({"Decrypt": 1})


def test_a_failed_attempt_costs_its_retry_message_and_the_failure_noted(
    hooks: Hooks, aws_calls: list[str]
) -> None:
    hooks.create_endpoint(URL)
    calls_of_one_attempt(hooks, aws_calls, 200)  # the data key opened
    retried = calls_of_one_attempt(hooks, aws_calls, 503)
    assert retried == Counter({"UpdateItem": 2, "GetItem": 1, "PutItem": 1, "SendMessageBatch": 1})
