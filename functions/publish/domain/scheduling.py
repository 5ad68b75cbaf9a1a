"""Scheduling: when a post publishes, and who has to agree first.

Scheduling arms the post's schedule (see schedule_arming.py) after a full preflight, quotas
included. With approval on, a post publishes only when the revision about to go out was
approved: an editor's schedule request becomes a submission, an admin's approval arms it, and
any edit after approval asks again.
"""

from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from functions.publish.adapters import worker_calls
from functions.publish.adapters.post_items import PostItem, PublishingSettingsItem, QueueItem
from functions.publish.domain import approval, post_store, preflight, schedule_arming
from functions.publish.domain.post_models import (
    Post,
    Preflight,
    PublishingSettings,
    QueueSlot,
    QueueSlots,
    Recurrence,
    ScheduleRequest,
    TargetPreflight,
)
from functions.publish.domain.wall_time import resolve_time
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.event_catalogue import PostApprovalRequestedData, PostDecisionData
from functions.shared.events import DomainEvent, write_event
from functions.shared.identity_items import WorkspaceItem
from functions.shared.problems import Conflict, FieldError, NotFound, ValidationFailed
from functions.shared.tables import conflict_on_condition_failure, transaction, utc_now

# A time a moment in the past is still taken as "now" (clock skew, a slow form).
PAST_TOLERANCE = timedelta(minutes=1)
QUEUE_HORIZON_WEEKS = 8
WORKSPACE_QUEUE = "WORKSPACE"


def workspace_timezone(workspace_id: str) -> str:
    workspace = WorkspaceItem.find(workspace_id)
    return workspace.timezone if workspace is not None else "UTC"


def _require_future(moment: datetime) -> None:
    if moment < utc_now() - PAST_TOLERANCE:
        raise ValidationFailed(
            "The time is in the past.",
            errors=[FieldError(pointer="/body/at", detail="must be in the future", code="past")],
        )


def full_preflight(workspace_id: str, item: PostItem, at: datetime) -> Preflight:
    """Preflight plus the per-account quotas at `at`."""
    content = post_store.content_of(item)
    checked = post_store.run_preflight(workspace_id, content)
    accounts = post_store.account_facts(workspace_id, (t.account_id for t in content.targets))
    scheduled = post_store.scheduled_times(
        workspace_id,
        accounts,
        at - preflight.QUOTA_WINDOW,
        at + preflight.QUOTA_WINDOW,
        exclude=item.post_id,
    )
    over = preflight.quota_problems(accounts.values(), at, scheduled)
    if not over:
        return checked
    merged: dict[str, TargetPreflight] = {target.account_id: target for target in checked.targets}
    for quota in over:
        merged[quota.account_id].problems.extend(quota.problems)
    return Preflight(ok=False, problems=checked.problems, targets=list(merged.values()))


def schedule_post(access: WorkspaceAccess, post_id: str, request: ScheduleRequest) -> Post:
    item = post_store.find_post(access.workspace_id, post_id)
    timezone = workspace_timezone(access.workspace_id)
    at = resolve_time(request.at, timezone)
    _require_future(at)
    return _schedule(access, item, at, timezone, request.recurrence)


def schedule_created(access: WorkspaceAccess, item: PostItem, at: datetime, timezone: str) -> Post:
    """Schedule a post just created (bulk import): the same rules as scheduling by hand."""
    return _schedule(access, item, at, timezone, None)


def _schedule(
    access: WorkspaceAccess,
    item: PostItem,
    at: datetime,
    timezone: str,
    recurrence: Recurrence | None,
    action: str = "post.scheduled",
    decision: DomainEvent | None = None,
) -> Post:
    if item.status not in ("draft", "scheduled", "pending_approval"):
        raise Conflict(f"Post {item.post_id} is {item.status.replace('_', ' ')}.")
    first_day = at.astimezone(ZoneInfo(timezone)).date()  # `until` is a day of the workspace
    if recurrence is not None and recurrence.until is not None and recurrence.until < first_day:
        raise ValidationFailed(
            "The recurrence ends before the first occurrence.",
            errors=[
                FieldError(
                    pointer="/body/recurrence/until",
                    detail="must not be before the first occurrence",
                    code="range",
                )
            ],
        )
    checked = full_preflight(access.workspace_id, item, at)
    if not checked.ok:
        raise post_store.PreflightFailed(
            "This post would fail to publish; fix the problems listed first.", checked
        )
    if recurrence is not None:
        item.recurrence = recurrence.model_dump(mode="json")
        item.series_id = item.series_id or item.post_id
    if approval.missing(item):
        if not approval.may_decide(access):
            _submit(access, item, at)
            return post_store.post_view(item, [], checked)
        approval.record_decision(item, access.actor, "approved", None)
    schedule_arming.arm(item, at, timezone, actor=access.actor, action=action, decision=decision)
    return post_store.post_view(item, None, checked)


