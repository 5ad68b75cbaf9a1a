"""Pushes Herald's domain events to the WebSocket connections of their workspace.

An EventBridge rule on Herald's bus (every source starting `herald.`) invokes it with each
event; its `detail` is the event envelope. Delivery is best effort, as real time is: a message
for a connection that is gone (410) is dropped with the connection.
"""

from typing import Any

from functions.shared.observability import logger
from functions.webhooks.domain.realtime import push_event


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail = event["detail"]
    return {"delivered": push_event(detail)}
