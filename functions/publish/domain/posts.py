"""Posts: create, read, edit (with version history), duplicate, delete, list and calendar.

A post holds shared content and one target per social account; preflight runs on every create
and edit and its answer comes back with the post. Content edits raise the post's revision and
keep the previous content as a version. A post that is publishing or done cannot be edited: it
can be duplicated. Every change writes its activity entry in the same transaction.
"""

from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite
from ulid import ULID

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.post_items import (
    CalendarItem,
    PostItem,
    PostVersionItem,
    PublishingSettingsItem,
    TargetItem,
    calendar_sort_key,
)
from functions.publish.domain import preflight
from functions.publish.domain.post_models import (
    Approval,
    Post,
    PostContent,
    PostCreate,
    PostStatus,
    PostUpdate,
    PostVersion,
    Preflight,
    Recurrence,
    TargetError,
    TargetSpec,
    TargetStatus,
)
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.media_items import MediaAssetItem
from functions.shared.pagination import PageRequest, decode_cursor, encode_cursor
from functions.shared.problems import Conflict, FieldError, NotFound, ValidationFailed
from functions.shared.tables import (
    conflict_on_condition_failure,
    key,
    query_page,
    transaction,
    utc_now,
)

EDITABLE = ("draft", "pending_approval", "scheduled")
FINISHED_TARGET_STATES = ("published", "failed")


class PreflightFailed(ValidationFailed):
    type = "urn:herald:problem:preflight"

    def __init__(self, detail: str, result: Preflight) -> None:
        super().__init__(detail, errors=preflight_errors(result))


def preflight_errors(result: Preflight) -> list[FieldError]:
    errors = [
        FieldError(
            pointer=f"/preflight/{problem.field or ''}", detail=problem.message, code=problem.code
        )
        for problem in result.problems
    ]
    for target in result.targets:
        errors.extend(
            FieldError(
                pointer="/".join(
                    filter(None, ("/preflight/targets", target.account_id, problem.field))
                ),
                detail=problem.message,
                code=problem.code,
            )
            for problem in target.problems
        )
    return errors


def changed_meanwhile(post_id: str) -> AbstractContextManager[None]:
    """A write that lost a race (the post's version moved on since it was read) answers 409."""
    return conflict_on_condition_failure(f"Post {post_id} changed meanwhile; reload it and retry.")


# --- reading -------------------------------------------------------------------------------------


def find_post(workspace_id: str, post_id: str) -> PostItem:
    item = PostItem.find(workspace_id, post_id)
    if item is None:
        raise NotFound(f"Post {post_id} was not found.")
    return item


def content_of(item: PostItem) -> PostContent:
    return PostContent.model_validate(item.content_dict())


def asset_ids(content: PostContent) -> set[str]:
    found = set(content.media)
    for target in content.targets:
        found.update(target.media or ())
        for part in target.thread:
            found.update(part.media)
    return found


def account_fact(item: SocialAccountItem) -> preflight.AccountFacts:
    return preflight.AccountFacts(
        account_id=item.account_id, platform=item.platform, status=item.status, name=item.name
    )


def account_facts(
    workspace_id: str, account_ids: Iterable[str]
) -> dict[str, preflight.AccountFacts]:
    keys = [SocialAccountItem.keys(workspace_id, account_id) for account_id in set(account_ids)]
    return {
        item.account_id: account_fact(item)
        for item in SocialAccountItem.batch_get(keys, consistent_read=True)
    }


def asset_facts(workspace_id: str, ids: Iterable[str]) -> dict[str, preflight.AssetFacts]:
    keys = [MediaAssetItem.keys(workspace_id, asset_id) for asset_id in set(ids)]
    facts = {}
    for item in MediaAssetItem.batch_get(keys, consistent_read=True):
        probed = item.probed()
        facts[item.asset_id] = preflight.AssetFacts(
            asset_id=item.asset_id,
            kind=item.kind,
            content_type=item.content_type,
            size_bytes=int(item.size_bytes),
            width=probed.width,
            height=probed.height,
            duration_seconds=probed.duration_seconds,
            frame_rate=probed.frame_rate,
            video_codec=probed.video_codec,
            audio_codec=probed.audio_codec,
        )
    return facts


def run_preflight(workspace_id: str, content: PostContent) -> Preflight:
    return preflight.check(
        content,
        account_facts(workspace_id, (target.account_id for target in content.targets)),
        asset_facts(workspace_id, asset_ids(content)),
    )


def approval_required(workspace_id: str) -> bool:
    settings = PublishingSettingsItem.find_key(*PublishingSettingsItem.keys(workspace_id))
    return bool(settings and settings.approval_required)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def target_status(target: TargetItem) -> TargetStatus:
    error = target.error
    return TargetStatus(
        account_id=target.account_id,
        platform=target.platform,
        state=target.state,
        attempts=int(target.attempts),
        platform_post_id=target.platform_post_id,
        url=target.url,
        published_at=_iso(target.published_at),
        error=TargetError.model_validate(error) if error else None,
        warnings=list(target.warnings or []),
    )


