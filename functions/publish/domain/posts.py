"""Posts: create, validate, edit (with version history), duplicate, delete, list and calendar.

A post holds shared content and one target per social account; preflight runs on every create
and edit and its answer comes back with the post. Content edits raise the post's revision and
keep the previous content as a version. A post that is publishing or done cannot be edited: it
can be duplicated. Every change writes its activity entry in the same transaction.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite
from ulid import ULID

from functions.publish.adapters.post_items import (
    CalendarItem,
    PostItem,
    PostVersionItem,
    TargetItem,
    calendar_sort_key,
)
from functions.publish.domain import approval, post_store, preflight, schedule_arming
from functions.publish.domain.platform_options import OPTIONS, option_errors
from functions.publish.domain.post_models import (
    Post,
    PostContent,
    PostCreate,
    PostStatus,
    PostUpdate,
    PostVersion,
    Preflight,
    TargetSpec,
)
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.pagination import PageRequest, decode_cursor, encode_cursor
from functions.shared.platform_links import PlatformPostLink, target_links, target_post_ids
from functions.shared.problems import Conflict, FieldError, ValidationFailed, json_pointer
from functions.shared.tables import (
    MAX_TRANSACTION_ITEMS,
    key,
    query_page,
    transaction,
    utc_now,
)

EDITABLE = ("draft", "pending_approval", "scheduled")
# Targets of a deleted post whose links did not fit its transaction wait on the `by-due` index
# in this bucket until they are unlinked: right after the transaction, or by the sweeper once
# the grace is over when the deletion was cut off.
UNLINK_BUCKET = "UNLINK"
UNLINK_GRACE = timedelta(minutes=10)
_ULID_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def validate_post(access: WorkspaceAccess, post_id: str) -> Preflight:
    item = post_store.find_post(access.workspace_id, post_id)
    return post_store.run_preflight(access.workspace_id, post_store.content_of(item))


def refuse_invalid_options(workspace_id: str, targets: Sequence[TargetSpec], at: str) -> None:
    """422 for options the target's platform does not take, before anything is written.

    `at` points at the targets in the request (`/body/targets`). An account that is not the
    workspace's has no platform to check against (preflight reports the account), but its
    options must still be what some platform takes: a post holds nothing its schema does not
    describe."""
    accounts = post_store.account_facts(workspace_id, (target.account_id for target in targets))
    errors = []
    for index, target in enumerate(targets):
        account = accounts.get(target.account_id)
        if account is None:
            if all(option_errors(platform, target.options) for platform in OPTIONS):
                errors.append(
                    FieldError(
                        pointer=at + json_pointer([index, "options"]),
                        detail="No platform takes these options, and the account is not one "
                        "of this workspace's.",
                        code="options_fit_no_platform",
                    )
                )
            continue
        for error in option_errors(account.platform, target.options):
            name = ".".join(str(part) for part in error["loc"])
            detail = error["msg"]
            if error["type"] == "extra_forbidden":
                known = ", ".join(OPTIONS[account.platform].model_fields)
                detail = (
                    f"{preflight.platform_name(account.platform)} has no option `{name}`; "
                    f"it takes {known}."
                )
            errors.append(
                FieldError(
                    pointer=at + json_pointer([index, "options", *error["loc"]]),
                    detail=detail,
                    code=error["type"],
                )
            )
    if errors:
        raise ValidationFailed(
            errors[0].detail if len(errors) == 1 else f"{len(errors)} options are invalid.",
            errors=errors,
        )


def create_post(access: WorkspaceAccess, body: PostCreate) -> Post:
    refuse_invalid_options(access.workspace_id, body.targets, "/body/targets")
    content = PostContent(text=body.text, media=body.media, targets=body.targets)
    checked = post_store.run_preflight(access.workspace_id, content)
    item = post_store.new_post_item(access.workspace_id, content, body.labels, access.actor)
    post_store.save_new(item, access.actor, "post.created")
    return post_store.post_view(item, [], checked)


def duplicate_post(access: WorkspaceAccess, post_id: str) -> Post:
    source = post_store.find_post(access.workspace_id, post_id)
    content = post_store.content_of(source)
    item = post_store.new_post_item(access.workspace_id, content, source.labels or (), access.actor)
    post_store.save_new(item, access.actor, "post.duplicated", {"source_post_id": post_id})
    return post_store.post_view(item, [], post_store.run_preflight(access.workspace_id, content))


def update_post(access: WorkspaceAccess, post_id: str, body: PostUpdate) -> Post:
    item = post_store.find_post(access.workspace_id, post_id)
    if item.status not in EDITABLE:
        raise Conflict(
            f"Post {post_id} is {item.status.replace('_', ' ')}; duplicate it to make a new one."
        )
    if body.revision is not None and body.revision != int(item.revision):
        raise Conflict(
            f"Post {post_id} was edited meanwhile: revision {int(item.revision)} is current."
        )
    if body.targets is not None:
        refuse_invalid_options(access.workspace_id, body.targets, "/body/targets")
    before = post_store.content_of(item)
    content = PostContent(
        text=before.text if body.text is None else body.text,
        media=before.media if body.media is None else body.media,
        targets=before.targets if body.targets is None else body.targets,
    )
    labels = set(item.labels or ()) if body.labels is None else set(body.labels)
    content_changed = content != before
    if not content_changed and labels == set(item.labels or ()):
        return post_store.post_view(
            item, None, post_store.run_preflight(access.workspace_id, content)
        )
    checked = post_store.run_preflight(access.workspace_id, content)
    if item.status == "scheduled" and not checked.ok:
        raise post_store.PreflightFailed(
            "The edit would make this scheduled post fail preflight; fix the problems or "
            "unschedule it first.",
            checked,
        )
    previous_scheduled_at = item.scheduled_at
    revision = int(item.revision)
    item.content = content.model_dump(mode="json")
    item.labels = labels or None
    item.revision = revision + 1
    item.updated_at = utc_now()
    if not content_changed and item.approval and item.approval.get("revision") == revision:
        # Labels are Herald's own and never published: what was decided still stands.
        item.approval = {**item.approval, "revision": int(item.revision)}
    needs_new_approval = (
        content_changed
        and item.status in ("scheduled", "pending_approval")
        and approval.required(access.workspace_id)
    )
    unschedule = needs_new_approval and item.status == "scheduled"
    if needs_new_approval:
        # Whatever was approved is not what the post says any more.
        requested_at = (
            item.scheduled_at if item.status == "scheduled" else approval.requested_at(item)
        )
        item.approval = approval.pending(item, access.actor, requested_at)
        if item.status == "scheduled":
            schedule_arming.disarm(item)
            item.status = "pending_approval"
    with post_store.changed_meanwhile(post_id), transaction() as write:
        write.save(item)
        write.save(post_store.version_item(item, access.actor))
        if item.status == "scheduled" and previous_scheduled_at is not None:
            write.save(post_store.calendar_item(item, previous_scheduled_at, content))
        if unschedule and previous_scheduled_at is not None:
            post_store.remove_from_calendar(
                write, access.workspace_id, previous_scheduled_at, post_id
            )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="post.updated",
                target=f"post:{post_id}",
                details={"revision": int(item.revision)},
            )
        )
    if unschedule:
        schedule_arming.delete_schedule(item)
    return post_store.post_view(item, None, checked)


def delete_post(access: WorkspaceAccess, post_id: str) -> None:
    """The post, its targets and every platform post link they hold, at once when one
    transaction can take them all; otherwise the targets are marked for unlinking in the
    post's transaction, and each goes with its links right after (`unlink_deleted_targets`)."""
    item = post_store.find_post(access.workspace_id, post_id)
    if item.status == "publishing":
        raise Conflict(f"Post {post_id} is publishing; it can be deleted once it is done.")
    versions = PostVersionItem.query(
        key("WS", access.workspace_id), PostVersionItem.sk.startswith(key("POSTVER", post_id) + "#")
    )
    targets = [
        (target, _links_of(target)) for target in TargetItem.of_post(access.workspace_id, post_id)
    ]
    on_calendar = item.scheduled_at is not None and item.status == "scheduled"
    at_once = 2 + on_calendar + sum(1 + len(links) for _, links in targets)
    unlink_after = at_once > MAX_TRANSACTION_ITEMS
    with post_store.changed_meanwhile(post_id), transaction() as write:
        write.delete(item)
        if on_calendar and item.scheduled_at is not None:
            post_store.remove_from_calendar(write, access.workspace_id, item.scheduled_at, post_id)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="post.deleted",
                target=f"post:{post_id}",
            )
        )
        for target, links in targets:
            if unlink_after:
                # Due only after the grace: the sweeper takes what this request leaves undone.
                write.update(
                    target,
                    actions=[
                        TargetItem.due_bucket.set(UNLINK_BUCKET),
                        TargetItem.due_at.set(utc_now() + UNLINK_GRACE),
                    ],
                    condition=TargetItem.pk.exists(),
                    add_version_condition=False,
                )
            else:
                _delete_with_links(write, target, links)
    # After the post is gone: a firing of a schedule left behind finds nothing to publish.
    if item.status == "scheduled":
        schedule_arming.delete_schedule(item)
    if unlink_after:
        for target, links in targets:
            _unlink(target, links)
    # Versions are history of a post that no longer exists; removed after it.
    for version in versions:
        version.delete()


