"""Webhook endpoints of a workspace: managing them, their secrets, test sends, manual retries
and replays (deliveries themselves: deliveries.py)."""

import asyncio
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

from ulid import ULID

from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.destinations import DestinationRefused
from functions.shared.pagination import PageRequest
from functions.shared.problems import Conflict, FieldError, NotFound, ValidationFailed
from functions.shared.settings import get_settings
from functions.shared.tables import (
    conflict_on_condition_failure,
    key,
    query_page,
    transaction,
    utc_now,
)
from functions.webhooks.adapters import delivery_queue, secret_vault, sender
from functions.webhooks.adapters.items import (
    RETENTION,
    DeliveryItem,
    EndpointItem,
    EventLogItem,
    time_key,
)
from functions.webhooks.domain import deliveries
from functions.webhooks.domain.event_types import TEST_EVENT_TYPE
from functions.webhooks.domain.models import (
    AttemptRecord,
    Delivery,
    Endpoint,
    EndpointCreate,
    EndpointCreated,
    EndpointUpdate,
    ReplayStarted,
    SecretRotated,
)
from functions.webhooks.domain.signing import new_secret

MAX_ENDPOINTS_PER_WORKSPACE = 20
PREVIOUS_SECRET_LIFETIME = timedelta(hours=24)
# Events one replay request queues at most; `resume_since` continues from there.
MAX_REPLAYED_EVENTS = 500


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def endpoint_view(item: EndpointItem) -> Endpoint:
    return Endpoint(
        id=item.endpoint_id,
        url=item.url,
        description=item.description,
        event_types=item.event_types,
        enabled=item.enabled,
        disabled_reason=item.disabled_reason,
        last_success_at=_iso(item.last_success_at),
        failing_since=_iso(item.failing_since),
        created_by=item.created_by,
        created_at=item.created_at.isoformat(),
        updated_at=item.updated_at.isoformat(),
    )


def delivery_view(item: DeliveryItem) -> Delivery:
    return Delivery(
        id=item.delivery_id,
        endpoint_id=item.endpoint_id,
        event_id=item.event_id,
        event_type=item.event_type,
        status=item.status,
        attempts=int(item.attempts),
        last_status_code=None if item.last_status_code is None else int(item.last_status_code),
        last_latency_ms=None if item.last_latency_ms is None else int(item.last_latency_ms),
        last_error=item.last_error,
        response_excerpt=item.response_excerpt,
        next_attempt_at=_iso(item.next_attempt_at),
        attempt_log=[AttemptRecord.model_validate(entry) for entry in item.attempt_log],
        created_at=item.created_at.isoformat(),
        updated_at=item.updated_at.isoformat(),
    )


def _find(workspace_id: str, endpoint_id: str) -> EndpointItem:
    item = EndpointItem.find(workspace_id, endpoint_id)
    if item is None:
        raise NotFound(f"Webhook endpoint {endpoint_id} was not found.")
    return item


def _changed_meanwhile(endpoint_id: str) -> AbstractContextManager[None]:
    return conflict_on_condition_failure(
        f"Webhook endpoint {endpoint_id} changed meanwhile; reload it and retry."
    )


def _checked_url(raw: str) -> str:
    """The URL, if its form is acceptable and its host resolves to allowed addresses only."""
    allow_local_http = get_settings().webhooks_allow_local_http
    try:
        url = sender.endpoint_url(raw, allow_local_http=allow_local_http)
        asyncio.run(
            sender.destination_addresses(
                url, allow_local_http=allow_local_http, resolver=deliveries.resolver()
            )
        )
    except DestinationRefused as refused:
        raise ValidationFailed(
            f"This URL cannot receive webhooks: {refused}.",
            errors=[FieldError(pointer="/body/url", detail=str(refused), code="url_refused")],
        ) from None
    return str(url)


