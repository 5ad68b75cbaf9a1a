"""`/v1/notifications`: the signed-in member's own notifications in the workspace named by
`X-Workspace-Id`, their channels, and the one-click unsubscribe link of notification emails.

API keys may not call these: a notification belongs to a person (403)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from functions.shared.access import ID_PATTERN, Permissions, Role, WorkspaceAccess
from functions.shared.http.dependencies import Paging, WorkspaceMember
from functions.shared.pagination import Page
from functions.shared.problems import Forbidden
from functions.webhooks.domain.notifications_models import (
    Notification,
    Preferences,
    ReadAll,
    UnreadCount,
    Unsubscribed,
)

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])

NotificationId = Annotated[str, Path(pattern=ID_PATTERN, description="The notification.")]
UnsubscribeToken = Annotated[
    str,
    Query(
        min_length=1,
        max_length=512,
        pattern=r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$",
        description="The signed token of the email's unsubscribe link.",
    ),
]
MEMBERS_ONLY = Permissions.MEMBERS.description + " Only the caller's own notifications."


def _member(access: WorkspaceAccess) -> tuple[str, str, Role]:
    if access.user_id is None or access.role is None:  # MEMBERS already refuses API keys
        raise Forbidden("API keys cannot do this; sign in as a workspace member.")
    return access.workspace_id, access.user_id, access.role


@router.get("", description=MEMBERS_ONLY)
async def list_notifications(
    access: WorkspaceMember,
    paging: Paging,
    unread: Annotated[bool, Query(description="Only unread notifications.")] = False,
) -> Page[Notification]:
    """The caller's notifications in the workspace, newest first."""
    from functions.webhooks.domain import notifications

    workspace_id, user_id, _ = _member(access)
    items, cursor = await run_in_threadpool(
        notifications.list_notifications, workspace_id, user_id, paging, unread=unread
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/unread-count", description=MEMBERS_ONLY)
async def get_unread_notification_count(access: WorkspaceMember) -> UnreadCount:
    from functions.webhooks.domain import notifications

    workspace_id, user_id, _ = _member(access)
    return await run_in_threadpool(notifications.unread_count, workspace_id, user_id)


@router.post("/read-all", description=MEMBERS_ONLY)
async def mark_all_notifications_read(access: WorkspaceMember) -> ReadAll:
    from functions.webhooks.domain import notifications

    workspace_id, user_id, _ = _member(access)
    return await run_in_threadpool(notifications.read_all, workspace_id, user_id)


@router.get("/preferences", description=MEMBERS_ONLY)
async def get_notification_preferences(access: WorkspaceMember) -> Preferences:
    """Per event type, the channels that deliver it: the caller's choices over their role's
    defaults."""
    from functions.webhooks.domain import notifications_preferences

    return await run_in_threadpool(notifications_preferences.get_preferences, *_member(access))


@router.put("/preferences", description=MEMBERS_ONLY)
async def update_notification_preferences(
    access: WorkspaceMember, body: Preferences
) -> Preferences:
    """Set the channels of the event types listed; the others keep theirs."""
    from functions.webhooks.domain import notifications_preferences

    return await run_in_threadpool(
        notifications_preferences.set_preferences, *_member(access), body
    )


@router.get(
    "/unsubscribe",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "The confirmation page."}},
)
async def show_notification_unsubscribe(token: UnsubscribeToken) -> HTMLResponse:
    """The page an unsubscribe link opens: it changes nothing, its button sends the POST. No
    sign-in: the token is the credential."""
    from functions.webhooks.domain import notifications

    return HTMLResponse(await run_in_threadpool(notifications.confirmation_page, token))


@router.post("/unsubscribe")
async def unsubscribe_from_notifications(token: UnsubscribeToken) -> Unsubscribed:
    """RFC 8058 one-click unsubscribe: turns the token's channel off for its event type (every
    type for a digest's link). Mail clients send `List-Unsubscribe=One-Click` as the body,
    which is not needed. No sign-in: the token is the credential."""
    from functions.webhooks.domain import notifications

    unsubscription = await run_in_threadpool(notifications.unsubscribe, token)
    return Unsubscribed(event_type=unsubscription.event_type, channel=str(unsubscription.channel))


@router.post("/{notification_id}/read", description=MEMBERS_ONLY)
async def mark_notification_read(
    access: WorkspaceMember, notification_id: NotificationId
) -> Notification:
    from functions.webhooks.domain import notifications

    workspace_id, user_id, _ = _member(access)
    return await run_in_threadpool(notifications.mark_read, workspace_id, user_id, notification_id)
