"""The webhook fan-out: an EventBridge rule on Herald's bus (every `herald.*` source) invokes it
with each domain event; `detail` is the event's envelope. It logs the event for replays and
queues one delivery per subscribed endpoint (functions/webhooks/domain/deliveries.py)."""

from typing import Any

from functions.shared.observability import logger


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    from functions.webhooks.domain.deliveries import fan_out

    return {"deliveries": fan_out(event["detail"])}
