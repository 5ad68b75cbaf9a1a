"""Scheduling: when a post publishes, and who has to agree first.

A scheduled post has one EventBridge Scheduler schedule (`post-<post>`) whose `at(...)` holds the
wall time in the workspace's timezone, so 09:00 Europe/Berlin stays 09:00 across a daylight-saving
change. Each arming gets a new `fire_id`; the worker ignores a firing that carries an older one,
so a schedule left behind by a crash can never publish a moved or cancelled post. The post also
goes on the calendar and on the `by-due` index, where the sweeper finds it if the schedule is
ever missed.

With approval on, a post publishes only when the revision about to go out was approved: an
editor's schedule request becomes a submission, an admin's approval arms it, and any edit after
approval asks again.
"""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ulid import ULID

from functions.publish.adapters import schedules, worker_calls
from functions.publish.adapters.post_items import (
    PostItem,
    PublishingSettingsItem,
    QueueItem,
    calendar_sort_key,
    due_bucket,
)
from functions.publish.domain import posts, preflight
from functions.publish.domain.post_models import (
    Post,
    PostContent,
    Preflight,
    PublishingSettings,
    QueueSlot,
    QueueSlots,
    Recurrence,
    ScheduleRequest,
    TargetPreflight,
)
from functions.shared.access import Role, WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.events import publish_event
from functions.shared.identity_items import WorkspaceItem
from functions.shared.problems import Conflict, FieldError, NotFound, ValidationFailed
from functions.shared.tables import conflict_on_condition_failure, key, transaction, utc_now

# A time a moment in the past is still taken as "now" (clock skew, a slow form).
PAST_TOLERANCE = timedelta(minutes=1)
QUEUE_HORIZON_WEEKS = 8
WORKSPACE_QUEUE = "WORKSPACE"


def workspace_timezone(workspace_id: str) -> str:
    workspace = WorkspaceItem.find(workspace_id)
    return workspace.timezone if workspace is not None else "UTC"


def resolve_time(at: datetime, timezone: str, pointer: str = "/body/at") -> datetime:
    """The UTC moment meant by `at`: with an offset as given, without one in `timezone`.

    A wall time that does not exist there (skipped by a spring-forward change) is refused; one
    that exists twice (the autumn change) means its first occurrence.
    """
    if at.tzinfo is not None:
        return at.astimezone(ZoneInfo("UTC"))
    zone = ZoneInfo(timezone)
    local = at.replace(tzinfo=zone, fold=0)
    round_trip = local.astimezone(ZoneInfo("UTC")).astimezone(zone)
    if round_trip.replace(tzinfo=None) != at:
        raise ValidationFailed(
            f"{at.isoformat()} does not exist in {timezone} (the clocks skip it).",
            errors=[
                FieldError(
                    pointer=pointer,
                    detail=f"this wall time is skipped by a daylight-saving change in {timezone}",
                    code="nonexistent_time",
                )
            ],
        )
    return local.astimezone(ZoneInfo("UTC"))


def _require_future(moment: datetime) -> None:
    if moment < utc_now() - PAST_TOLERANCE:
        raise ValidationFailed(
            "The time is in the past.",
            errors=[FieldError(pointer="/body/at", detail="must be in the future", code="past")],
        )


def _is_approver(access: WorkspaceAccess) -> bool:
    return access.role is not None and access.role.at_least(Role.ADMIN)


