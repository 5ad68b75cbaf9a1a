"""Approval: whether a post may go out as it is, and the post's record of the request and of
the decision on it (`approval` on the post).

With approval on, only the revision an admin approved publishes: whoever schedules, edits or
fires a post asks here, so that the rule and its record are written once.
"""

from datetime import datetime
from typing import Any

from functions.publish.adapters.post_items import PostItem, PublishingSettingsItem
from functions.shared.access import Role, WorkspaceAccess
from functions.shared.tables import utc_now


def required(workspace_id: str) -> bool:
    settings = PublishingSettingsItem.find_key(*PublishingSettingsItem.keys(workspace_id))
    return bool(settings and settings.approval_required)


def missing(item: PostItem) -> bool:
    """Approval is on and the post's current revision was not approved."""
    if not required(item.workspace_id):
        return False
    record = item.approval or {}
    return not (record.get("state") == "approved" and record.get("revision") == int(item.revision))


def may_decide(access: WorkspaceAccess) -> bool:
    return access.role is not None and access.role.at_least(Role.ADMIN)


def pending(item: PostItem, submitted_by: str, requested_at: datetime | None) -> dict[str, Any]:
    """The record of a request to approve the post's current revision, to publish at
    `requested_at` once approved (None: it goes back to being a draft)."""
    return {
        "state": "pending",
        "revision": int(item.revision),
        "submitted_by": submitted_by,
        "requested_at": requested_at.isoformat() if requested_at else None,
    }


def requested_at(item: PostItem) -> datetime | None:
    """When the post waiting for approval was meant to publish, if it was scheduled."""
    requested = (item.approval or {}).get("requested_at")
    return datetime.fromisoformat(requested) if requested else None


def record_decision(item: PostItem, actor: str, state: str, comment: str | None) -> None:
    record: dict[str, Any] = dict(item.approval or {})
    record.update(
        state=state,
        revision=int(item.revision),
        decided_by=actor,
        decided_at=utc_now().isoformat(),
        comment=comment,
    )
    item.approval = record