def unschedule(access: WorkspaceAccess, post_id: str) -> Post:
    item = post_store.find_post(access.workspace_id, post_id)
    if item.status not in ("scheduled", "pending_approval"):
        raise Conflict(f"Post {post_id} is not scheduled.")
    was_scheduled_at = item.scheduled_at if item.status == "scheduled" else None
    schedule_arming.disarm(item)
    item.status = "draft"
    item.scheduled_at = None
    item.timezone = None
    # Cancelling ends the series too: scheduling the draft again names its own recurrence.
    item.recurrence = None
    item.updated_at = utc_now()
    with post_store.changed_meanwhile(post_id), transaction() as write:
        write.save(item)
        if was_scheduled_at is not None:
            post_store.remove_from_calendar(write, access.workspace_id, was_scheduled_at, post_id)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="post.unscheduled",
                target=f"post:{post_id}",
            )
        )
    schedule_arming.delete_schedule(item)
    return post_store.post_view(item, [])


def publish_now(access: WorkspaceAccess, post_id: str) -> Post:
    """Arm the post for now and start the worker at once (the schedule stays as a backstop)."""
    item = post_store.find_post(access.workspace_id, post_id)
    timezone = workspace_timezone(access.workspace_id)
    view = _schedule(access, item, utc_now(), timezone, None)
    if item.status == "scheduled":
        worker_calls.start(
            {
                "herald": "publish-post",
                "workspace_id": item.workspace_id,
                "post_id": item.post_id,
                "fire_id": item.fire_id,
            }
        )
    return view


# --- approval ------------------------------------------------------------------------------------


def _submit(access: WorkspaceAccess, item: PostItem, requested_at: datetime | None) -> None:
    was_scheduled_at = item.scheduled_at if item.status == "scheduled" else None
    item.approval = approval.pending(item, access.actor, requested_at)
    item.status = "pending_approval"
    schedule_arming.disarm(item)
    item.updated_at = utc_now()
    with post_store.changed_meanwhile(item.post_id), transaction() as write:
        write.save(item)
        if was_scheduled_at is not None:
            post_store.remove_from_calendar(
                write, item.workspace_id, was_scheduled_at, item.post_id
            )
        write.save(
            activity_entry(
                item.workspace_id,
                actor=access.actor,
                action="post.submitted",
                target=f"post:{item.post_id}",
            )
        )
        write_event(
            write,
            DomainEvent(
                "publish",
                "post.approval_requested",
                item.workspace_id,
                PostApprovalRequestedData(
                    post_id=item.post_id,
                    revision=item.approval["revision"],
                    submitted_by=item.approval["submitted_by"],
                    requested_at=requested_at,
                ).data(),
            ),
        )
    if was_scheduled_at is not None:
        schedule_arming.delete_schedule(item)


def submit(access: WorkspaceAccess, post_id: str) -> Post:
    item = post_store.find_post(access.workspace_id, post_id)
    if item.status not in ("draft", "pending_approval"):
        raise Conflict(
            f"Post {post_id} is {item.status.replace('_', ' ')}; only drafts are submitted."
        )
    _submit(access, item, None)
    return post_store.post_view(item, [])


def approve(access: WorkspaceAccess, post_id: str, comment: str | None) -> Post:
    item = post_store.find_post(access.workspace_id, post_id)
    if item.status != "pending_approval":
        raise Conflict(f"Post {post_id} is not waiting for approval.")
    at = approval.requested_at(item)
    approval.record_decision(item, access.actor, "approved", comment)
    if at is not None and at >= utc_now() - PAST_TOLERANCE:
        timezone = workspace_timezone(access.workspace_id)
        # One entry says both: approved, and so scheduled.
        approved = DomainEvent("publish", "post.approved", item.workspace_id, _decision(item))
        return _schedule(
            access, item, at, timezone, None, action="post.approved", decision=approved
        )
    item.status = "draft"
    _save_decision(access, item, "post.approved")
    return post_store.post_view(item, [])


def reject(access: WorkspaceAccess, post_id: str, comment: str) -> Post:
    item = post_store.find_post(access.workspace_id, post_id)
    if item.status != "pending_approval":
        raise Conflict(f"Post {post_id} is not waiting for approval.")
    approval.record_decision(item, access.actor, "rejected", comment)
    item.status = "draft"
    _save_decision(access, item, "post.rejected")
    return post_store.post_view(item, [])


def _save_decision(
    access: WorkspaceAccess, item: PostItem, action: Literal["post.approved", "post.rejected"]
) -> None:
    """Save a decision that leaves the post a draft, with its activity entry and its event."""
    item.updated_at = utc_now()
    with post_store.changed_meanwhile(item.post_id), transaction() as write:
        write.save(item)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action=action,
                target=f"post:{item.post_id}",
                details={"comment": (item.approval or {}).get("comment")},
            )
        )
        write_event(write, DomainEvent("publish", action, item.workspace_id, _decision(item)))


