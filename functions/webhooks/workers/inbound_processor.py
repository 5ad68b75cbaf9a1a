"""The inbound processor: SQS invokes it with up to 10 verified platform events from the inbound
queue (functions/shared/inbound.py). Each is parsed and recorded
(functions/webhooks/domain/inbound_processing.py). A message whose handling failed (DynamoDB
throttled, a transaction conflict, a mention's text not readable yet) is reported back
(ReportBatchItemFailures) and offered again; after the queue's receive limit it lands in the
dead-letter queue, except a mention on its last receive, which is recorded without its text. A
message no retry can help (unknown platform, a payload its parser refuses) is acknowledged,
logged and counted.
"""

import json
from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from functions.shared.observability import logger, metrics
from functions.shared.workers import LambdaHandler


def _handle(record: dict[str, Any]) -> str | None:
    """The record's message id if handling it failed, else None."""
    from functions.shared.inbound import MAX_RECEIVES, InboundDelivery
    from functions.webhooks.domain.inbound_processing import (
        UNUSABLE_METRIC,
        UnusableDelivery,
        process,
    )

    try:
        delivery = InboundDelivery.from_json(record["body"])
        logger.append_keys(platform=delivery.platform)
        receives = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        processed = process(delivery, last_attempt=receives >= MAX_RECEIVES)
    except (UnusableDelivery, json.JSONDecodeError, KeyError, TypeError) as error:
        # A body that is not a delivery, or one no retry can read.
        logger.warning("inbound event dropped", extra={"why": str(error)[:500]})
        metrics.add_metric(name=UNUSABLE_METRIC, unit=MetricUnit.Count, value=1)
        return None
    except Exception:
        logger.exception("inbound event failed", extra={"message_id": record["messageId"]})
        return str(record["messageId"])
    logger.info("inbound event processed", extra=asdict(processed))
    return None


@metrics.log_metrics(capture_cold_start_metric=True)
def _process_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failed = [message_id for record in event.get("Records", []) if (message_id := _handle(record))]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


handler: LambdaHandler = logger.inject_lambda_context(clear_state=True)(_process_batch)
