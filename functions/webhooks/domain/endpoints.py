"""Webhook endpoints of a workspace: managing them, their secrets, test sends, manual retries
and replays (deliveries themselves: deliveries.py)."""

import asyncio
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite
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


@contextmanager
def _with_activity(
    access: WorkspaceAccess, endpoint_id: str, action: str
) -> Iterator[TransactWrite]:
    """A transaction that also logs `action` on the endpoint in the workspace's activity."""
    with _changed_meanwhile(endpoint_id), transaction() as write:
        yield write
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action=action,
                target=f"webhook_endpoint:{endpoint_id}",
            )
        )


def _edit(access: WorkspaceAccess, item: EndpointItem, actions: list[Action], action: str) -> None:
    """An admin's change of the endpoint read as `item`: only the attributes named, so the
    delivery health recorded meanwhile stays, and only at the version read, so of two edits at
    once the second answers 409 (deliveries never change the version)."""
    with _with_activity(access, item.endpoint_id, action) as write:
        write.update(
            item,
            actions=[*actions, EndpointItem.updated_at.set(utc_now())],
            condition=EndpointItem.pk.exists(),
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
    with _with_activity(access, endpoint_id, "webhook_endpoint.created") as write:
        write.save(item, condition=EndpointItem.pk.does_not_exist())
    return EndpointCreated(**endpoint_view(item).model_dump(), secret=secret)


def list_endpoints(access: WorkspaceAccess, page: PageRequest) -> tuple[list[Endpoint], str | None]:
    found, cursor = query_page(EndpointItem, key("WS", access.workspace_id), "WHENDPOINT#", page)
    return [endpoint_view(item) for item in found], cursor


def get_endpoint(access: WorkspaceAccess, endpoint_id: str) -> Endpoint:
    return endpoint_view(_find(access.workspace_id, endpoint_id))


def update_endpoint(access: WorkspaceAccess, endpoint_id: str, body: EndpointUpdate) -> Endpoint:
    """The change as asked; an explicit `enabled` is the admin's word and wins over Herald
    disabling the endpoint meanwhile (docs/webhooks.md, "Endpoint health")."""
    item = _find(access.workspace_id, endpoint_id)
    actions: list[Action] = []
    if body.url is not None:
        actions.append(EndpointItem.url.set(_checked_url(body.url)))
    if body.description is not None:
        actions.append(EndpointItem.description.set(body.description))
    if body.event_types is not None:
        actions.append(EndpointItem.event_types.set(body.event_types))
    if body.enabled is not None:
        actions.append(EndpointItem.enabled.set(body.enabled))
        if body.enabled:
            actions += [EndpointItem.disabled_reason.remove(), EndpointItem.failing_since.remove()]
    _edit(access, item, actions, "webhook_endpoint.updated")
    return get_endpoint(access, endpoint_id)


def delete_endpoint(access: WorkspaceAccess, endpoint_id: str) -> None:
    """The endpoint goes; its deliveries stay until they expire, and pending ones fail."""
    item = _find(access.workspace_id, endpoint_id)
    with _with_activity(access, endpoint_id, "webhook_endpoint.deleted") as write:
        write.delete(item)


def rotate_secret(access: WorkspaceAccess, endpoint_id: str) -> SecretRotated:
    item = _find(access.workspace_id, endpoint_id)
    secret = new_secret()
    expires = utc_now() + PREVIOUS_SECRET_LIFETIME
    sealed = secret_vault.seal(secret, workspace_id=access.workspace_id, endpoint_id=endpoint_id)
    _edit(
        access,
        item,
        [
            EndpointItem.sealed_previous_secret.set(item.sealed_secret),
            EndpointItem.previous_secret_expires_at.set(expires),
            EndpointItem.sealed_secret.set(sealed),
        ],
        "webhook_endpoint.secret_rotated",
    )
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
