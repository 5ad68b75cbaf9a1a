"""FastAPI dependencies every group's routes share: who calls, in which workspace, which page.

The decisions live in the framework-free core (`functions/shared/auth.py`, `access.py`,
`pagination.py`); this module only reads them off the request. The `Annotated` aliases at the end
are what routes declare, e.g. `access: PostsWriter`.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from functions.shared.access import (
    ID_PATTERN,
    WORKSPACE_HEADER,
    Permission,
    Permissions,
    WorkspaceAccess,
    authorize,
    workspace_from_header,
)
from functions.shared.auth import Principal, UserPrincipal, principal_for
from functions.shared.http.rate_limits import charge_request, charges_rate_limits
from functions.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from functions.shared.problems import Forbidden, Unauthorized

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An access token from `POST /v1/auth/login`, or a workspace API key (`hk_...`).",
)

AccessDependency = Callable[..., Awaitable[WorkspaceAccess]]


async def require_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("A bearer token is required in the Authorization header.")
    return principal_for(credentials.credentials)


def require_workspace(permission: Permission) -> AccessDependency:
    """Dependency for routes acting in the workspace named by `X-Workspace-Id`.

    API keys may leave the header out; their own workspace is used. The request is charged to
    the workspace's rate limits (and the key's) once access is granted, so outsiders spend none.
    """

    @charges_rate_limits
    async def dependency(
        request: Request,
        principal: Annotated[Principal, Depends(require_principal)],
        workspace_id: Annotated[
            str | None,
            Header(
                alias=WORKSPACE_HEADER,
                pattern=ID_PATTERN,
                description="The workspace (brand) the request acts in; optional for API keys.",
            ),
        ] = None,
    ) -> WorkspaceAccess:
        access = authorize(principal, workspace_from_header(principal, workspace_id), permission)
        charge_request(request, access)
        return access

    return dependency


def require_workspace_in_path(permission: Permission) -> AccessDependency:
    """Dependency for `/v1/workspaces/{workspace_id}/...` routes, charged as `require_workspace`."""

    @charges_rate_limits
    async def dependency(
        request: Request,
        principal: Annotated[Principal, Depends(require_principal)],
        workspace_id: Annotated[str, Path(pattern=ID_PATTERN, description="Workspace id.")],
    ) -> WorkspaceAccess:
        access = authorize(principal, workspace_id, permission)
        charge_request(request, access)
        return access

    return dependency


async def require_user(
    principal: Annotated[Principal, Depends(require_principal)],
) -> UserPrincipal:
    """Dependency for routes about the signed-in person (profile, sessions): no API keys."""
    if not isinstance(principal, UserPrincipal):
        raise Forbidden("API keys cannot do this; sign in as a user.")
    return principal


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


CurrentUser = Annotated[UserPrincipal, Depends(require_user)]
# Any signed-in user or API key, in no particular workspace: for what is the same for everyone.
Caller = Annotated[Principal, Depends(require_principal)]
Paging = Annotated[PageRequest, Depends(page_request)]
AccountsReader = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.ACCOUNTS_READ))]
AccountsManager = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.ACCOUNTS_WRITE))]
PostsReader = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.POSTS_READ))]
PostsWriter = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.POSTS_WRITE))]
MediaReader = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.MEDIA_READ))]
MediaWriter = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.MEDIA_WRITE))]
WebhooksReader = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.WEBHOOKS_READ))]
WebhooksManager = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.WEBHOOKS_WRITE))]
InboxReader = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.INBOX_READ))]
InboxWriter = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.INBOX_WRITE))]
InboxModerator = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.INBOX_MODERATE))]
WorkspaceAdmin = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.ADMINS))]
WorkspaceMember = Annotated[WorkspaceAccess, Depends(require_workspace(Permissions.MEMBERS))]
