"""Workspaces (the dashboard's brands) and their members.

A membership is written twice in one transaction: in the workspace's partition (who is in this
workspace, read by every access check) and in the user's (which workspaces are mine), so both
lists are strongly consistent and neither needs an index.
"""

import re
from typing import Any

from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from functions.auth.adapters.items import UserItem, UserWorkspaceItem, WorkspaceSlugItem
from functions.auth.domain.models import Member, Workspace, WorkspaceCreate, WorkspaceUpdate
from functions.shared.access import Role, WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.auth import UserPrincipal
from functions.shared.event_catalogue import MemberRemovedData
from functions.shared.events import DomainEvent, write_event
from functions.shared.identity_items import MembershipItem, WorkspaceItem
from functions.shared.pagination import PageRequest
from functions.shared.problems import Conflict, Forbidden, NotFound
from functions.shared.tables import (
    conflict_on_condition_failure,
    key,
    query_page,
    transaction,
    utc_now,
)

_SLUG_MAX_LENGTH = 48
# How many numbered variants of a name's slug ("acme-2" ... "acme-20") are tried in one read
# before a random suffix is used instead.
_NUMBERED_SLUGS = 20
# A derived slug lost to a concurrent creation is derived again, this many times in all.
_SLUG_ATTEMPTS = 3


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:_SLUG_MAX_LENGTH].strip("-")
    return slug or "workspace"


def _with_suffix(base: str, suffix: str) -> str:
    return base[: _SLUG_MAX_LENGTH - len(suffix)].rstrip("-") + suffix


def _free_slug(name: str) -> str:
    """The name's slug, or its first free numbered variant, or one with a random suffix."""
    base = _slugify(name)
    candidates = [base, *(_with_suffix(base, f"-{n}") for n in range(2, _NUMBERED_SLUGS + 1))]
    taken = {
        item.pk
        for item in WorkspaceSlugItem.batch_get(
            [WorkspaceSlugItem.keys(slug) for slug in candidates], consistent_read=True
        )
    }
    free = (slug for slug in candidates if WorkspaceSlugItem.keys(slug)[0] not in taken)
    return next(free, None) or _with_suffix(base, f"-{str(ULID())[-6:].lower()}")


def _slug_taken(error: TransactWriteError) -> bool:
    """Whether the transaction failed on its first write, by convention the slug's claim."""
    reasons = error.cancellation_reasons
    return bool(reasons) and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed"


def _claim_slug(write: Any, slug: str, workspace_id: str) -> None:
    """Written first in its transaction, so that `_slug_taken` recognises its failure."""
    write.save(
        WorkspaceSlugItem(*WorkspaceSlugItem.keys(slug), workspace_id=workspace_id),
        condition=WorkspaceSlugItem.pk.does_not_exist(),
    )


def _release_slug(write: Any, slug: str, workspace_id: str) -> None:
    # Only this workspace's claim; a slug with no claim (written before slugs were unique) is
    # simply absent.
    write.delete(
        WorkspaceSlugItem(*WorkspaceSlugItem.keys(slug)),
        condition=(WorkspaceSlugItem.workspace_id == workspace_id)
        | WorkspaceSlugItem.pk.does_not_exist(),
        add_version_condition=False,
    )


def _slug_conflict(slug: str) -> Conflict:
    return Conflict(f"The slug {slug!r} is taken by another workspace; choose another.")


def workspace_view(item: WorkspaceItem, role: Role | None, default_id: str | None) -> Workspace:
    return Workspace(
        id=item.workspace_id,
        name=item.name,
        slug=item.slug,
        timezone=item.timezone,
        logo_url=item.logo_url,
        role=role,
        default=item.workspace_id == default_id,
        created_at=item.created_at,
    )


def _default_workspace_id(user_id: str) -> str | None:
    user = UserItem.find(user_id)
    return user.default_workspace_id if user else None


def create_workspace(principal: UserPrincipal, request: WorkspaceCreate) -> Workspace:
    user = UserItem.find(principal.user_id)
    if user is None or not user.email_verified:
        raise Forbidden("Confirm your email address before creating a workspace.")
    workspace_id = str(ULID())
    for attempt in range(1, _SLUG_ATTEMPTS + 1):
        slug = request.slug or _free_slug(request.name)
        try:
            return _write_new_workspace(principal, user, workspace_id, slug, request)
        except TransactWriteError as error:
            if not _slug_taken(error):
                raise
            # A slug asked for is refused; a derived one lost to a concurrent creation is
            # derived again.
            if request.slug is not None or attempt == _SLUG_ATTEMPTS:
                raise _slug_conflict(slug) from None
    raise AssertionError("unreachable: the last attempt returns or raises")


