"""Accepting platform events (verified webhooks, or what a poll found): each once, queued for the
webhooks group's processor.

A platform may deliver the same event several times (its retries, or a webhook and a poll
announcing the same comment). The route that verified a request, and the publish group's poller,
hand their events here; each is claimed by the platform's own id with a conditional put (kept 7
days, longer than any platform's retries), and only the first claim is queued, so the answer
stays a few milliseconds and nothing is processed twice (docs/inbox.md).
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from functions.shared import aws
from functions.shared.events import first_receipt, forget_receipt
from functions.shared.settings import get_settings

_BATCH = 10  # SendMessageBatch's limit
# Platform event ids are short; a longer one (or a payload without an id) is digested so the
# claim's key stays bounded.
MAX_EVENT_ID_LENGTH = 200
# Receives of one message before the queue moves it to its dead-letter queue (infra/inbound.py).
MAX_RECEIVES = 5


@dataclass(frozen=True, slots=True)
class InboundDelivery:
    """One event of a verified request: `payload` is the part of the body that describes it."""

    platform: str
    event_id: str
    payload: Mapping[str, Any]

    def claim_id(self) -> str:
        if len(self.event_id) <= MAX_EVENT_ID_LENGTH:
            return f"{self.platform}:{self.event_id}"
        return f"{self.platform}:sha256:{hashlib.sha256(self.event_id.encode()).hexdigest()}"

    def to_json(self) -> str:
        return json.dumps(
            {"platform": self.platform, "event_id": self.event_id, "payload": self.payload},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> "InboundDelivery":
        body = json.loads(text)
        return cls(platform=body["platform"], event_id=body["event_id"], payload=body["payload"])


def payload_digest(payload: Mapping[str, Any]) -> str:
    """An event id for a platform that sends none: the same payload gives the same id."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def accept(deliveries: Sequence[InboundDelivery]) -> int:
    """Claim each delivery and queue the new ones; the number queued. A delivery whose message
    could not be queued gives its claim back before the error propagates, so the platform's
    retry is accepted instead of being taken for a duplicate."""
    fresh = [delivery for delivery in deliveries if first_receipt("inbound", delivery.claim_id())]
    queue_url = get_settings().inbound_queue_url
    for start in range(0, len(fresh), _BATCH):
        batch = fresh[start : start + _BATCH]
        try:
            response = aws.sqs().send_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(index), "MessageBody": delivery.to_json()}
                    for index, delivery in enumerate(batch)
                ],
            )
        except Exception:
            _release(fresh[start:])
            raise
        failed = {int(entry["Id"]) for entry in response.get("Failed", [])}
        if failed:
            _release([batch[index] for index in failed] + fresh[start + _BATCH :])
            raise RuntimeError(f"{len(failed)} inbound events were not queued")
    return len(fresh)


def _release(deliveries: Sequence[InboundDelivery]) -> None:
    for delivery in deliveries:
        forget_receipt("inbound", delivery.claim_id())
