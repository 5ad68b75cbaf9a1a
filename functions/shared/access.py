"""Which workspace a request acts in, and whether its caller may do what it asks there.

A user token names its workspace with the `X-Workspace-Id` header (or the `/v1/workspaces/{id}`
path in the identity group); an API key is bound to one workspace and needs no header. A caller
outside the workspace gets 404, never 403, so workspace ids cannot be probed. Inside it, a user
needs at least the role a route requires and an API key needs the route's scope; routes without
a scope (managing members, invites and API keys, deletion) are for people only.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, Path

from functions.shared.auth import ApiKeyPrincipal, Principal, UserPrincipal, require_principal
from functions.shared.problems import Forbidden, NotFound

WORKSPACE_HEADER = "X-Workspace-Id"
# ULIDs in Crockford base32, the form of every Herald id.
ID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"


class Role(StrEnum):
    """Viewer reads; editor writes content; admin manages accounts and members; owner the rest."""

    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: "Role") -> bool:
        return self.rank >= other.rank


_RANKS = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Scope(StrEnum):
    """What an API key may do; each route that API keys may call names one."""

    WORKSPACE_READ = "workspace:read"
    ACTIVITY_READ = "activity:read"
    ACCOUNTS_READ = "accounts:read"
    ACCOUNTS_WRITE = "accounts:write"
    POSTS_READ = "posts:read"
    POSTS_WRITE = "posts:write"
    MEDIA_READ = "media:read"
    MEDIA_WRITE = "media:write"
    ANALYTICS_READ = "analytics:read"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"


@dataclass(frozen=True, slots=True)
class Permission:
    """What a route requires: a least role for members, a scope for API keys (None: no keys)."""

    role: Role
    scope: Scope | None = None

    @property
    def description(self) -> str:
        scope = f"API keys need the `{self.scope}` scope" if self.scope else "API keys may not"
        return f"Requires the {self.role} role or above; {scope}."


@dataclass(frozen=True, slots=True)
class WorkspaceAccess:
    """A request allowed to act in `workspace_id`; `role` is None for an API key."""

    principal: Principal
    workspace_id: str
    role: Role | None

    @property
    def actor(self) -> str:
        return self.principal.actor

    @property
    def user_id(self) -> str | None:
        return self.principal.user_id if isinstance(self.principal, UserPrincipal) else None


def authorize(principal: Principal, workspace_id: str, permission: Permission) -> WorkspaceAccess:
    """Decide access to `workspace_id`; 404 for outsiders, 403 for insiders lacking the right."""
    from functions.shared.identity_items import MembershipItem, WorkspaceItem

    not_found = NotFound(f"Workspace {workspace_id} was not found.")
    if isinstance(principal, ApiKeyPrincipal):
        if principal.workspace_id != workspace_id or WorkspaceItem.find(workspace_id) is None:
            raise not_found
        if permission.scope is None:
            raise Forbidden("API keys cannot do this; sign in as a workspace member.")
        if permission.scope not in principal.scopes:
            raise Forbidden(f"This API key lacks the `{permission.scope}` scope.")
        return WorkspaceAccess(principal=principal, workspace_id=workspace_id, role=None)
    membership = MembershipItem.find(workspace_id, principal.user_id)
    if membership is None or WorkspaceItem.find(workspace_id) is None:
        raise not_found
    role = Role(membership.role)
    if not role.at_least(permission.role):
        raise Forbidden(f"This needs the {permission.role} role or above; yours is {role}.")
    return WorkspaceAccess(principal=principal, workspace_id=workspace_id, role=role)


AccessDependency = Callable[..., Awaitable[WorkspaceAccess]]


def require_workspace(permission: Permission) -> AccessDependency:
    """Dependency for routes acting in the workspace named by `X-Workspace-Id`.

    API keys may leave the header out; their own workspace is used.
    """

    async def dependency(
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
        if workspace_id is None:
            if not isinstance(principal, ApiKeyPrincipal):
                raise _missing_header()
            workspace_id = principal.workspace_id
        return authorize(principal, workspace_id, permission)

    return dependency


def require_workspace_in_path(permission: Permission) -> AccessDependency:
    """Dependency for `/v1/workspaces/{workspace_id}/...` routes."""

    async def dependency(
        principal: Annotated[Principal, Depends(require_principal)],
        workspace_id: Annotated[str, Path(pattern=ID_PATTERN, description="Workspace id.")],
    ) -> WorkspaceAccess:
        return authorize(principal, workspace_id, permission)

    return dependency


async def require_user(
    principal: Annotated[Principal, Depends(require_principal)],
) -> UserPrincipal:
    """Dependency for routes about the signed-in person (profile, sessions): no API keys."""
    if not isinstance(principal, UserPrincipal):
        raise Forbidden("API keys cannot do this; sign in as a user.")
    return principal


def _missing_header() -> Exception:
    from functions.shared.problems import FieldError, ValidationFailed

    return ValidationFailed(
        f"The {WORKSPACE_HEADER} header is required with a user access token.",
        errors=[
            FieldError(
                pointer=f"/header/{WORKSPACE_HEADER}",
                detail="Name the workspace the request acts in.",
                code="missing",
            )
        ],
    )
