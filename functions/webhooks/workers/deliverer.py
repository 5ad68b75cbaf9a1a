"""The webhook deliverer: SQS invokes it with up to 10 delivery messages, each one attempt to
one endpoint. The messages are handled side by side, each on its own thread, so an endpoint
that hangs until its 10 s timeout delays no other delivery of the batch. A message whose
handling fails is reported back (ReportBatchItemFailures) and SQS offers it again; after the
queue's receive limit it lands in the dead-letter queue.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from functions.shared.observability import logger, metrics


def _handle(record: dict[str, Any]) -> str | None:
    """The record's message id if handling it failed, else None."""
    from functions.webhooks.adapters.delivery_queue import DeliveryMessage
    from functions.webhooks.domain.deliveries import handle_message

    try:
        handle_message(DeliveryMessage.from_json(record["body"]))
    except Exception:
        logger.exception("Delivery message failed", extra={"message_id": record["messageId"]})
        return str(record["messageId"])
    return None


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    records = event.get("Records", [])
    with ThreadPoolExecutor(max_workers=max(1, len(records))) as pool:
        failed = [message_id for message_id in pool.map(_handle, records) if message_id]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
