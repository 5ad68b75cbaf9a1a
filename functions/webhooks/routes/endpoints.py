"""Outbound webhook endpoints of the workspace, their deliveries, retries and replays."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from starlette.concurrency import run_in_threadpool

from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import Paging, WebhooksManager, WebhooksReader
from functions.shared.pagination import Page
from functions.webhooks.domain.models import (
    Delivery,
    Endpoint,
    EndpointCreate,
    EndpointCreated,
    EndpointUpdate,
    ReplayRequest,
    ReplayStarted,
    SecretRotated,
)

router = APIRouter(prefix="/v1/webhooks/endpoints", tags=["webhooks"])

EndpointId = Annotated[str, Path(pattern=ID_PATTERN, description="The webhook endpoint.")]
DeliveryId = Annotated[str, Path(pattern=ID_PATTERN, description="The delivery.")]
READ = Permissions.WEBHOOKS_READ.description
WRITE = Permissions.WEBHOOKS_WRITE.description


@router.post("", status_code=status.HTTP_201_CREATED, description=WRITE)
async def create_webhook_endpoint(access: WebhooksManager, body: EndpointCreate) -> EndpointCreated:
    """A new endpoint; the answer holds its signing secret, shown this once."""
    from functions.webhooks.domain import endpoints

    return await run_in_threadpool(endpoints.create_endpoint, access, body)


@router.get("", description=READ)
async def list_webhook_endpoints(access: WebhooksReader, paging: Paging) -> Page[Endpoint]:
    from functions.webhooks.domain import endpoints

    items, cursor = await run_in_threadpool(endpoints.list_endpoints, access, paging)
    return Page(items=items, next_cursor=cursor)


@router.get("/{endpoint_id}", description=READ)
async def get_webhook_endpoint(access: WebhooksReader, endpoint_id: EndpointId) -> Endpoint:
    from functions.webhooks.domain import endpoints

    return await run_in_threadpool(endpoints.get_endpoint, access, endpoint_id)


@router.patch("/{endpoint_id}", description=WRITE)
async def update_webhook_endpoint(
    access: WebhooksManager, endpoint_id: EndpointId, body: EndpointUpdate
) -> Endpoint:
    """Change the URL, description, event types or enabled flag; enabling clears the reason
    Herald disabled it for."""
    from functions.webhooks.domain import endpoints

    return await run_in_threadpool(endpoints.update_endpoint, access, endpoint_id, body)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, description=WRITE)
async def delete_webhook_endpoint(access: WebhooksManager, endpoint_id: EndpointId) -> Response:
    from functions.webhooks.domain import endpoints

    await run_in_threadpool(endpoints.delete_endpoint, access, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret", description=WRITE)
async def rotate_webhook_secret(access: WebhooksManager, endpoint_id: EndpointId) -> SecretRotated:
    """A new signing secret, shown this once; the previous one signs too for 24 hours."""
    from functions.webhooks.domain import endpoints

    return await run_in_threadpool(endpoints.rotate_secret, access, endpoint_id)


@router.post("/{endpoint_id}/test", status_code=status.HTTP_202_ACCEPTED, description=WRITE)
async def send_webhook_test(access: WebhooksManager, endpoint_id: EndpointId) -> Delivery:
    """Queue a `webhook.test` event to this endpoint only; follow it in its deliveries."""
    from functions.webhooks.domain import endpoints

    return await run_in_threadpool(endpoints.send_test, access, endpoint_id)


@router.get("/{endpoint_id}/deliveries", description=READ)
async def list_webhook_deliveries(
    access: WebhooksReader, endpoint_id: EndpointId, paging: Paging
) -> Page[Delivery]:
    """The endpoint's deliveries of the last 30 days, newest first."""
    from functions.webhooks.domain import endpoints

    items, cursor = await run_in_threadpool(endpoints.list_deliveries, access, endpoint_id, paging)
    return Page(items=items, next_cursor=cursor)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    description=WRITE,
)
async def retry_webhook_delivery(
    access: WebhooksManager, endpoint_id: EndpointId, delivery_id: DeliveryId
) -> Delivery:
    """One more attempt of a delivered or failed delivery, now, keeping its `webhook-id`."""
    from functions.webhooks.domain import endpoints

    return await run_in_threadpool(endpoints.retry_delivery, access, endpoint_id, delivery_id)


@router.post("/{endpoint_id}/replay", status_code=status.HTTP_202_ACCEPTED, description=WRITE)
async def replay_webhook_events(
    access: WebhooksManager, endpoint_id: EndpointId, body: ReplayRequest
) -> ReplayStarted:
    """Send again every event of the workspace since a time that the endpoint subscribes to
    (at most 500 per request; `resume_since` continues)."""
    from functions.webhooks.domain import endpoints

    return await run_in_threadpool(endpoints.replay, access, endpoint_id, body.since)
