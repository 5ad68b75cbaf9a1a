"""A post's schedule: armed for a moment, disarmed, deleted.

A scheduled post has one EventBridge Scheduler schedule (`<workspace>-post-<post>`) whose
`at(...)` holds the wall time in the workspace's timezone, so 09:00 Europe/Berlin stays 09:00
across a daylight-saving change. Each arming gets a new `fire_id`; the worker ignores a firing
that carries an older one, so a schedule left behind by a crash can never publish a moved or
cancelled post. The post also goes on the calendar and on the `by-due` index, where the sweeper
finds it if the schedule is ever missed.

EventBridge Scheduler invokes its target up to about a minute after the schedule's time, even
with the flexible time window off. So the schedule is armed `FIRE_LEAD` before the post's time
and the worker waits out the remaining seconds (`publishing.fire_post`): the post goes out at the
second it was scheduled for.
"""

from datetime import datetime, timedelta

from ulid import ULID

from functions.publish.adapters import schedules
from functions.publish.adapters.post_items import PostItem, calendar_sort_key, due_bucket
from functions.publish.domain import post_store
from functions.shared.activity import activity_entry
from functions.shared.events import DomainEvent, write_event
from functions.shared.tables import transaction, utc_now

FIRE_LEAD = timedelta(seconds=60)


def armed_time(at: datetime) -> datetime:
    """When the post's schedule fires: early enough that Scheduler's delay never makes it late,
    and never in the past (a post due within the lead, or published now, fires at once)."""
    return max(at - FIRE_LEAD, utc_now())


def arm(
    item: PostItem,
    at: datetime,
    timezone: str,
    *,
    actor: str,
    action: str = "post.scheduled",
    decision: DomainEvent | None = None,
) -> None:
    """Point the post's schedule at `at`, then record it (calendar, due index, activity, the
    `post.scheduled` event, and the approval `decision` that scheduled it, if any).

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
    name = schedules.post_schedule_name(item.workspace_id, item.post_id)
    schedules.put(name, armed_time(at), timezone, payload)
    content = post_store.content_of(item)
    item.status = "scheduled"
    item.scheduled_at = at
    item.timezone = timezone
    item.fire_id = fire_id
    item.due_bucket = due_bucket("POSTS", item.post_id)
    item.due_at = at
    item.updated_at = utc_now()
    try:
        with post_store.changed_meanwhile(item.post_id), transaction() as write:
            write.save(item)
            old_at = previous[0] if previous[3] == "scheduled" else None
            # Moved to another second (an entry's key): the old entry goes.
            if old_at is not None and calendar_sort_key(old_at) != calendar_sort_key(at):
                post_store.remove_from_calendar(write, item.workspace_id, old_at, item.post_id)
            write.save(post_store.calendar_item(item, at, content))
            write.save(
                activity_entry(
                    item.workspace_id,
                    actor=actor,
                    action=action,
                    target=f"post:{item.post_id}",
                    details={"at": at.isoformat(), "timezone": timezone},
                )
            )
            write_event(
                write,
                DomainEvent(
                    "publish",
                    "post.scheduled",
                    item.workspace_id,
                    {
                        "post_id": item.post_id,
                        "scheduled_at": at.isoformat(),
                        "timezone": timezone,
                        "targets": [
                            {"account_id": target.account_id} for target in content.targets
                        ],
                    },
                ),
            )
            if decision is not None:
                write_event(write, decision)
    except Exception:
        old_at, old_timezone, old_fire_id, old_status = previous
        if old_status == "scheduled" and old_at is not None and old_timezone and old_fire_id:
            schedules.put(
                name, armed_time(old_at), old_timezone, {**payload, "fire_id": old_fire_id}
            )
        else:
            schedules.delete(name)
        raise


def disarm(item: PostItem) -> None:
    """Forget the post's firing on the item (the caller saves it and deletes the schedule)."""
    item.fire_id = None
    item.due_bucket = None
    item.due_at = None


def delete_schedule(item: PostItem) -> None:
    schedules.delete(schedules.post_schedule_name(item.workspace_id, item.post_id))


def delete_workspace_schedules(workspace_id: str) -> int:
    """Delete every schedule of a deleted workspace (its posts' and its targets'); how many.

    Listed by the workspace's name prefix, since its post items are purged by now; listed in
    full before deleting, so that no page is read from a listing that is changing.
    """
    names = list(schedules.workspace_schedules(workspace_id))
    return sum(schedules.delete(name) for name in names)
