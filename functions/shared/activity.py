"""The workspace activity log: who did what, when. Every state-changing call records one entry.

Entries live in the workspace's partition, newest found first by their ULID sort key, and expire
after a year. Any function group records through `activity_entry`, saving the entry in the same
transaction as the change it describes where it can, so the log never claims what did not happen.
"""

from datetime import timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from ulid import ULID

from functions.shared.tables import AppItem, key, utc_now

RETENTION = timedelta(days=365)


class ActivityItem(AppItem):
    activity_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    actor = UnicodeAttribute()  # "user:<id>" or "api_key:<id>"
    action = UnicodeAttribute()  # "<resource>.<verb>", e.g. "member.role_changed"
    target = UnicodeAttribute(null=True)  # "<resource>:<id>"
    details = JSONAttribute(null=True)

    @staticmethod
    def partition(workspace_id: str) -> str:
        return key("WS", workspace_id)

    SORT_PREFIX = "ACTIVITY#"


def activity_entry(
    workspace_id: str,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> ActivityItem:
    activity_id = str(ULID())
    return ActivityItem(
        ActivityItem.partition(workspace_id),
        key("ACTIVITY", activity_id),
        activity_id=activity_id,
        workspace_id=workspace_id,
        actor=actor,
        action=action,
        target=target,
        details=details,
        expires_at=utc_now() + RETENTION,
    )
