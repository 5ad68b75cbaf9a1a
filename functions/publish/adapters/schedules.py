"""One-time EventBridge Scheduler schedules that fire the publish worker.

Each schedule's name starts with its workspace's id, so a deleted workspace's schedules are
listed by name prefix (`workspace_schedules`), then what it fires: `<ws>-post-<post>` for a post,
`<ws>-t-<digest>` for one target's retry, status check or reconciliation (the digest of post and
account keeps the name within Scheduler's 64 characters). Each holds an `at(...)` expression in
the wall time of a timezone, deletes itself after it ran, retries delivery and sends what it
could not deliver to the scheduler dead-letter queue.
"""

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from functions.shared import aws
from functions.shared.settings import get_settings

DELIVERY_RETRIES = 10
MAX_EVENT_AGE_SECONDS = 6 * 3600


def workspace_prefix(workspace_id: str) -> str:
    """What every name of the workspace's schedules starts with (ids are ULIDs, without `-`)."""
    return f"{workspace_id}-"


def post_schedule_name(workspace_id: str, post_id: str) -> str:
    return f"{workspace_prefix(workspace_id)}post-{post_id}"


def target_schedule_name(workspace_id: str, post_id: str, account_id: str) -> str:
    # Two ULIDs after the workspace's would make 82 characters; 128 bits of digest cannot clash.
    digest = hashlib.blake2b(f"{post_id}/{account_id}".encode(), digest_size=16).hexdigest()
    return f"{workspace_prefix(workspace_id)}t-{digest}"


def at_expression(moment: datetime, timezone: str) -> tuple[str, str]:
    """`at(yyyy-mm-ddThh:mm:ss)` (seconds kept) and the zone Scheduler reads it in: the wall time
    of `timezone`, or UTC when that wall time happens twice (the hour an autumn change repeats),
    since Scheduler's documentation does not say which of the two a one-time schedule means."""
    local = moment.astimezone(ZoneInfo(timezone))
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        local, timezone = moment.astimezone(UTC), "UTC"
    return f"at({local.strftime('%Y-%m-%dT%H:%M:%S')})", timezone


def _request(name: str, moment: datetime, timezone: str, payload: dict[str, Any]) -> dict[str, Any]:
    settings = get_settings()
    expression, expression_timezone = at_expression(moment, timezone)
    return {
        "Name": name,
        "GroupName": settings.schedule_group,
        "ScheduleExpression": expression,
        "ScheduleExpressionTimezone": expression_timezone,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "State": "ENABLED",
        "Target": {
            "Arn": settings.publish_worker_arn,
            "RoleArn": settings.scheduler_role_arn,
            "Input": json.dumps(payload, separators=(",", ":")),
            "RetryPolicy": {
                "MaximumRetryAttempts": DELIVERY_RETRIES,
                "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
            },
            "DeadLetterConfig": {"Arn": settings.scheduler_dead_letter_arn},
        },
    }


def put(name: str, moment: datetime, timezone: str, payload: dict[str, Any]) -> None:
    """Create the schedule, or move it (and replace its payload) when it exists."""
    scheduler = aws.scheduler()
    request = _request(name, moment, timezone, payload)
    try:
        scheduler.create_schedule(**request)
    except scheduler.exceptions.ConflictException:
        scheduler.update_schedule(**request)


def delete(name: str) -> bool:
    """Delete the schedule; False when there was none (it fired, or never existed)."""
    scheduler = aws.scheduler()
    try:
        scheduler.delete_schedule(Name=name, GroupName=get_settings().schedule_group)
    except scheduler.exceptions.ResourceNotFoundException:
        return False
    return True


def workspace_schedules(workspace_id: str) -> Iterator[str]:
    """The names of the workspace's schedules in Herald's group, page by page."""
    pages = (
        aws.scheduler()
        .get_paginator("list_schedules")
        .paginate(
            GroupName=get_settings().schedule_group, NamePrefix=workspace_prefix(workspace_id)
        )
    )
    for page in pages:
        for schedule in page["Schedules"]:
            yield str(schedule["Name"])


def describe(name: str) -> dict[str, Any] | None:
    scheduler = aws.scheduler()
    try:
        found = dict(scheduler.get_schedule(Name=name, GroupName=get_settings().schedule_group))
    except scheduler.exceptions.ResourceNotFoundException:
        return None
    return found