def _write_new_workspace(
    principal: UserPrincipal, user: UserItem, workspace_id: str, slug: str, request: WorkspaceCreate
) -> Workspace:
    workspace = WorkspaceItem(
        *WorkspaceItem.keys(workspace_id),
        workspace_id=workspace_id,
        name=request.name,
        slug=slug,
        timezone=request.timezone,
        logo_url=request.logo_url,
        created_by=principal.user_id,
    )
    default_id = user.default_workspace_id or workspace_id
    with transaction() as write:
        _claim_slug(write, slug, workspace_id)
        write.save(workspace, condition=WorkspaceItem.pk.does_not_exist())
        write_membership(write, workspace_id, principal.user_id, Role.OWNER, new=True)
        write.save(
            activity_entry(
                workspace_id,
                actor=principal.actor,
                action="workspace.created",
                target=f"workspace:{workspace_id}",
                details={"name": request.name},
            )
        )
        if user.default_workspace_id is None:
            write.update(user, actions=[UserItem.default_workspace_id.set(workspace_id)])
    return workspace_view(workspace, Role.OWNER, default_id)


def write_membership(write: Any, workspace_id: str, user_id: str, role: Role, *, new: bool) -> None:
    membership = MembershipItem(
        *MembershipItem.keys(workspace_id, user_id),
        workspace_id=workspace_id,
        user_id=user_id,
        role=role.value,
    )
    mine = UserWorkspaceItem(
        *UserWorkspaceItem.keys(user_id, workspace_id), workspace_id=workspace_id, role=role.value
    )
    if new:
        write.save(membership, condition=MembershipItem.pk.does_not_exist())
        write.save(mine, condition=UserWorkspaceItem.pk.does_not_exist())
    else:
        # Update the items as read, so that their versions are bumped: a fresh instance would
        # claim that no version exists yet, and its write would always fail.
        write.update(
            MembershipItem.find(workspace_id, user_id) or membership,
            actions=[MembershipItem.role.set(role.value), MembershipItem.updated_at.set(utc_now())],
            condition=MembershipItem.pk.exists(),
            add_version_condition=False,
        )
        write.update(
            UserWorkspaceItem.find_key(*UserWorkspaceItem.keys(user_id, workspace_id)) or mine,
            actions=[UserWorkspaceItem.role.set(role.value)],
            condition=UserWorkspaceItem.pk.exists(),
            add_version_condition=False,
        )


def list_my_workspaces(
    principal: UserPrincipal, page: PageRequest
) -> tuple[list[Workspace], str | None]:
    mine, next_cursor = query_page(UserWorkspaceItem, key("USER", principal.user_id), "WS#", page)
    default_id = _default_workspace_id(principal.user_id)
    workspaces = {
        item.workspace_id: item
        for item in WorkspaceItem.batch_get([WorkspaceItem.keys(m.workspace_id) for m in mine])
        if item.deleted_at is None
    }
    return [
        workspace_view(workspaces[m.workspace_id], Role(m.role), default_id)
        for m in mine
        if m.workspace_id in workspaces
    ], next_cursor


def _workspace(access: WorkspaceAccess) -> WorkspaceItem:
    workspace = WorkspaceItem.find(access.workspace_id)
    if workspace is None:
        raise NotFound(f"Workspace {access.workspace_id} was not found.")
    return workspace


def get_workspace(access: WorkspaceAccess) -> Workspace:
    default_id = _default_workspace_id(access.user_id) if access.user_id else None
    return workspace_view(_workspace(access), access.role, default_id)


def update_workspace(access: WorkspaceAccess, update: WorkspaceUpdate) -> Workspace:
    workspace = _workspace(access)
    changes = update.model_dump(exclude_unset=True, exclude_none=True)
    if changes.get("slug") == workspace.slug:
        del changes["slug"]
    if changes:
        with conflict_on_condition_failure("The workspace changed meanwhile; reload and retry."):
            try:
                _write_workspace_changes(access, workspace, changes)
            except TransactWriteError as error:
                if "slug" in changes and _slug_taken(error):
                    raise _slug_conflict(changes["slug"]) from None
                raise
    return get_workspace(access)


