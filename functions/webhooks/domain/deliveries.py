"""Deliveries: an event fanned out to the endpoints that subscribe to it, and each attempt to
deliver it, retried on the schedule of docs/webhooks.md ("Retries").

At-least-once with duplicates absorbed: the fan-out skips an event it has handled (by id), its
delivery ids are derived from the event and the endpoint so a fan-out run again rewrites nothing,
and each queued message names the attempt it makes, claimed with a versioned save, so a
duplicated message makes no second attempt.
"""

import asyncio
import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from ulid import ULID

from functions.shared.destinations import DestinationRefused, Resolver, system_resolve
from functions.shared.event_catalogue import WebhookEndpointDisabledData
from functions.shared.events import DomainEvent, write_event
from functions.shared.identity_items import WorkspaceItem
from functions.shared.observability import logger, metrics
from functions.shared.settings import get_settings
from functions.shared.tables import condition_failed, transaction, utc_now
from functions.webhooks.adapters import delivery_queue, secret_vault, sender
from functions.webhooks.adapters.delivery_queue import DeliveryMessage
from functions.webhooks.adapters.items import (
    RETENTION,
    DeliveryClaim,
    DeliveryItem,
    EndpointHealthItem,
    EndpointItem,
    EventClaimItem,
    EventLogItem,
)

# Waits after the 1st, 2nd, ... failed attempt: 8 attempts over about 28 hours.
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
# The longest Retry-After honoured; a longer one waits this long.
MAX_RETRY_AFTER = timedelta(hours=10)
DISABLE_AFTER_FAILING = timedelta(days=5)
# A success is written on the endpoint at most this often while it is not failing: its
# `last_success_at` is that coarse, and a busy endpoint costs one write a minute, not one a
# delivery.
SUCCESS_NOTED_EVERY = timedelta(minutes=1)
MAX_LOGGED_ATTEMPTS = 20
CONSUMER = "webhooks"
# Announces an endpoint disabled for failing; the notifier tells the workspace's admins.
ENDPOINT_DISABLED = "webhook.endpoint_disabled"
# The delivery failure rate (alarmed in CDK) is failed attempts over attempts.
ATTEMPTS_METRIC = "WebhookAttempts"
FAILED_ATTEMPTS_METRIC = "WebhookAttemptsFailed"
USER_AGENT = "Herald-Webhooks/1"


