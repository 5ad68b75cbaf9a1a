"""Tracking keys of the workspace: publishable write keys for web pages and server keys."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from starlette.concurrency import run_in_threadpool

from functions.analytics.domain.models import TrackingKey, TrackingKeyCreate, TrackingKeyCreated
from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import Paging, WorkspaceAdmin
from functions.shared.pagination import Page

router = APIRouter(prefix="/v1/analytics/keys", tags=["analytics"])

KeyId = Annotated[str, Path(pattern=ID_PATTERN, description="The tracking key.")]
ADMINS = Permissions.ADMINS.description


@router.post("", status_code=status.HTTP_201_CREATED, description=ADMINS)
async def create_tracking_key(
    access: WorkspaceAdmin, body: TrackingKeyCreate
) -> TrackingKeyCreated:
    """A new key; the answer holds it, shown this once."""
    from functions.analytics.domain import keys

    return await run_in_threadpool(keys.create_key, access, body)


@router.get("", description=ADMINS)
async def list_tracking_keys(access: WorkspaceAdmin, paging: Paging) -> Page[TrackingKey]:
    from functions.analytics.domain import keys

    items, cursor = await run_in_threadpool(keys.list_keys, access, paging)
    return Page(items=items, next_cursor=cursor)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, description=ADMINS)
async def revoke_tracking_key(access: WorkspaceAdmin, key_id: KeyId) -> Response:
    """The key stops working at once."""
    from functions.analytics.domain import keys

    await run_in_threadpool(keys.revoke_key, access, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