def _write_workspace_changes(
    access: WorkspaceAccess, workspace: WorkspaceItem, changes: dict[str, Any]
) -> None:
    with transaction() as write:
        if "slug" in changes:
            _claim_slug(write, changes["slug"], access.workspace_id)
            _release_slug(write, workspace.slug, access.workspace_id)
        write.update(
            workspace,
            actions=[
                WorkspaceItem.updated_at.set(utc_now()),
                *(getattr(WorkspaceItem, name).set(value) for name, value in changes.items()),
            ],
            condition=WorkspaceItem.deleted_at.does_not_exist(),
        )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="workspace.updated",
                target=f"workspace:{access.workspace_id}",
                details={"changed": sorted(changes)},
            )
        )


def set_default_workspace(access: WorkspaceAccess) -> Workspace:
    assert access.user_id is not None  # the route admits people only
    user = UserItem.find(access.user_id)
    if user is None:
        raise NotFound(f"Workspace {access.workspace_id} was not found.")
    user.update(
        actions=[UserItem.default_workspace_id.set(access.workspace_id)],
        condition=UserItem.pk.exists(),
        add_version_condition=False,
    )
    return get_workspace(access)


def delete_workspace(access: WorkspaceAccess) -> None:
    """Close the workspace at once (every access check reads it), then remove what it held."""
    workspace = _workspace(access)
    with (
        conflict_on_condition_failure("The workspace changed meanwhile; reload and retry."),
        transaction() as write,
    ):
        write.update(
            workspace,
            actions=[WorkspaceItem.deleted_at.set(utc_now())],
            condition=WorkspaceItem.deleted_at.does_not_exist(),
        )
        _release_slug(write, workspace.slug, access.workspace_id)
        # Other groups remove what they keep outside the table (media objects, schedules). The
        # event lives outside the workspace's partition, so the purge below leaves it.
        write_event(
            write,
            DomainEvent(
                "auth",
                "workspace.deleted",
                access.workspace_id,
                {"deleted_by": access.actor},
            ),
        )
    _purge_partition(access.workspace_id)


def _purge_partition(workspace_id: str) -> None:
    """Delete every item of the workspace's partition and the lookups that point into it."""
    from functions.auth.adapters.items import InviteLookupItem
    from functions.shared import aws
    from functions.shared.identity_items import ApiKeyLookupItem
    from functions.shared.platform_links import links_of_partition_item
    from functions.shared.settings import get_settings
    from functions.shared.tracked_links import ShortLinkItem
    from functions.shared.tracking_keys import TrackingKeyLookupItem

    partition = key("WS", workspace_id)
    pages = (
        aws.dynamodb()
        .get_paginator("query")
        .paginate(
            TableName=get_settings().table_name,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": partition}},
            ProjectionExpression="SK, user_id, secret_digest, token_digest, platform, "
            "platform_account_id, platform_user_id, platform_post_id, #parts, link_code",
            ExpressionAttributeNames={"#parts": "parts"},  # a reserved word
            ConsistentRead=True,
        )
    )
    with MembershipItem.batch_write() as batch:
        for page in pages:
            for item in page["Items"]:
                sk = item["SK"]["S"]
                if sk == "WORKSPACE":
                    continue  # stays as the tombstone every access check reads
                if sk.startswith("MEMBER#"):
                    user_id = item["user_id"]["S"]
                    batch.delete(UserWorkspaceItem(*UserWorkspaceItem.keys(user_id, workspace_id)))
                elif sk.startswith("APIKEY#"):
                    secret = item["secret_digest"]["S"]
                    batch.delete(ApiKeyLookupItem(*ApiKeyLookupItem.keys(secret)))
                elif sk.startswith("TRACKKEY#"):
                    secret = item["secret_digest"]["S"]
                    batch.delete(TrackingKeyLookupItem(*TrackingKeyLookupItem.keys(secret)))
                elif sk.startswith("TRACKEDLINK#"):
                    batch.delete(ShortLinkItem(*ShortLinkItem.keys(item["link_code"]["S"])))
                elif sk.startswith("INVITE#"):
                    batch.delete(
                        InviteLookupItem(*InviteLookupItem.keys(item["token_digest"]["S"]))
                    )
                # Accounts' and published targets' links, found by platform ids.
                for link in links_of_partition_item(workspace_id, sk, item):
                    batch.delete(link)
                batch.delete(MembershipItem(partition, sk))