def full_preflight(workspace_id: str, item: PostItem, at: datetime) -> Preflight:
    """Preflight plus the per-account quotas at `at`."""
    content = posts.content_of(item)
    checked = posts.run_preflight(workspace_id, content)
    accounts = posts.account_facts(workspace_id, (t.account_id for t in content.targets))
    scheduled = posts.scheduled_times(
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
    item = posts.find_post(access.workspace_id, post_id)
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
        raise posts.PreflightFailed(
            "This post would fail to publish; fix the problems listed first.", checked
        )
    if recurrence is not None:
        item.recurrence = recurrence.model_dump(mode="json")
        item.series_id = item.series_id or item.post_id
    if posts.approval_required(access.workspace_id) and not _approved(item):
        if not _is_approver(access):
            _submit(access, item, at)
            return posts.post_view(item, [], checked)
        _record_approval(item, access.actor, "approved", None)
    arm(item, at, timezone, actor=access.actor, action=action)
    return posts.post_view(item, None, checked)


def _approved(item: PostItem) -> bool:
    approval = item.approval or {}
    return approval.get("state") == "approved" and approval.get("revision") == int(item.revision)


def _record_approval(item: PostItem, actor: str, state: str, comment: str | None) -> None:
    approval: dict[str, Any] = dict(item.approval or {})
    approval.update(
        state=state,
        revision=int(item.revision),
        decided_by=actor,
        decided_at=utc_now().isoformat(),
        comment=comment,
    )
    item.approval = approval


def arm(
    item: PostItem, at: datetime, timezone: str, *, actor: str, action: str = "post.scheduled"
) -> None:
    """Point the post's schedule at `at`, then record it (calendar, due index, activity).

    The schedule is written first: if recording fails the schedule carries a `fire_id` the post
    never got, so its firing is ignored, and the previous schedule is put back.
    """
    previous = (item.scheduled_at, item.timezone, item.fire_id, item.status)
    fire_id = str(ULID())
    payload = {
        "herald": "publish-post",
        "workspace_id": item.workspace_id,
        "post_id": item.post_id,
        "fire_id": fire_id,
    }
    name = schedules.post_schedule_name(item.post_id)
    schedules.put(name, at, timezone, payload)
    content = posts.content_of(item)
    item.status = "scheduled"
    item.scheduled_at = at
    item.timezone = timezone
    item.fire_id = fire_id
    item.due_bucket = due_bucket("POSTS", item.post_id)
    item.due_at = at
    item.updated_at = utc_now()
    try:
        with posts.changed_meanwhile(item.post_id), transaction() as write:
            write.save(item)
            old_at = previous[0] if previous[3] == "scheduled" else None
            # Moved to another second (an entry's key): the old entry goes.
            if old_at is not None and calendar_sort_key(old_at) != calendar_sort_key(at):
                posts.remove_from_calendar(write, item.workspace_id, old_at, item.post_id)
            write.save(posts.calendar_item(item, at, content))
            write.save(
                activity_entry(
                    item.workspace_id,
                    actor=actor,
                    action=action,
                    target=f"post:{item.post_id}",
                    details={"at": at.isoformat(), "timezone": timezone},
                )
            )
    except Exception:
        old_at, old_timezone, old_fire_id, old_status = previous
        if old_status == "scheduled" and old_at is not None and old_timezone and old_fire_id:
            schedules.put(name, old_at, old_timezone, {**payload, "fire_id": old_fire_id})
        else:
            schedules.delete(name)
        raise
    publish_event(
        "publish",
        "post.scheduled",
        {
            "workspace_id": item.workspace_id,
            "post_id": item.post_id,
            "scheduled_at": at.isoformat(),
            "timezone": timezone,
            "targets": [{"account_id": target.account_id} for target in content.targets],
        },
    )


def disarm(item: PostItem) -> None:
    """Forget the post's firing on the item (the caller saves it and deletes the schedule)."""
    item.fire_id = None
    item.due_bucket = None
    item.due_at = None


def delete_schedule(item: PostItem) -> None:
    schedules.delete(schedules.post_schedule_name(item.post_id))


def unschedule(access: WorkspaceAccess, post_id: str) -> Post:
    item = posts.find_post(access.workspace_id, post_id)
    if item.status not in ("scheduled", "pending_approval"):
        raise Conflict(f"Post {post_id} is not scheduled.")
    was_scheduled_at = item.scheduled_at if item.status == "scheduled" else None
    disarm(item)
    item.status = "draft"
    item.scheduled_at = None
    item.timezone = None
    # Cancelling ends the series too: scheduling the draft again names its own recurrence.
    item.recurrence = None
    item.updated_at = utc_now()
    with posts.changed_meanwhile(post_id), transaction() as write:
        write.save(item)
        if was_scheduled_at is not None:
            posts.remove_from_calendar(write, access.workspace_id, was_scheduled_at, post_id)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="post.unscheduled",
                target=f"post:{post_id}",
            )
        )
    delete_schedule(item)
    return posts.post_view(item, [])


def publish_now(access: WorkspaceAccess, post_id: str) -> Post:
    """Arm the post for now and start the worker at once (the schedule stays as a backstop)."""
    item = posts.find_post(access.workspace_id, post_id)
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
    item.approval = {
        "state": "pending",
        "revision": int(item.revision),
        "submitted_by": access.actor,
        "requested_at": requested_at.isoformat() if requested_at else None,
    }
    item.status = "pending_approval"
    disarm(item)
    item.updated_at = utc_now()
    with posts.changed_meanwhile(item.post_id), transaction() as write:
        write.save(item)
        if was_scheduled_at is not None:
            posts.remove_from_calendar(write, item.workspace_id, was_scheduled_at, item.post_id)
        write.save(
            activity_entry(
                item.workspace_id,
                actor=access.actor,
                action="post.submitted",
                target=f"post:{item.post_id}",
            )
        )
    if was_scheduled_at is not None:
        delete_schedule(item)


def submit(access: WorkspaceAccess, post_id: str) -> Post:
    item = posts.find_post(access.workspace_id, post_id)
    if item.status not in ("draft", "pending_approval"):
        raise Conflict(
            f"Post {post_id} is {item.status.replace('_', ' ')}; only drafts are submitted."
        )
    _submit(access, item, None)
    return posts.post_view(item, [])


