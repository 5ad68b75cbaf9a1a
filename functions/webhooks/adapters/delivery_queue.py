"""The delivery queue: one SQS message per delivery attempt, so that an endpoint that hangs
holds up only its own message (docs/webhooks.md, "Delivery")."""

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from functions.shared import aws
from functions.shared.settings import get_settings

# SQS's longest message delay; a longer wait is several delayed messages in a row.
MAX_DELAY_SECONDS = 900
_BATCH = 10  # SendMessageBatch's limit


@dataclass(frozen=True, slots=True)
class DeliveryMessage:
    workspace_id: str
    endpoint_id: str
    delivery_id: str
    attempt: int  # the attempt this message makes; a message for an older attempt is stale
    not_before: float | None = None  # unix seconds; an early message is sent on again

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "DeliveryMessage":
        return cls(**json.loads(text))


def enqueue(messages: list[DeliveryMessage], delay_seconds: int = 0) -> None:
    """Queue the messages, each delayed by `delay_seconds` (at most 900). The batches go out
    side by side, so the last message waits for one call, not for every batch before it."""
    batches = [messages[start : start + _BATCH] for start in range(0, len(messages), _BATCH)]
    if len(batches) > 1:
        with ThreadPoolExecutor(max_workers=len(batches)) as pool:
            list(pool.map(lambda batch: _send(batch, delay_seconds), batches))
    elif batches:
        _send(batches[0], delay_seconds)


def _send(batch: list[DeliveryMessage], delay_seconds: int) -> None:
    response = aws.sqs().send_message_batch(
        QueueUrl=get_settings().webhook_delivery_queue_url,
        Entries=[
            {
                "Id": str(index),
                "MessageBody": message.to_json(),
                "DelaySeconds": min(delay_seconds, MAX_DELAY_SECONDS),
            }
            for index, message in enumerate(batch)
        ],
    )
    if response.get("Failed"):
        raise RuntimeError(f"{len(response['Failed'])} delivery messages were not queued")
