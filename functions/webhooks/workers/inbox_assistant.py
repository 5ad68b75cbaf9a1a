"""The inbox assistant: an EventBridge rule invokes it with each `comment.received` and
`mention.received`; its `detail` is the event envelope. A workspace whose inbox AI settings are
off costs one read (docs/inbox.md#the-inbox-assistant).

Only the outcome is logged, never the comment, the prompt or the model's answer."""

from typing import Any

from functions.shared.observability import logger, metrics
from functions.shared.workers import LambdaHandler


@metrics.log_metrics(capture_cold_start_metric=True)
def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.webhooks.domain import inbox_assistant

    outcome = inbox_assistant.on_arrival(event["detail"])
    logger.info("inbox item assisted", extra={"outcome": outcome})
    return {"outcome": outcome}


handler: LambdaHandler = logger.inject_lambda_context(clear_state=True)(_handle)