def _save(access: WorkspaceAccess, item: EndpointItem, action: str, *, new: bool) -> None:
    with _changed_meanwhile(item.endpoint_id), transaction() as write:
        if new:
            write.save(item, condition=EndpointItem.pk.does_not_exist())
        else:
            write.save(item)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action=action,
                target=f"webhook_endpoint:{item.endpoint_id}",
            )
        )


def create_endpoint(access: WorkspaceAccess, body: EndpointCreate) -> EndpointCreated:
    if len(EndpointItem.of_workspace(access.workspace_id)) >= MAX_ENDPOINTS_PER_WORKSPACE:
        raise Conflict(
            f"A workspace has at most {MAX_ENDPOINTS_PER_WORKSPACE} webhook endpoints; "
            "delete one first."
        )
    url = _checked_url(body.url)
    endpoint_id = str(ULID())
    secret = new_secret()
    item = EndpointItem(
        *EndpointItem.keys(access.workspace_id, endpoint_id),
        endpoint_id=endpoint_id,
        workspace_id=access.workspace_id,
        url=url,
        description=body.description,
        event_types=body.event_types,
        enabled=body.enabled,
        sealed_secret=secret_vault.seal(
            secret, workspace_id=access.workspace_id, endpoint_id=endpoint_id
        ),
        created_by=access.actor,
    )
    _save(access, item, "webhook_endpoint.created", new=True)
    return EndpointCreated(**endpoint_view(item).model_dump(), secret=secret)


def list_endpoints(access: WorkspaceAccess, page: PageRequest) -> tuple[list[Endpoint], str | None]:
    found, cursor = query_page(EndpointItem, key("WS", access.workspace_id), "WHENDPOINT#", page)
    return [endpoint_view(item) for item in found], cursor


def get_endpoint(access: WorkspaceAccess, endpoint_id: str) -> Endpoint:
    return endpoint_view(_find(access.workspace_id, endpoint_id))


def update_endpoint(access: WorkspaceAccess, endpoint_id: str, body: EndpointUpdate) -> Endpoint:
    item = _find(access.workspace_id, endpoint_id)
    if body.url is not None:
        item.url = _checked_url(body.url)
    if body.description is not None:
        item.description = body.description
    if body.event_types is not None:
        item.event_types = body.event_types
    if body.enabled is not None:
        item.enabled = body.enabled
        if body.enabled:
            item.disabled_reason = None
            item.failing_since = None
    item.updated_at = utc_now()
    _save(access, item, "webhook_endpoint.updated", new=False)
    return endpoint_view(item)


def delete_endpoint(access: WorkspaceAccess, endpoint_id: str) -> None:
    """The endpoint goes; its deliveries stay until they expire, and pending ones fail."""
    item = _find(access.workspace_id, endpoint_id)
    with _changed_meanwhile(endpoint_id), transaction() as write:
        write.delete(item)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="webhook_endpoint.deleted",
                target=f"webhook_endpoint:{endpoint_id}",
            )
        )


def rotate_secret(access: WorkspaceAccess, endpoint_id: str) -> SecretRotated:
    item = _find(access.workspace_id, endpoint_id)
    secret = new_secret()
    expires = utc_now() + PREVIOUS_SECRET_LIFETIME
    item.sealed_previous_secret = item.sealed_secret
    item.previous_secret_expires_at = expires
    item.sealed_secret = secret_vault.seal(
        secret, workspace_id=access.workspace_id, endpoint_id=endpoint_id
    )
    item.updated_at = utc_now()
    _save(access, item, "webhook_endpoint.secret_rotated", new=False)
    return SecretRotated(secret=secret, previous_secret_expires_at=expires.isoformat())


def _enabled(workspace_id: str, endpoint_id: str) -> EndpointItem:
    item = _find(workspace_id, endpoint_id)
    if not item.enabled:
        raise Conflict(f"Webhook endpoint {endpoint_id} is disabled; enable it first.")
    return item


def _queue_new(deliveries_: list[DeliveryItem]) -> None:
    with transaction() as write:
        for delivery in deliveries_:
            write.save(delivery, condition=DeliveryItem.pk.does_not_exist())
    delivery_queue.enqueue([deliveries.first_message(delivery) for delivery in deliveries_])