# Members


def list_members(access: WorkspaceAccess, page: PageRequest) -> tuple[list[Member], str | None]:
    memberships, cursor = query_page(
        MembershipItem, key("WS", access.workspace_id), "MEMBER#", page
    )
    return _member_views(memberships), cursor


def _member_views(memberships: list[MembershipItem]) -> list[Member]:
    """Members with the name and email of their user, in the order given."""
    users = {
        user.user_id: user
        for user in UserItem.batch_get([UserItem.keys(m.user_id) for m in memberships])
    }
    return [
        Member(
            user_id=m.user_id,
            email=users[m.user_id].email,
            name=users[m.user_id].name,
            role=Role(m.role),
            joined_at=m.created_at,
        )
        for m in memberships
        if m.user_id in users
    ]


def _membership(access: WorkspaceAccess, user_id: str) -> MembershipItem:
    membership = MembershipItem.find(access.workspace_id, user_id)
    if membership is None:
        raise NotFound(f"Member {user_id} was not found in this workspace.")
    return membership


def _owner_count(workspace_id: str) -> int:
    return sum(
        1
        for m in MembershipItem.query(
            key("WS", workspace_id), MembershipItem.sk.startswith("MEMBER#"), consistent_read=True
        )
        if m.role == Role.OWNER
    )


def _guard_owner_rules(access: WorkspaceAccess, current: Role, new: Role | None) -> None:
    """Only owners grant or take away ownership; the last owner stays."""
    touches_owner = current == Role.OWNER or new == Role.OWNER
    if touches_owner and access.role != Role.OWNER:
        raise Forbidden("Only an owner can grant or remove the owner role.")
    if current == Role.OWNER and new != Role.OWNER and _owner_count(access.workspace_id) <= 1:
        raise Conflict(
            "This is the workspace's last owner: make another member owner first, "
            "or delete the workspace."
        )


def change_member_role(access: WorkspaceAccess, user_id: str, role: Role) -> Member:
    membership = _membership(access, user_id)
    current = Role(membership.role)
    if current != role:
        _guard_owner_rules(access, current, role)
        try:
            with transaction() as write:
                write_membership(write, access.workspace_id, user_id, role, new=False)
                write.save(
                    activity_entry(
                        access.workspace_id,
                        actor=access.actor,
                        action="member.role_changed",
                        target=f"user:{user_id}",
                        details={"from": current.value, "to": role.value},
                    )
                )
        except TransactWriteError:
            raise NotFound(f"Member {user_id} was not found in this workspace.") from None
    return _member_views([_membership(access, user_id)])[0]


def remove_member(access: WorkspaceAccess, user_id: str) -> None:
    """Remove a member (admins and owners), or leave (anyone, about themselves)."""
    membership = _membership(access, user_id)
    current = Role(membership.role)
    leaving = user_id == access.user_id
    if not leaving:
        if access.role is None or not access.role.at_least(Role.ADMIN):
            raise Forbidden("Only admins and owners can remove other members.")
        _guard_owner_rules(access, current, None)
    elif current == Role.OWNER and _owner_count(access.workspace_id) <= 1:
        raise Conflict(
            "You are the workspace's last owner: make another member owner first, "
            "or delete the workspace."
        )
    with transaction() as write:
        # Fresh instances carry no version to check, so no version condition.
        write.delete(
            MembershipItem(*MembershipItem.keys(access.workspace_id, user_id)),
            add_version_condition=False,
        )
        write.delete(
            UserWorkspaceItem(*UserWorkspaceItem.keys(user_id, access.workspace_id)),
            add_version_condition=False,
        )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="member.left" if leaving else "member.removed",
                target=f"user:{user_id}",
                details={"role": current.value},
            )
        )
        write_event(
            write,
            DomainEvent(
                "auth",
                "member.removed",
                access.workspace_id,
                MemberRemovedData(
                    user_id=user_id, role=current.value, removed_by=access.actor, left=leaving
                ).data(),
            ),
        )
