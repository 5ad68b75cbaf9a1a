"""Lambda handler of the events the publish group acts on, from Herald's EventBridge bus.

- `workspace.deleted` (from the auth group). Auth has closed the workspace and purged its
  partition, posts and targets included; every schedule still armed for them (scheduled and
  recurring posts, targets' retries and checks) is deleted here, found by the workspace's name
  prefix. A firing that arrives anyway finds no post, or a closed workspace, and does nothing.
  The workspace's X accounts are handed to the publish worker (which holds the app's
  credentials): they leave their users' Account Activity entries, and a user left with no Herald
  account is unsubscribed at X, as disconnecting does
  (functions/publish/domain/x_account_activity.py).
- `platform.notice` (internal, from the webhooks group's inbound processor): what a platform's
  webhook said about one of the workspace's accounts or targets (functions/publish/domain/
  platform_notices.py).

The rules are in infra/publish_events.py. Events are delivered at least once; deleting again what
is gone is harmless, and notices are handled once per event id.
"""

from typing import Any

from pydantic import BaseModel

from functions.shared.engagement import PLATFORM_NOTICE_EVENT
from functions.shared.observability import logger

WORKSPACE_DELETED = "workspace.deleted"


class _DeletedWorkspace(BaseModel):
    workspace_id: str


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    kind = event["detail-type"]
    if kind == PLATFORM_NOTICE_EVENT:
        from functions.publish.domain.platform_notices import handle_notice

        return {"outcome": handle_notice(event["detail"])}
    if kind != WORKSPACE_DELETED:
        raise ValueError(f"the publish events function takes no {kind!r} event")
    from functions.publish.domain.schedule_arming import delete_workspace_schedules
    from functions.publish.domain.x_account_activity import start_workspace_release

    deleted = _DeletedWorkspace.model_validate(event["detail"])
    logger.append_keys(workspace_id=deleted.workspace_id)
    count = delete_workspace_schedules(deleted.workspace_id)
    release_started = start_workspace_release(deleted.workspace_id)
    logger.info(
        "deleted workspace's schedules",
        extra={"schedules": count, "x_release_started": release_started},
    )
    return {"schedules_deleted": count, "x_release_started": release_started}
