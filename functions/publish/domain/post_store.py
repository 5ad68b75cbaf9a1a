"""The post store: finding, reading and viewing posts, writing new ones, their calendar entries,
and the facts preflight checks them against.

Every use case (editing, scheduling, publishing) reads and writes posts through here; nothing
here decides what may happen to a post.
"""

from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite
from ulid import ULID

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.post_items import (
    CalendarItem,
    PostItem,
    PostVersionItem,
    TargetItem,
    calendar_sort_key,
)
from functions.publish.domain import link_tracking, preflight
from functions.publish.domain.post_models import (
    Approval,
    Post,
    PostContent,
    Preflight,
    Recurrence,
    TargetError,
    TargetStatus,
)
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.media_items import MediaAssetItem
from functions.shared.problems import FieldError, NotFound, ValidationFailed
from functions.shared.tables import conflict_on_condition_failure, key, transaction


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
        link_tracking.counted_link_length(workspace_id),
    )


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


# --- the calendar --------------------------------------------------------------------------------


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
