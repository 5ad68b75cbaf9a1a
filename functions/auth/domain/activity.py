"""Reading a workspace's activity log, newest first."""

from functions.auth.domain.models import Activity
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import ActivityItem
from functions.shared.pagination import PageRequest, decode_cursor, encode_cursor


def list_activity(access: WorkspaceAccess, page: PageRequest) -> tuple[list[Activity], str | None]:
    partition = ActivityItem.partition(access.workspace_id)
    result = ActivityItem.query(
        partition,
        ActivityItem.sk.startswith(ActivityItem.SORT_PREFIX),
        scan_index_forward=False,
        limit=page.limit,
        last_evaluated_key=decode_cursor(
            page.cursor, partition_attribute="PK", partition=partition
        ),
    )
    entries = [
        Activity(
            id=item.activity_id,
            actor=item.actor,
            action=item.action,
            target=item.target,
            details=item.details,
            at=item.created_at,
        )
        for item in result
    ]
    return entries, encode_cursor(result.last_evaluated_key)