def _links_of(target: TargetItem) -> list[PlatformPostLink]:
    ids = target_post_ids(target.platform_post_id, target.parts)
    return target_links(
        target.platform,
        target.workspace_id,
        target.post_id,
        target.account_id,
        [*ids, *([target.processing_id] if target.processing_id else [])],
    )


def _delete_with_links(
    write: TransactWrite, target: TargetItem, links: Sequence[PlatformPostLink]
) -> None:
    # Whatever the target's version: its post is gone, and nothing may keep naming it.
    write.delete(target, add_version_condition=False)
    for link in links:
        write.delete(link)


def _unlink(target: TargetItem, links: Sequence[PlatformPostLink]) -> None:
    """A target of a deleted post and its links. The target goes in the last transaction: until
    every link is deleted it still says which keys to delete."""
    step = MAX_TRANSACTION_ITEMS - 1
    chunks = [links[start : start + step] for start in range(0, len(links), step)] or [[]]
    for chunk in chunks[:-1]:
        with transaction() as write:
            for link in chunk:
                write.delete(link)
    with transaction() as write:
        _delete_with_links(write, target, chunks[-1])


def unlink_deleted_targets() -> int:
    """The sweeper's part: targets of deleted posts whose links are still to be deleted (a
    deletion cut off after its post's transaction). How many were finished."""
    done = 0
    for entry in TargetItem.by_due.query(UNLINK_BUCKET, TargetItem.due_at <= utc_now()):
        target = TargetItem.find(entry.workspace_id, entry.post_id, entry.account_id)
        if target is not None:
            _unlink(target, _links_of(target))
            done += 1
    return done


