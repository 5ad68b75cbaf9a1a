"""Reading a workspace's activity log, newest first."""

from functions.auth.domain.models import Activity
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import ActivityItem
from functions.shared.pagination import PageRequest
from functions.shared.tables import query_page


def list_activity(access: WorkspaceAccess, page: PageRequest) -> tuple[list[Activity], str | None]:
    items, cursor = query_page(
        ActivityItem,
        ActivityItem.partition(access.workspace_id),
        ActivityItem.SORT_PREFIX,
        page,
        newest_first=True,
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
        for item in items
    ]
    return entries, cursor
