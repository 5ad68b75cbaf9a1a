"""Workspaces (brands), members, invites, API keys and the activity log."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from starlette.concurrency import run_in_threadpool

from functions.auth.domain.models import (
    Activity,
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    Invite,
    InviteCreate,
    Member,
    MemberUpdate,
    Workspace,
    WorkspaceCreate,
    WorkspaceUpdate,
)
from functions.shared.access import ID_PATTERN, Permissions, WorkspaceAccess
from functions.shared.http.dependencies import (
    CurrentUser,
    Paging,
    require_workspace_in_path,
)
from functions.shared.pagination import Page

router = APIRouter(prefix="/v1/workspaces", tags=["workspaces"])
invites_router = APIRouter(prefix="/v1/invites", tags=["workspaces"])

NO_CONTENT = status.HTTP_204_NO_CONTENT
ItemId = Annotated[str, Path(pattern=ID_PATTERN)]


ReadAccess = Annotated[
    WorkspaceAccess, Depends(require_workspace_in_path(Permissions.WORKSPACE_READ))
]
ActivityAccess = Annotated[
    WorkspaceAccess, Depends(require_workspace_in_path(Permissions.ACTIVITY_READ))
]
MemberAccess = Annotated[WorkspaceAccess, Depends(require_workspace_in_path(Permissions.MEMBERS))]
AdminAccess = Annotated[WorkspaceAccess, Depends(require_workspace_in_path(Permissions.ADMINS))]
OwnerAccess = Annotated[WorkspaceAccess, Depends(require_workspace_in_path(Permissions.OWNERS))]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_workspace(principal: CurrentUser, body: WorkspaceCreate) -> Workspace:
    """Create a workspace; you become its owner (and it becomes your default if you had none).

    Slugs are unique: a slug asked for that another workspace holds is 409; without one, the
    name's slug is used, numbered (`acme-2`) if taken."""
    from functions.auth.domain import workspaces

    return await run_in_threadpool(workspaces.create_workspace, principal, body)


@router.get("")
async def list_workspaces(principal: CurrentUser, page: Paging) -> Page[Workspace]:
    """The workspaces you belong to, each with your role."""
    from functions.auth.domain import workspaces

    items, cursor = await run_in_threadpool(workspaces.list_my_workspaces, principal, page)
    return Page(items=items, next_cursor=cursor)


@router.get("/{workspace_id}", description=Permissions.WORKSPACE_READ.description)
async def get_workspace(access: ReadAccess) -> Workspace:
    from functions.auth.domain import workspaces

    return await run_in_threadpool(workspaces.get_workspace, access)


@router.patch("/{workspace_id}", description=Permissions.ADMINS.description)
async def update_workspace(access: AdminAccess, body: WorkspaceUpdate) -> Workspace:
    """Change name, slug, logo or time zone; a slug another workspace holds is 409, and the old
    slug is freed."""
    from functions.auth.domain import workspaces

    return await run_in_threadpool(workspaces.update_workspace, access, body)


@router.delete(
    "/{workspace_id}", description=Permissions.OWNERS.description, status_code=NO_CONTENT
)
async def delete_workspace(access: OwnerAccess) -> None:
    """Delete the workspace: every member loses access at once, and what it held is removed."""
    from functions.auth.domain import workspaces

    await run_in_threadpool(workspaces.delete_workspace, access)


@router.post("/{workspace_id}/default", description=Permissions.MEMBERS.description)
async def set_default_workspace(access: MemberAccess) -> Workspace:
    """Make this your default workspace (the one the dashboard opens)."""
    from functions.auth.domain import workspaces

    return await run_in_threadpool(workspaces.set_default_workspace, access)


@router.get("/{workspace_id}/members", description=Permissions.WORKSPACE_READ.description)
async def list_members(access: ReadAccess, page: Paging) -> Page[Member]:
    from functions.auth.domain import workspaces

    items, cursor = await run_in_threadpool(workspaces.list_members, access, page)
    return Page(items=items, next_cursor=cursor)