def post_view(
    item: PostItem,
    targets: list[TargetItem] | None = None,
    checked: Preflight | None = None,
) -> Post:
    content = content_of(item)
    if targets is None:
        targets = TargetItem.of_post(item.workspace_id, item.post_id) if _fired(item) else []
    publishing = [target_status(target) for target in targets]
    if not publishing and item.status == "scheduled":
        accounts = account_facts(item.workspace_id, (t.account_id for t in content.targets))
        publishing = [
            TargetStatus(
                account_id=spec.account_id,
                platform=accounts[spec.account_id].platform if spec.account_id in accounts else "",
                state="scheduled",
                attempts=0,
                platform_post_id=None,
                url=None,
                published_at=None,
                error=None,
                warnings=[],
            )
            for spec in content.targets
        ]
    return Post(
        id=item.post_id,
        status=item.status,
        text=content.text,
        media=content.media,
        targets=content.targets,
        labels=sorted(item.labels or ()),
        revision=int(item.revision),
        scheduled_at=_iso(item.scheduled_at),
        timezone=item.timezone,
        approval=Approval.model_validate(item.approval) if item.approval else None,
        recurrence=Recurrence.model_validate(item.recurrence) if item.recurrence else None,
        series_id=item.series_id,
        publishing=publishing,
        preflight=checked,
        created_by=item.created_by,
        created_at=item.created_at.isoformat(),
        updated_at=item.updated_at.isoformat(),
    )


def _fired(item: PostItem) -> bool:
    return item.status in ("publishing", "published", "partially_failed", "failed")


def get_post(access: WorkspaceAccess, post_id: str) -> Post:
    return post_view(find_post(access.workspace_id, post_id))


def validate_post(access: WorkspaceAccess, post_id: str) -> Preflight:
    item = find_post(access.workspace_id, post_id)
    return run_preflight(access.workspace_id, content_of(item))


# --- writing -------------------------------------------------------------------------------------


def version_item(item: PostItem, edited_by: str) -> PostVersionItem:
    return PostVersionItem(
        *PostVersionItem.keys(item.workspace_id, item.post_id, int(item.revision)),
        post_id=item.post_id,
        revision=int(item.revision),
        content=item.content,
        labels=item.labels,
        edited_by=edited_by,
    )


def new_post_item(
    workspace_id: str,
    content: PostContent,
    labels: Iterable[str],
    created_by: str,
    **extra: Any,
) -> PostItem:
    post_id = str(ULID())
    return PostItem(
        *PostItem.keys(workspace_id, post_id),
        post_id=post_id,
        workspace_id=workspace_id,
        status="draft",
        content=content.model_dump(mode="json"),
        labels=set(labels) or None,
        revision=1,
        created_by=created_by,
        **extra,
    )


def create_post(access: WorkspaceAccess, body: PostCreate) -> Post:
    content = PostContent(text=body.text, media=body.media, targets=body.targets)
    checked = run_preflight(access.workspace_id, content)
    item = new_post_item(access.workspace_id, content, body.labels, access.actor)
    save_new(item, access.actor, "post.created")
    return post_view(item, [], checked)


def save_new(
    item: PostItem, actor: str, action: str, details: dict[str, Any] | None = None
) -> None:
    with transaction() as write:
        write.save(item, condition=PostItem.pk.does_not_exist())
        write.save(version_item(item, actor))
        write.save(
            activity_entry(
                item.workspace_id,
                actor=actor,
                action=action,
                target=f"post:{item.post_id}",
                details=details,
            )
        )


def duplicate_post(access: WorkspaceAccess, post_id: str) -> Post:
    source = find_post(access.workspace_id, post_id)
    content = content_of(source)
    item = new_post_item(access.workspace_id, content, source.labels or (), access.actor)
    save_new(item, access.actor, "post.duplicated", {"source_post_id": post_id})
    return post_view(item, [], run_preflight(access.workspace_id, content))


