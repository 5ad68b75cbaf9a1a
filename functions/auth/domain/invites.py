"""Invitations: an admin invites an email address with a role; its owner accepts once."""

import secrets
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from functions.auth.adapters.items import InviteItem, InviteLookupItem, UserItem
from functions.auth.domain import emails, workspaces
from functions.auth.domain.models import Invite, InviteCreate, Workspace
from functions.shared import mailer
from functions.shared.access import Role, WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.auth import UserPrincipal, digest
from functions.shared.event_catalogue import MemberJoinedData
from functions.shared.events import DomainEvent, write_event
from functions.shared.identity_items import MembershipItem, WorkspaceItem
from functions.shared.pagination import PageRequest
from functions.shared.problems import Conflict, Forbidden, Gone, NotFound
from functions.shared.tables import key, query_page, transaction, utc_now

INVITE_LIFETIME = timedelta(days=7)


def invite_view(item: InviteItem) -> Invite:
    return Invite(
        id=item.invite_id,
        email=item.email,
        role=Role(item.role),
        invited_by=item.invited_by,
        created_at=item.created_at,
        expires_at=item.valid_until,
    )


def create_invite(access: WorkspaceAccess, request: InviteCreate) -> Invite:
    if request.role == Role.OWNER and access.role != Role.OWNER:
        raise Forbidden("Only an owner can invite another owner.")
    workspace = WorkspaceItem.find(access.workspace_id)
    inviter = UserItem.find(access.user_id) if access.user_id else None
    if workspace is None or inviter is None:
        raise NotFound(f"Workspace {access.workspace_id} was not found.")
    token = secrets.token_urlsafe(32)
    invite_id = str(ULID())
    valid_until = utc_now() + INVITE_LIFETIME
    invite = InviteItem(
        *InviteItem.keys(access.workspace_id, invite_id),
        invite_id=invite_id,
        workspace_id=access.workspace_id,
        email=request.email,
        role=request.role.value,
        invited_by=inviter.user_id,
        token_digest=digest(token),
        valid_until=valid_until,
        expires_at=valid_until,
    )
    with transaction() as write:
        write.save(invite, condition=InviteItem.pk.does_not_exist())
        write.save(
            InviteLookupItem(
                *InviteLookupItem.keys(digest(token)),
                workspace_id=access.workspace_id,
                invite_id=invite_id,
                expires_at=valid_until,
            ),
            condition=InviteLookupItem.pk.does_not_exist(),
        )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="invite.created",
                target=f"invite:{invite_id}",
                details={"email": request.email, "role": request.role.value},
            )
        )
    mailer.send(
        emails.invitation_email(
            request.email,
            inviter.name,
            workspace.name,
            request.role.value,
            token,
            INVITE_LIFETIME.days,
        )
    )
    return invite_view(invite)


def list_invites(access: WorkspaceAccess, page: PageRequest) -> tuple[list[Invite], str | None]:
    items, cursor = query_page(InviteItem, key("WS", access.workspace_id), "INVITE#", page)
    return [invite_view(item) for item in items], cursor


def delete_invite(access: WorkspaceAccess, invite_id: str) -> None:
    invite = InviteItem.find_key(*InviteItem.keys(access.workspace_id, invite_id))
    if invite is None:
        raise NotFound(f"Invite {invite_id} was not found.")
    with transaction() as write:
        write.delete(invite)
        write.delete(
            InviteLookupItem(*InviteLookupItem.keys(invite.token_digest)),
            add_version_condition=False,  # a fresh instance: it carries no version to check
        )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="invite.deleted",
                target=f"invite:{invite_id}",
                details={"email": invite.email},
            )
        )


def accept_invite(principal: UserPrincipal, token: str) -> Workspace:
    """Join the invited workspace. The invite is used up in the same transaction that joins."""
    invalid = NotFound("This invitation is invalid, was withdrawn or was already used.")
    lookup = InviteLookupItem.find_key(*InviteLookupItem.keys(digest(token)))
    if lookup is None:
        raise invalid
    invite = InviteItem.find_key(*InviteItem.keys(lookup.workspace_id, lookup.invite_id))
    workspace = WorkspaceItem.find(lookup.workspace_id)
    if invite is None or workspace is None:
        raise invalid
    if invite.valid_until <= utc_now():
        raise Gone("This invitation has expired; ask for a new one.")
    user = UserItem.find(principal.user_id)
    if user is None or not user.email_verified:
        raise Forbidden("Confirm your email address before accepting an invitation.")
    if user.email != invite.email:
        raise Forbidden(
            "This invitation was sent to another email address; sign in with that address."
        )
    if MembershipItem.find(invite.workspace_id, user.user_id) is not None:
        raise Conflict("You are already a member of this workspace.")
    role = Role(invite.role)
    try:
        with transaction() as write:
            write.delete(invite)
            write.delete(lookup)
            workspaces.write_membership(write, invite.workspace_id, user.user_id, role, new=True)
            if user.default_workspace_id is None:
                write.update(user, actions=[UserItem.default_workspace_id.set(invite.workspace_id)])
                user.default_workspace_id = invite.workspace_id
            write.save(
                activity_entry(
                    invite.workspace_id,
                    actor=principal.actor,
                    action="invite.accepted",
                    target=f"invite:{invite.invite_id}",
                    details={"role": role.value},
                )
            )
            write_event(
                write,
                DomainEvent(
                    "auth",
                    "member.joined",
                    invite.workspace_id,
                    MemberJoinedData(
                        user_id=user.user_id,
                        role=role.value,
                        invite_id=invite.invite_id,
                        invited_by=f"user:{invite.invited_by}",
                    ).data(),
                ),
            )
    except TransactWriteError:
        raise invalid from None
    return workspaces.workspace_view(workspace, role, user.default_workspace_id)
