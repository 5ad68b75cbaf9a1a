"""The daily digest: an EventBridge schedule (cron, every morning) invokes it; it sends the
digests of the previous UTC day, the day before the scheduled event's `time`."""

from datetime import datetime, timedelta
from typing import Any

from functions.shared.observability import logger, metrics
from functions.shared.workers import LambdaHandler


@metrics.log_metrics(capture_cold_start_metric=True)
def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.webhooks.domain import notifications_digest

    day = (datetime.fromisoformat(event["time"]) - timedelta(days=1)).date()
    sent = notifications_digest.send_digests(day)
    logger.info("digests sent", extra={"day": day.isoformat(), "emails": sent})
    return {"day": day.isoformat(), "sent": sent}


handler: LambdaHandler = logger.inject_lambda_context(clear_state=True)(_handle)