@router.patch("/{workspace_id}/members/{user_id}", description=Permissions.ADMINS.description)
async def change_member_role(access: AdminAccess, user_id: ItemId, body: MemberUpdate) -> Member:
    """Change a member's role. Only owners grant or remove ownership; the last owner stays."""
    from functions.auth.domain import workspaces

    return await run_in_threadpool(workspaces.change_member_role, access, user_id, body.role)


@router.delete(
    "/{workspace_id}/members/{user_id}",
    description="Admins and owners remove members; any member may remove themselves (leave).",
    status_code=NO_CONTENT,
)
async def remove_member(access: MemberAccess, user_id: ItemId) -> None:
    from functions.auth.domain import workspaces

    await run_in_threadpool(workspaces.remove_member, access, user_id)


@router.post(
    "/{workspace_id}/invites",
    status_code=status.HTTP_201_CREATED,
    description=Permissions.ADMINS.description,
)
async def create_invite(access: AdminAccess, body: InviteCreate) -> Invite:
    """Invite an email address with a role; a single-use link valid 7 days is emailed."""
    from functions.auth.domain import invites

    return await run_in_threadpool(invites.create_invite, access, body)


@router.get("/{workspace_id}/invites", description=Permissions.ADMINS.description)
async def list_invites(access: AdminAccess, page: Paging) -> Page[Invite]:
    from functions.auth.domain import invites

    items, cursor = await run_in_threadpool(invites.list_invites, access, page)
    return Page(items=items, next_cursor=cursor)


@router.delete(
    "/{workspace_id}/invites/{invite_id}",
    description=Permissions.ADMINS.description,
    status_code=NO_CONTENT,
)
async def delete_invite(access: AdminAccess, invite_id: ItemId) -> None:
    from functions.auth.domain import invites

    await run_in_threadpool(invites.delete_invite, access, invite_id)


@invites_router.post("/{token}/accept")
async def accept_invite(
    principal: CurrentUser, token: Annotated[str, Path(max_length=200)]
) -> Workspace:
    """Join the workspace you were invited to (signed in with the invited address)."""
    from functions.auth.domain import invites

    return await run_in_threadpool(invites.accept_invite, principal, token)


@router.post(
    "/{workspace_id}/api-keys",
    status_code=status.HTTP_201_CREATED,
    description=Permissions.ADMINS.description,
)
async def create_api_key(access: AdminAccess, body: ApiKeyCreate) -> ApiKeyCreated:
    """Create an API key. The key is in this response only; Herald keeps just its digest."""
    from functions.auth.domain import api_keys

    return await run_in_threadpool(api_keys.create_api_key, access, body)


@router.get("/{workspace_id}/api-keys", description=Permissions.ADMINS.description)
async def list_api_keys(access: AdminAccess, page: Paging) -> Page[ApiKey]:
    from functions.auth.domain import api_keys

    items, cursor = await run_in_threadpool(api_keys.list_api_keys, access, page)
    return Page(items=items, next_cursor=cursor)


@router.delete(
    "/{workspace_id}/api-keys/{key_id}",
    description=Permissions.ADMINS.description,
    status_code=NO_CONTENT,
)
async def revoke_api_key(access: AdminAccess, key_id: ItemId) -> None:
    """Revoke an API key; it stops working on its very next request."""
    from functions.auth.domain import api_keys

    await run_in_threadpool(api_keys.revoke_api_key, access, key_id)


@router.get("/{workspace_id}/activity", description=Permissions.ACTIVITY_READ.description)
async def list_activity(access: ActivityAccess, page: Paging) -> Page[Activity]:
    """Who did what, newest first."""
    from functions.auth.domain import activity

    items, cursor = await run_in_threadpool(activity.list_activity, access, page)
    return Page(items=items, next_cursor=cursor)
