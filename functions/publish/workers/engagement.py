"""The engagement function: the inbox invokes it synchronously to reply to, hide, unhide or
delete a comment or mention on its platform, and the inbound processor to read a mention its
webhook named only by ids (functions/shared/engagement_calls.py). It runs in
the publish group because that group holds the accounts' tokens; it writes nothing of the
inbox, whose group records the answer and keeps each action from being done twice."""

from typing import Any

from functions.shared.engagement_calls import TASK, EngagementCall
from functions.shared.observability import logger
from functions.shared.workers import task_handler


def engage(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.publish.domain.engagement import perform

    call = EngagementCall.from_event(event)
    logger.append_keys(workspace_id=call.workspace_id, account_id=call.account_id)
    answer = perform(call)
    logger.info("engagement action", extra={"action": call.action, "outcome": answer.outcome})
    return answer.to_json()


handler = task_handler({TASK: engage})
