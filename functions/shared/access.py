"""Which workspace a request acts in, and whether its caller may do what it asks there.

A user token names its workspace with the `X-Workspace-Id` header (or the `/v1/workspaces/{id}`
path in the identity group); an API key is bound to one workspace and needs no header. A caller
outside the workspace gets 404, never 403, so workspace ids cannot be probed. Inside it, a user
needs at least the role a route requires and an API key needs the route's scope; routes without
a scope (managing members, invites and API keys, deletion) are for people only.
"""

from dataclasses import dataclass
from enum import StrEnum

from functions.shared.auth import ApiKeyPrincipal, Principal, UserPrincipal
from functions.shared.problems import FieldError, Forbidden, NotFound, ValidationFailed

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
    INBOX_READ = "inbox:read"
    INBOX_WRITE = "inbox:write"


@dataclass(frozen=True, slots=True)
class Permission:
    """What a route requires: a least role for members, a scope for API keys (None: no keys)."""

    role: Role
    scope: Scope | None = None

    @property
    def description(self) -> str:
        scope = f"API keys need the `{self.scope}` scope" if self.scope else "API keys may not"
        return f"Requires the {self.role} role or above; {scope}."


class Permissions:
    """What each kind of route requires, named once for every group's routes.

    The ones without a scope are people's decisions that no API key may take: approving posts
    and the approval setting, connecting accounts, managing members, invites and keys.
    """

    MEMBERS = Permission(Role.VIEWER)
    ADMINS = Permission(Role.ADMIN)
    OWNERS = Permission(Role.OWNER)
    WORKSPACE_READ = Permission(Role.VIEWER, Scope.WORKSPACE_READ)
    ACTIVITY_READ = Permission(Role.VIEWER, Scope.ACTIVITY_READ)
    ACCOUNTS_READ = Permission(Role.VIEWER, Scope.ACCOUNTS_READ)
    ACCOUNTS_WRITE = Permission(Role.ADMIN, Scope.ACCOUNTS_WRITE)
    POSTS_READ = Permission(Role.VIEWER, Scope.POSTS_READ)
    POSTS_WRITE = Permission(Role.EDITOR, Scope.POSTS_WRITE)
    MEDIA_READ = Permission(Role.VIEWER, Scope.MEDIA_READ)
    MEDIA_WRITE = Permission(Role.EDITOR, Scope.MEDIA_WRITE)
    WEBHOOKS_READ = Permission(Role.ADMIN, Scope.WEBHOOKS_READ)
    WEBHOOKS_WRITE = Permission(Role.ADMIN, Scope.WEBHOOKS_WRITE)
    # The inbox: viewers read, editors answer and triage, admins moderate (hide, delete).
    INBOX_READ = Permission(Role.VIEWER, Scope.INBOX_READ)
    INBOX_WRITE = Permission(Role.EDITOR, Scope.INBOX_WRITE)
    INBOX_MODERATE = Permission(Role.ADMIN, Scope.INBOX_WRITE)


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


def workspace_from_header(principal: Principal, header: str | None) -> str:
    """The workspace a request names in `X-Workspace-Id`; an API key's own when left out."""
    if header is not None:
        return header
    if isinstance(principal, ApiKeyPrincipal):
        return principal.workspace_id
    raise ValidationFailed(
        f"The {WORKSPACE_HEADER} header is required with a user access token.",
        errors=[
            FieldError(
                pointer=f"/header/{WORKSPACE_HEADER}",
                detail="Name the workspace the request acts in.",
                code="missing",
            )
        ],
    )