def update_post(access: WorkspaceAccess, post_id: str, body: PostUpdate) -> Post:
    from functions.publish.domain import scheduling

    item = find_post(access.workspace_id, post_id)
    if item.status not in EDITABLE:
        raise Conflict(
            f"Post {post_id} is {item.status.replace('_', ' ')}; duplicate it to make a new one."
        )
    if body.revision is not None and body.revision != int(item.revision):
        raise Conflict(
            f"Post {post_id} was edited meanwhile: revision {int(item.revision)} is current."
        )
    before = content_of(item)
    content = PostContent(
        text=before.text if body.text is None else body.text,
        media=before.media if body.media is None else body.media,
        targets=before.targets if body.targets is None else body.targets,
    )
    labels = set(item.labels or ()) if body.labels is None else set(body.labels)
    content_changed = content != before
    if not content_changed and labels == set(item.labels or ()):
        return post_view(item, None, run_preflight(access.workspace_id, content))
    checked = run_preflight(access.workspace_id, content)
    if item.status == "scheduled" and not checked.ok:
        raise PreflightFailed(
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
        and approval_required(access.workspace_id)
    )
    unschedule = needs_new_approval and item.status == "scheduled"
    if needs_new_approval:
        # Whatever was approved is not what the post says any more.
        requested_at = (
            _iso(item.scheduled_at)
            if item.status == "scheduled"
            else (item.approval or {}).get("requested_at")
        )
        item.approval = {
            "state": "pending",
            "revision": int(item.revision),
            "submitted_by": access.actor,
            "requested_at": requested_at,
        }
        if item.status == "scheduled":
            scheduling.disarm(item)
            item.status = "pending_approval"
    with changed_meanwhile(post_id), transaction() as write:
        write.save(item)
        write.save(version_item(item, access.actor))
        if item.status == "scheduled" and previous_scheduled_at is not None:
            write.save(calendar_item(item, previous_scheduled_at, content))
        if unschedule and previous_scheduled_at is not None:
            remove_from_calendar(write, access.workspace_id, previous_scheduled_at, post_id)
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
        scheduling.delete_schedule(item)
    return post_view(item, None, checked)


def calendar_item(item: PostItem, at: datetime, content: PostContent) -> CalendarItem:
    """The post's calendar entry at `at`: the stored one when there is one (an edit of a scheduled
    post, a reschedule within the same second), so that its save passes the version check."""
    keys = CalendarItem.keys(item.workspace_id, at, item.post_id)
    entry = CalendarItem.find_key(*keys) or CalendarItem(
        *keys, post_id=item.post_id, scheduled_at=at
    )
    entry.account_ids = {target.account_id for target in content.targets} or {"-"}
    return entry


def remove_from_calendar(
    write: TransactWrite, workspace_id: str, at: datetime, post_id: str
) -> None:
    # A key-only instance: it has no version to check, and the entry is the post's alone.
    write.delete(
        CalendarItem(*CalendarItem.keys(workspace_id, at, post_id)), add_version_condition=False
    )


def delete_post(access: WorkspaceAccess, post_id: str) -> None:
    from functions.publish.domain import scheduling

    item = find_post(access.workspace_id, post_id)
    if item.status == "publishing":
        raise Conflict(f"Post {post_id} is publishing; it can be deleted once it is done.")
    versions = PostVersionItem.query(
        key("WS", access.workspace_id), PostVersionItem.sk.startswith(key("POSTVER", post_id) + "#")
    )
    with changed_meanwhile(post_id), transaction() as write:
        write.delete(item)
        if item.scheduled_at is not None and item.status == "scheduled":
            remove_from_calendar(write, access.workspace_id, item.scheduled_at, post_id)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="post.deleted",
                target=f"post:{post_id}",
            )
        )
    # After the post is gone: a firing of a schedule left behind finds nothing to publish.
    if item.status == "scheduled":
        scheduling.delete_schedule(item)
    # Versions and targets are history of a post that no longer exists; removed after it.
    for version in versions:
        version.delete()
    for target in TargetItem.of_post(access.workspace_id, post_id):
        target.delete()


def list_versions(
    access: WorkspaceAccess, post_id: str, page: PageRequest
) -> tuple[list[PostVersion], str | None]:
    find_post(access.workspace_id, post_id)
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
            if any(target.account_id == account_id for target in content_of(item).targets)
        ]
    return [post_view(item) for item in items], encode_cursor(result.last_evaluated_key)


def _ulid_bound(moment: datetime, fill: str) -> str:
    return str(ULID.from_datetime(moment))[:10] + fill * 16


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
    return [post_view(item) for item in ordered], encode_cursor(result.last_evaluated_key)


def scheduled_times(
    workspace_id: str, account_ids: Iterable[str], start: datetime, end: datetime, exclude: str
) -> dict[str, list[datetime]]:
    """Per account, when the workspace's other posts to it are scheduled within [start, end)."""
    wanted = set(account_ids)
    found: dict[str, list[datetime]] = {account_id: [] for account_id in wanted}
    for entry in CalendarItem.query(
        key("WS", workspace_id),
        CalendarItem.sk.between(calendar_sort_key(start), calendar_sort_key(end)),
    ):
        if entry.post_id == exclude:
            continue
        for account_id in entry.account_ids & wanted:
            found[account_id].append(entry.scheduled_at)
    return found


def target_specs(item: PostItem) -> list[TargetSpec]:
    return content_of(item).targets