def approve(access: WorkspaceAccess, post_id: str, comment: str | None) -> Post:
    item = posts.find_post(access.workspace_id, post_id)
    if item.status != "pending_approval":
        raise Conflict(f"Post {post_id} is not waiting for approval.")
    requested = (item.approval or {}).get("requested_at")
    _record_approval(item, access.actor, "approved", comment)
    if requested:
        at = datetime.fromisoformat(requested)
        if at >= utc_now() - PAST_TOLERANCE:
            timezone = workspace_timezone(access.workspace_id)
            # One entry says both: approved, and so scheduled.
            return _schedule(access, item, at, timezone, None, action="post.approved")
    item.status = "draft"
    _save_decision(access, item, "post.approved")
    return posts.post_view(item, [])


def reject(access: WorkspaceAccess, post_id: str, comment: str) -> Post:
    item = posts.find_post(access.workspace_id, post_id)
    if item.status != "pending_approval":
        raise Conflict(f"Post {post_id} is not waiting for approval.")
    _record_approval(item, access.actor, "rejected", comment)
    item.status = "draft"
    _save_decision(access, item, "post.rejected")
    return posts.post_view(item, [])


def _save_decision(access: WorkspaceAccess, item: PostItem, action: str) -> None:
    item.updated_at = utc_now()
    with posts.changed_meanwhile(item.post_id), transaction() as write:
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


def get_settings(access: WorkspaceAccess) -> PublishingSettings:
    return PublishingSettings(approval_required=posts.approval_required(access.workspace_id))


def put_settings(access: WorkspaceAccess, settings: PublishingSettings) -> PublishingSettings:
    keys = PublishingSettingsItem.keys(access.workspace_id)
    # The stored item when there is one: its save is conditional on the version read.
    item = PublishingSettingsItem.find_key(*keys) or PublishingSettingsItem(*keys)
    item.approval_required = settings.approval_required
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
                details=settings.model_dump(),
            )
        )
    return settings


# --- queue ---------------------------------------------------------------------------------------


def _require_account(workspace_id: str, account_id: str | None) -> None:
    if account_id is not None and not posts.account_facts(workspace_id, [account_id]):
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
    item = posts.find_post(access.workspace_id, post_id)
    content = posts.content_of(item)
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
        posts.scheduled_times(
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


# --- recurrence ----------------------------------------------------------------------------------


def next_occurrence(previous: datetime, timezone: str, recurrence: Recurrence) -> datetime | None:
    """The same wall time `every` days or weeks later (so 09:00 stays 09:00 across a change),
    or None after `until`."""
    zone = ZoneInfo(timezone)
    local = previous.astimezone(zone)
    step = timedelta(days=recurrence.every * (7 if recurrence.unit == "weeks" else 1))
    wall = local.replace(tzinfo=None) + step
    until: date | None = recurrence.until
    while True:
        if until is not None and wall.date() > until:
            return None
        try:
            return resolve_time(wall, timezone)
        except ValidationFailed:
            wall += step  # the wall time does not exist that day: skip the occurrence


def schedule_next_occurrence(item: PostItem) -> str | None:
    """After a recurring post fired: a copy of it armed for the next occurrence."""
    if not item.recurrence or item.scheduled_at is None or not item.timezone:
        return None
    recurrence = Recurrence.model_validate(item.recurrence)
    at = next_occurrence(item.scheduled_at, item.timezone, recurrence)
    if at is None:
        return None
    content = PostContent.model_validate(item.content_dict())
    copy = posts.new_post_item(
        item.workspace_id,
        content,
        item.labels or (),
        item.created_by,
        recurrence=item.recurrence,
        series_id=item.series_id or item.post_id,
    )
    if item.approval and item.approval.get("state") == "approved":
        copy.approval = {**item.approval, "revision": 1}
    posts.save_new(copy, f"system:{key('SERIES', copy.series_id or '')}", "post.occurrence_created")
    arm(copy, at, item.timezone, actor="system:recurrence")
    return copy.post_id


# --- retry ---------------------------------------------------------------------------------------


def retry_post(access: WorkspaceAccess, post_id: str) -> tuple[Post, list[str]]:
    """Publish again only the targets that failed; the published ones are left alone."""
    from functions.publish.domain.publishing import retry_failed

    item = posts.find_post(access.workspace_id, post_id)
    if item.status not in ("failed", "partially_failed"):
        raise Conflict(f"Post {post_id} has no failed targets to retry ({item.status}).")
    retried = retry_failed(access.workspace_id, post_id)
    if not retried:
        raise Conflict(f"Post {post_id} has no failed targets to retry.")
    with transaction() as write:
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="post.retried",
                target=f"post:{post_id}",
                details={"account_ids": retried},
            )
        )
    worker_calls.start(
        {
            "herald": "publish-accounts",
            "workspace_id": access.workspace_id,
            "post_id": post_id,
            "account_ids": retried,
            "run_id": str(ULID()),
        }
    )
    return posts.get_post(access, post_id), retried
