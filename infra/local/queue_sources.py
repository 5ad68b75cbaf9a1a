"""SQS event source mappings, delivered locally (the webhook delivery queue to its worker, the
inbound queue to the inbox processor: every SQS mapping of the synthesized template).

Lambda polls the queue, hands a batch to the function and, with ReportBatchItemFailures,
deletes every message but those the function reports; a reported message becomes visible again
after the queue's visibility timeout, and a delayed message only after its delay
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). This loop does
the same against moto's queue, one thread per batch, so a slow batch never holds up the next.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from infra.local.background import BackgroundLoop

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class QueueMapping:
    """A function fed by an SQS queue, with the mapping's batch size."""

    function: str
    queue_arn: str
    batch_size: int


class QueueSource:
    def __init__(self, sqs: Any, mapping: QueueMapping, invoke: Callable[[str, Any], Any]) -> None:
        self._sqs = sqs
        self._mapping = mapping
        self._invoke = invoke
        name = mapping.queue_arn.rsplit(":", 1)[-1]
        self._queue_url: str = sqs.get_queue_url(QueueName=name)["QueueUrl"]

    def poll(self) -> list[threading.Thread]:
        """Hand one batch of the visible messages to the function, on a thread of its own."""
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=min(self._mapping.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return []
        batch = threading.Thread(target=self.handle, args=(messages,), daemon=True)
        batch.start()
        return [batch]

    def handle(self, messages: Sequence[dict[str, Any]]) -> None:
        records = [self._record(message) for message in messages]
        try:
            result = self._invoke(self._mapping.function, {"Records": records}) or {}
        except Exception:
            logger.exception("The worker of queue %s failed", self._mapping.queue_arn)
            return  # every message becomes visible again, as in AWS
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                self._sqs.delete_message(
                    QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        """The record Lambda hands over for one message."""
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._mapping.queue_arn,
            "awsRegion": self._mapping.queue_arn.split(":")[3],
        }


def start_queue_sources(
    mappings: Sequence[QueueMapping], sqs: Any, invoke: Callable[[str, Any], Any]
) -> list[BackgroundLoop]:
    """A background poller per queue mapping of the template, calling `invoke(function, event)`."""
    loops: list[BackgroundLoop] = []
    for mapping in mappings:
        source = QueueSource(sqs, mapping, invoke)
        loop = BackgroundLoop(f"queue source to {mapping.function}", source.poll, POLL_SECONDS)
        loop.start()
        loops.append(loop)
    return loops
