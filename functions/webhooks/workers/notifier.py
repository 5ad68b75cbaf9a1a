"""The notifier: an EventBridge rule on Herald's bus (every `herald.*` source) invokes it with
each event; its `detail` is the event envelope. Events that notify nobody are ignored.

EventBridge delivers at least once and retries a failed invocation; delivery is idempotent per
event and recipient (domain/notifications_delivery.py)."""

from typing import Any

from functions.shared.observability import logger, metrics
from functions.shared.workers import LambdaHandler


@metrics.log_metrics(capture_cold_start_metric=True)
def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.webhooks.domain import notifications_delivery

    delivered = notifications_delivery.handle(event["detail"])
    logger.info(
        "event handled",
        extra={"event_type": event.get("detail-type"), "recipients": delivered},
    )
    return {"delivered": delivered}


handler: LambdaHandler = logger.inject_lambda_context(clear_state=True)(_handle)