def _decision(item: PostItem) -> dict[str, Any]:
    """The data of `post.approved` or `post.rejected`, from the decision recorded on the post."""
    record = item.approval or {}
    return PostDecisionData(
        post_id=item.post_id,
        revision=record["revision"],
        status="scheduled" if item.status == "scheduled" else "draft",
        submitted_by=record.get("submitted_by"),
        decided_by=record["decided_by"],
        decided_at=record["decided_at"],
        comment=record.get("comment"),
    ).data()


def get_settings(access: WorkspaceAccess) -> PublishingSettings:
    keys = PublishingSettingsItem.keys(access.workspace_id)
    return _settings_view(PublishingSettingsItem.find_key(*keys) or PublishingSettingsItem(*keys))


def _settings_view(item: PublishingSettingsItem) -> PublishingSettings:
    return PublishingSettings(
        approval_required=bool(item.approval_required), tracked_links=bool(item.tracked_links)
    )


def put_settings(access: WorkspaceAccess, settings: PublishingSettings) -> PublishingSettings:
    keys = PublishingSettingsItem.keys(access.workspace_id)
    # The stored item when there is one: its save is conditional on the version read.
    item = PublishingSettingsItem.find_key(*keys) or PublishingSettingsItem(*keys)
    item.approval_required = settings.approval_required
    if settings.tracked_links is not None:
        item.tracked_links = settings.tracked_links
    item.updated_at = utc_now()
    with (
        conflict_on_condition_failure("The settings changed meanwhile; reload and retry."),
        transaction() as write,
    ):
        write.save(item)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="publishing.settings_changed",
                details=_settings_view(item).model_dump(),
            )
        )
    return _settings_view(item)


# --- queue ---------------------------------------------------------------------------------------


def _require_account(workspace_id: str, account_id: str | None) -> None:
    if account_id is not None and not post_store.account_facts(workspace_id, [account_id]):
        raise NotFound(f"Account {account_id} was not found.")


def get_slots(access: WorkspaceAccess, account_id: str | None) -> QueueSlots:
    _require_account(access.workspace_id, account_id)
    item = QueueItem.find_key(*QueueItem.keys(access.workspace_id, account_id or WORKSPACE_QUEUE))
    return QueueSlots.model_validate({"slots": item.slots if item else []})


def put_slots(access: WorkspaceAccess, account_id: str | None, slots: QueueSlots) -> QueueSlots:
    _require_account(access.workspace_id, account_id)
    unique = sorted({(slot.weekday, slot.time) for slot in slots.slots})
    stored = [{"weekday": weekday, "time": moment} for weekday, moment in unique]
    keys = QueueItem.keys(access.workspace_id, account_id or WORKSPACE_QUEUE)
    item = QueueItem.find_key(*keys) or QueueItem(*keys)
    item.slots = stored
    item.updated_at = utc_now()
    with (
        conflict_on_condition_failure("The slots changed meanwhile; reload and retry."),
        transaction() as write,
    ):
        write.save(item)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="queue.slots_changed",
                target=f"account:{account_id}" if account_id else None,
            )
        )
    return QueueSlots.model_validate({"slots": stored})


def slot_times(
    slots: list[QueueSlot], timezone: str, after: datetime, weeks: int
) -> list[datetime]:
    """Every slot's UTC moment after `after`, for `weeks` weeks, in order; wall times skipped by
    a daylight-saving change are left out."""
    zone = ZoneInfo(timezone)
    start = after.astimezone(zone).date()
    found = []
    for offset in range(weeks * 7 + 1):
        day = start + timedelta(days=offset)
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            hours, minutes = (int(part) for part in slot.time.split(":"))
            wall = datetime.combine(day, time(hours, minutes))
            try:
                moment = resolve_time(wall, timezone)
            except ValidationFailed:
                continue
            if moment > after:
                found.append(moment)
    return sorted(found)


def queue_post(access: WorkspaceAccess, post_id: str, account_id: str | None) -> Post:
    """Schedule the post in the first free slot: one where none of its accounts has a post."""
    item = post_store.find_post(access.workspace_id, post_id)
    content = post_store.content_of(item)
    slots = get_slots(access, account_id).slots
    if account_id is not None and not slots:
        slots = get_slots(access, None).slots
    if not slots:
        raise Conflict("No queue slots are set; add some with PUT /v1/posts/queue/slots.")
    timezone = workspace_timezone(access.workspace_id)
    now = utc_now()
    candidates = slot_times(slots, timezone, now, QUEUE_HORIZON_WEEKS)
    accounts = {target.account_id for target in content.targets}
    taken = (
        post_store.scheduled_times(
            access.workspace_id, accounts, now, candidates[-1] + timedelta(seconds=1), item.post_id
        )
        if candidates
        else {}
    )
    busy = {moment for times in taken.values() for moment in times}
    free = next((moment for moment in candidates if moment not in busy), None)
    if free is None:
        raise Conflict(f"Every queue slot of the next {QUEUE_HORIZON_WEEKS} weeks is taken.")
    return _schedule(access, item, free, timezone, None)