def list_versions(
    access: WorkspaceAccess, post_id: str, page: PageRequest
) -> tuple[list[PostVersion], str | None]:
    post_store.find_post(access.workspace_id, post_id)
    found, cursor = query_page(
        PostVersionItem,
        key("WS", access.workspace_id),
        key("POSTVER", post_id) + "#",
        page,
        newest_first=True,
    )
    versions = []
    for version in found:
        content = PostContent.model_validate(version.content)
        versions.append(
            PostVersion(
                revision=int(version.revision),
                text=content.text,
                media=content.media,
                targets=content.targets,
                labels=sorted(version.labels or ()),
                edited_by=version.edited_by,
                edited_at=version.created_at.isoformat(),
            )
        )
    return versions, cursor


# --- lists ---------------------------------------------------------------------------------------


def list_posts(
    access: WorkspaceAccess,
    page: PageRequest,
    *,
    status: PostStatus | None = None,
    account_id: str | None = None,
    label: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> tuple[list[Post], str | None]:
    """Newest first. Filters narrow the workspace's posts; a page may hold fewer than `limit`
    items when filters skip some, and `next_cursor` goes on from where it stopped."""
    partition = key("WS", access.workspace_id)
    # Post ids are ULIDs: their first 10 characters encode the creation time.
    lower = key("POST", _ulid_bound(created_from, "0") if created_from else "0")
    upper = key("POST", _ulid_bound(created_to, "Z") if created_to else "~")
    clauses: list[Condition] = []
    if status is not None:
        clauses.append(PostItem.status == status)
    if label is not None:
        clauses.append(PostItem.labels.contains(label))
    condition = clauses[0] & clauses[1] if len(clauses) == 2 else next(iter(clauses), None)
    result = PostItem.query(
        partition,
        PostItem.sk.between(lower, upper),
        filter_condition=condition,
        limit=page.limit,
        scan_index_forward=False,
        last_evaluated_key=decode_cursor(
            page.cursor, partition_attribute="PK", partition=partition
        ),
        consistent_read=True,
    )
    items = list(result)
    if account_id is not None:
        items = [
            item
            for item in items
            if any(
                target.account_id == account_id for target in post_store.content_of(item).targets
            )
        ]
    return [post_store.post_view(item) for item in items], encode_cursor(result.last_evaluated_key)


def _ulid_bound(moment: datetime, fill: str) -> str:
    # A ULID names no time before 1970, and no post was made then: a filter reaching further
    # back starts there (`from`) or finds nothing (`to`), as it would in an unbounded range.
    return str(ULID.from_datetime(max(moment, _ULID_EPOCH)))[:10] + fill * 16


def calendar(
    access: WorkspaceAccess, start: datetime, end: datetime, page: PageRequest
) -> tuple[list[Post], str | None]:
    """Posts scheduled in [start, end), by scheduled time."""
    if end <= start:
        raise ValidationFailed(
            "`to` must be after `from`.",
            errors=[FieldError(pointer="/query/to", detail="must be after `from`", code="range")],
        )
    partition = key("WS", access.workspace_id)
    result = CalendarItem.query(
        partition,
        CalendarItem.sk.between(calendar_sort_key(start), calendar_sort_key(end)),
        limit=page.limit,
        last_evaluated_key=decode_cursor(
            page.cursor, partition_attribute="PK", partition=partition
        ),
        consistent_read=True,
    )
    entries = [entry for entry in result if entry.scheduled_at < end]
    posts = {
        item.post_id: item
        for item in PostItem.batch_get(
            [PostItem.keys(access.workspace_id, entry.post_id) for entry in entries],
            consistent_read=True,
        )
    }
    ordered = [posts[entry.post_id] for entry in entries if entry.post_id in posts]
    return [post_store.post_view(item) for item in ordered], encode_cursor(
        result.last_evaluated_key
    )