def outbound_body(envelope: dict[str, Any]) -> str:
    """The Standard Webhooks payload of an event envelope: type, timestamp and data (with the
    workspace id)."""
    return json.dumps(
        {
            "type": envelope["type"],
            "timestamp": envelope["occurred_at"],
            "data": {**envelope["data"], "workspace_id": envelope["workspace_id"]},
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def new_delivery(
    endpoint: EndpointItem,
    *,
    event_id: str,
    event_type: str,
    body: str,
    delivery_id: str | None = None,
) -> DeliveryItem:
    delivery_id = delivery_id or str(ULID())
    return DeliveryItem(
        *DeliveryItem.keys(endpoint.workspace_id, endpoint.endpoint_id, delivery_id),
        delivery_id=delivery_id,
        endpoint_id=endpoint.endpoint_id,
        workspace_id=endpoint.workspace_id,
        event_id=event_id,
        event_type=event_type,
        body=body,
        status="pending",
        attempts=0,
        retries_left=len(RETRY_SCHEDULE),
        next_attempt_at=utc_now(),
        expires_at=utc_now() + RETENTION,
    )


def first_message(delivery: DeliveryItem) -> DeliveryMessage:
    return DeliveryMessage(
        workspace_id=delivery.workspace_id,
        endpoint_id=delivery.endpoint_id,
        delivery_id=delivery.delivery_id,
        attempt=int(delivery.attempts),
    )


def _fan_out_delivery_id(event_id: str, endpoint_id: str, occurred_at: datetime) -> str:
    """The same id each time this event is fanned out to this endpoint."""
    milliseconds = int(occurred_at.timestamp() * 1000).to_bytes(6, "big")
    randomness = hashlib.sha256(f"{event_id}/{endpoint_id}".encode()).digest()[:10]
    return str(ULID(milliseconds + randomness))


def subscribed_endpoints(workspace_id: str, event_type: str) -> list[EndpointItem]:
    return [
        endpoint
        for endpoint in EndpointItem.of_workspace(workspace_id)
        if endpoint.enabled and endpoint.subscribes_to(event_type)
    ]


def fan_out(envelope: dict[str, Any]) -> int:
    """Log the event for replays and queue one delivery per subscribed, enabled endpoint;
    the number of deliveries (0 for a duplicate)."""
    workspace_id = envelope["workspace_id"]
    event_id = envelope["id"]
    if WorkspaceItem.find(workspace_id) is None:
        # Deleted, its partition purged (`workspace.deleted` itself among them): no endpoint is
        # left, and the event log must not bring items of it back.
        logger.info("Event of a deleted workspace skipped", extra={"event_id": event_id})
        return 0
    if EventClaimItem.find_key(*EventClaimItem.keys(workspace_id, CONSUMER, event_id)):
        logger.info("Duplicate event skipped", extra={"event_id": event_id})
        return 0
    occurred_at = datetime.fromisoformat(envelope["occurred_at"]).astimezone(UTC)
    EventLogItem(
        *EventLogItem.keys(workspace_id, occurred_at, event_id),
        event_id=event_id,
        event_type=envelope["type"],
        occurred_at=occurred_at,
        envelope=envelope,
        expires_at=utc_now() + RETENTION,
    ).save(add_version_condition=False)
    body = outbound_body(envelope)
    deliveries = [
        new_delivery(
            endpoint,
            event_id=event_id,
            event_type=envelope["type"],
            body=body,
            delivery_id=_fan_out_delivery_id(event_id, endpoint.endpoint_id, occurred_at),
        )
        for endpoint in subscribed_endpoints(workspace_id, envelope["type"])
    ]
    # Side by side (a workspace has at most 20 endpoints): one write after another would hold
    # the last endpoint's delivery back by a round trip per endpoint before it.
    with ThreadPoolExecutor(max_workers=max(1, len(deliveries))) as pool:
        list(pool.map(_write_new, deliveries))
    delivery_queue.enqueue([first_message(delivery) for delivery in deliveries])
    mark_handled(workspace_id, event_id)
    return len(deliveries)


def _write_new(delivery: DeliveryItem) -> None:
    try:
        delivery.save(condition=DeliveryItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        # Written by an earlier run that stopped before marking the event handled: queue it
        # again; the attempt's claim absorbs a duplicate.


def mark_handled(workspace_id: str, event_id: str) -> None:
    """The conditional put that makes this event's duplicates skipped."""
    claim = EventClaimItem(
        *EventClaimItem.keys(workspace_id, CONSUMER, event_id), expires_at=utc_now() + RETENTION
    )
    try:
        claim.save(condition=EventClaimItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def _signing_secrets(endpoint: EndpointItem, now: datetime) -> list[str]:
    sealed = [endpoint.sealed_secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.sealed_previous_secret and expires is not None and expires > now:
        sealed.append(endpoint.sealed_previous_secret)
    return [
        secret_vault.unseal(
            secret, workspace_id=endpoint.workspace_id, endpoint_id=endpoint.endpoint_id
        )
        for secret in sealed
    ]


def signed_headers(endpoint: EndpointItem, delivery: DeliveryItem, now: datetime) -> dict[str, str]:
    from functions.webhooks.domain.signing import signature_header

    timestamp = int(now.timestamp())
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            _signing_secrets(endpoint, now), delivery.event_id, timestamp, delivery.body.encode()
        ),
    }


def handle_message(message: DeliveryMessage) -> None:
    """Make the attempt the message names, unless it is stale or not due yet."""
    if message.not_before is not None and message.not_before > time.time():
        remaining = int(message.not_before - time.time()) + 1
        delivery_queue.enqueue([message], delay_seconds=remaining)
        return
    delivery = _claim(message)
    if delivery is None:
        return  # a duplicate, or an attempt already made
    endpoint = EndpointItem.find(message.workspace_id, message.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        delivery.status = "failed"
        delivery.attempts = message.attempt  # claimed, but not made
        delivery.last_error = (
            "the endpoint was deleted" if endpoint is None else ("the endpoint is disabled")
        )
        delivery.save()
        return
    _attempt(endpoint, delivery)


def _claim(message: DeliveryMessage) -> DeliveryItem | None:
    """The delivery with the message's attempt claimed, or None if it is not the next attempt
    of a pending delivery (a duplicated or stale message): one conditional update, which a
    concurrent duplicate fails."""
    keys = DeliveryItem.keys(message.workspace_id, message.endpoint_id, message.delivery_id)
    try:
        claimed = DeliveryClaim(*keys).update(
            actions=[
                DeliveryClaim.attempts.add(1),
                DeliveryClaim.next_attempt_at.remove(),
                DeliveryClaim.version.add(1),
            ],
            condition=DeliveryClaim.pk.exists()
            & (DeliveryClaim.status == "pending")
            & (DeliveryClaim.attempts == message.attempt),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return DeliveryItem.from_raw_data(claimed["Attributes"])


def _attempt(endpoint: EndpointItem, delivery: DeliveryItem) -> None:
    now = utc_now()
    allow_local_http = get_settings().webhooks_allow_local_http
    try:
        url = sender.endpoint_url(endpoint.url, allow_local_http=allow_local_http)
    except DestinationRefused as refused:
        outcome = sender.Outcome(None, 0, error=f"refused: {refused}")
    else:
        outcome = asyncio.run(
            sender.post(
                url,
                delivery.body.encode(),
                signed_headers(endpoint, delivery, now),
                allow_local_http=allow_local_http,
                resolver=resolver(),
            )
        )
    _record(delivery, outcome, now)
    status = outcome.status_code
    succeeded = status is not None and 200 <= status < 300
    metrics.add_metric(name=ATTEMPTS_METRIC, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name=FAILED_ATTEMPTS_METRIC, unit=MetricUnit.Count, value=int(not succeeded))
    if succeeded:
        delivery.status = "delivered"
        delivery.save()
        _endpoint_succeeded(endpoint, now)
        return
    retryable = status is None or status == 429 or status >= 500
    if retryable and delivery.retries_left > 0:
        wait = RETRY_SCHEDULE[len(RETRY_SCHEDULE) - int(delivery.retries_left)]
        if status == 429 and outcome.retry_after_seconds is not None:
            wait = max(wait, min(timedelta(seconds=outcome.retry_after_seconds), MAX_RETRY_AFTER))
        delivery.retries_left -= 1
        delivery.next_attempt_at = now + wait
        delivery.save()
        delivery_queue.enqueue(
            [
                DeliveryMessage(
                    workspace_id=delivery.workspace_id,
                    endpoint_id=delivery.endpoint_id,
                    delivery_id=delivery.delivery_id,
                    attempt=int(delivery.attempts),
                    not_before=delivery.next_attempt_at.timestamp(),
                )
            ],
            delay_seconds=int(wait.total_seconds()),
        )
    else:
        delivery.status = "failed"
        delivery.save()
    gone = "the endpoint answered 410 Gone" if status == 410 else None
    _endpoint_failed(endpoint, now, gone)


def _record(delivery: DeliveryItem, outcome: sender.Outcome, now: datetime) -> None:
    delivery.last_status_code = outcome.status_code
    delivery.last_latency_ms = outcome.latency_ms
    delivery.last_error = outcome.error
    delivery.response_excerpt = outcome.excerpt
    entry = {
        "at": now.isoformat(),
        "status_code": outcome.status_code,
        "latency_ms": outcome.latency_ms,
        "error": outcome.error,
    }
    delivery.attempt_log = [*delivery.attempt_log, entry][-MAX_LOGGED_ATTEMPTS:]


def _endpoint_succeeded(endpoint: EndpointItem, now: datetime) -> None:
    """Note the success, unless the endpoint was read not failing with a success noted lately:
    that write would change nothing but `last_success_at` by moments."""
    noted = endpoint.last_success_at
    if endpoint.failing_since is None and noted is not None and now - noted < SUCCESS_NOTED_EVERY:
        return
    _note_health(
        endpoint,
        [EndpointHealthItem.last_success_at.set(now), EndpointHealthItem.failing_since.remove()],
    )


def _endpoint_failed(endpoint: EndpointItem, now: datetime, disable_because: str | None) -> None:
    """Note the failure; disable the endpoint on a 410, or after 5 days without a success."""
    failing_since = endpoint.failing_since or now
    still_failing = EndpointHealthItem.pk.exists()
    if disable_because is None and now - failing_since >= DISABLE_AFTER_FAILING:
        disable_because = (
            f"no successful delivery since {failing_since.isoformat()} "
            f"({DISABLE_AFTER_FAILING.days} days of failures)"
        )
        # Not if a success cleared the failures since it was read.
        still_failing &= EndpointHealthItem.failing_since <= now - DISABLE_AFTER_FAILING
    # Set only if unset: a concurrent failure may have set it first.
    note_failure = EndpointHealthItem.failing_since.set(EndpointHealthItem.failing_since | now)
    disabled = disable_because is not None and _disable(
        endpoint, failing_since, disable_because, [note_failure], still_failing
    )
    if not disabled:
        _note_health(endpoint, [note_failure])


def _disable(
    endpoint: EndpointItem,
    failing_since: datetime,
    reason: str,
    actions: list[Action],
    condition: Condition,
) -> bool:
    """Disable the endpoint and write `webhook.endpoint_disabled` in one transaction, so the
    admins hear of every disabling and of no other; whether it did. Only if `condition` holds,
    the endpoint is still enabled and no admin edited it since the attempt read it (an edit
    meanwhile, a re-enabling or a new URL, wins over this attempt's verdict): of two failures
    disabling it at once, one writes the event."""
    health = EndpointHealthItem.of(endpoint)
    try:
        with transaction() as write:
            write.update(
                health,
                actions=[
                    *actions,
                    EndpointHealthItem.enabled.set(False),
                    EndpointHealthItem.disabled_reason.set(reason),
                ],
                condition=condition
                & (EndpointHealthItem.enabled == True)  # noqa: E712
                & (EndpointHealthItem.version == endpoint.version),
            )
            write_event(
                write,
                DomainEvent(
                    "webhooks",
                    ENDPOINT_DISABLED,
                    endpoint.workspace_id,
                    WebhookEndpointDisabledData(
                        endpoint_id=endpoint.endpoint_id,
                        reason=reason,
                        failing_since=failing_since,
                    ).data(),
                ),
            )
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        # Deleted, disabled already (by a concurrent failure or a person), edited, or no longer
        # failing.
        return False
    logger.info(
        "Webhook endpoint disabled", extra={"endpoint_id": endpoint.endpoint_id, "reason": reason}
    )
    return True


def _note_health(endpoint: EndpointItem, actions: list[Action]) -> None:
    """Record a delivery's result on the endpoint without changing its version (an admin's edit
    meanwhile neither voids the result nor is voided by it), unless it was deleted meanwhile."""
    try:
        EndpointHealthItem.of(endpoint).update(
            actions=actions, condition=EndpointHealthItem.pk.exists()
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def resolver() -> Resolver:
    """The DNS resolver deliveries use (tests answer DNS themselves)."""
    return system_resolve