def send_test(access: WorkspaceAccess, endpoint_id: str) -> Delivery:
    """A `webhook.test` event, to this endpoint only."""
    endpoint = _enabled(access.workspace_id, endpoint_id)
    now = datetime.now(UTC)
    event_id = f"evt_{ULID()}"
    envelope = {
        "id": event_id,
        "type": TEST_EVENT_TYPE,
        "version": 1,
        "workspace_id": access.workspace_id,
        "occurred_at": now.isoformat().replace("+00:00", "Z"),
        "data": {"endpoint_id": endpoint_id, "message": "A test event from Herald."},
    }
    delivery = deliveries.new_delivery(
        endpoint,
        event_id=event_id,
        event_type=TEST_EVENT_TYPE,
        body=deliveries.outbound_body(envelope),
    )
    _queue_new([delivery])
    return delivery_view(delivery)


def list_deliveries(
    access: WorkspaceAccess, endpoint_id: str, page: PageRequest
) -> tuple[list[Delivery], str | None]:
    _find(access.workspace_id, endpoint_id)
    found, cursor = query_page(
        DeliveryItem,
        key("WS", access.workspace_id),
        DeliveryItem.prefix(endpoint_id),
        page,
        newest_first=True,
    )
    return [delivery_view(item) for item in found], cursor


def retry_delivery(access: WorkspaceAccess, endpoint_id: str, delivery_id: str) -> Delivery:
    """One more attempt of a finished delivery, now, with the same `webhook-id`."""
    _enabled(access.workspace_id, endpoint_id)
    delivery = DeliveryItem.find(access.workspace_id, endpoint_id, delivery_id)
    if delivery is None:
        raise NotFound(f"Delivery {delivery_id} was not found.")
    if delivery.status == "pending":
        raise Conflict(f"Delivery {delivery_id} is still being attempted.")
    delivery.status = "pending"
    delivery.retries_left = 0
    delivery.next_attempt_at = utc_now()
    delivery.expires_at = utc_now() + RETENTION
    with conflict_on_condition_failure(f"Delivery {delivery_id} changed meanwhile; retry."):
        delivery.save()
    delivery_queue.enqueue([deliveries.first_message(delivery)])
    return delivery_view(delivery)


def replay(access: WorkspaceAccess, endpoint_id: str, since: datetime) -> ReplayStarted:
    """New deliveries of the workspace's logged events since `since` that the endpoint
    subscribes to, at most MAX_REPLAYED_EVENTS per call."""
    if since.tzinfo is None:
        raise ValidationFailed(
            "The time needs a UTC offset.",
            errors=[
                FieldError(
                    pointer="/body/since",
                    detail="Give an RFC 3339 time with an offset, e.g. 2030-03-01T09:00:00Z.",
                    code="offset_missing",
                )
            ],
        )
    endpoint = _enabled(access.workspace_id, endpoint_id)
    events = EventLogItem.query(
        key("WS", access.workspace_id),
        EventLogItem.sk.between(f"WHEVENT#{time_key(since.astimezone(UTC))}", "WHEVENT$"),
        consistent_read=True,
        limit=MAX_REPLAYED_EVENTS + 1,
    )
    logged = list(events)
    resume_since = None
    if len(logged) > MAX_REPLAYED_EVENTS:
        resume_since = logged[MAX_REPLAYED_EVENTS].occurred_at.isoformat()
        logged = logged[:MAX_REPLAYED_EVENTS]
    replayed = [
        deliveries.new_delivery(
            endpoint,
            event_id=event.event_id,
            event_type=event.event_type,
            body=deliveries.outbound_body(event.envelope),
        )
        for event in logged
        if endpoint.subscribes_to(event.event_type)
    ]
    for start in range(0, len(replayed), 100):  # a transaction holds at most 100 items
        _queue_new(replayed[start : start + 100])
    return ReplayStarted(queued=len(replayed), resume_since=resume_since)
