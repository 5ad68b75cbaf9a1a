"""Domain events, written as outbox items with the state change they describe (docs/events.md).

A state change and its event are one DynamoDB transaction: `write_event(write, event)` adds the
event's outbox item to the caller's `transaction()`; `record_event(event)` writes it alone, for
the rare change that is not in the table. The relay (functions/webhooks/workers/relay.py) puts
each new outbox item on Herald's EventBridge bus from the table's stream, so an event exists if
and only if its change was written. Delivery is at least once: a relayed duplicate carries the
same `id`, and a consumer that must act once claims each id with `first_receipt`.

    EVENT#<event id>   OUTBOX              the event waiting for the relay (kept a few days)
    EVENT#<event id>   RECEIPT#<consumer>  a consumer received the event (kept a week)

Neither lives in a workspace's partition, so a workspace deletion, which purges the partition in
the same request as it writes `workspace.deleted`, leaves its event to be relayed.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite
from ulid import ULID

from functions.shared.tables import AppItem, condition_failed, key, utc_now

ENVELOPE_VERSION = 1
SOURCE_PREFIX = "herald."
INTERNAL_SOURCE_PREFIX = "herald-internal."
OUTBOX_SORT_KEY = "OUTBOX"
# Long enough for the relay to retry through an outage of the bus (the stream keeps records a
# day), short enough that the table does not keep every event ever written.
OUTBOX_TTL = timedelta(days=3)
# Longer than any redelivery: the stream's day, the relay's retries and EventBridge's own day.
RECEIPT_TTL = timedelta(days=7)

# The event source mapping's filter (Lambda filter syntax over the stream record): new outbox
# items only, not the state changes beside them, not receipts, not the TTL's deletions.
OUTBOX_INSERTS: dict[str, Any] = {
    "eventName": ["INSERT"],
    "dynamodb": {
        "Keys": {"PK": {"S": [{"prefix": "EVENT#"}]}, "SK": {"S": [OUTBOX_SORT_KEY]}},
    },
}


def new_event_id() -> str:
    return f"evt_{ULID()}"


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened in a workspace, as consumers receive it.

    `group` is the function group it comes from (the bus's `source` is `herald.<group>`); `type`
    is a dotted name from the event catalogue (`post.published`); `data` is JSON-ready and says
    what happened without the workspace id, which the envelope carries.
    """

    group: str
    type: str
    workspace_id: str
    data: Mapping[str, Any]
    id: str = field(default_factory=new_event_id)
    occurred_at: datetime = field(default_factory=utc_now)
    version: int = ENVELOPE_VERSION
    # For one of Herald's own functions, not for customers: outside the catalogue, and on a
    # source (`herald-internal.<group>`) the `herald.` prefix of the webhook fan-out, the
    # notifier and the real-time pusher does not match.
    internal: bool = False

    @property
    def source(self) -> str:
        return f"{INTERNAL_SOURCE_PREFIX if self.internal else SOURCE_PREFIX}{self.group}"

    def envelope(self) -> dict[str, Any]:
        """The bus event's `detail`: what every consumer reads."""
        return {
            "id": self.id,
            "type": self.type,
            "version": self.version,
            "workspace_id": self.workspace_id,
            "occurred_at": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "data": dict(self.data),
        }


class OutboxItem(Model):
    """An event the relay has still to put on the bus: its source, type and envelope (JSON).

    The envelope is kept as the JSON text the bus receives, so the relay passes it on as it is
    (no DynamoDB number or set conversions) and a duplicate is byte for byte the same event.
    """

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    source = UnicodeAttribute()
    detail_type = UnicodeAttribute()
    envelope = UnicodeAttribute()
    expires_at = TTLAttribute()

    @classmethod
    def of(cls, event: DomainEvent) -> "OutboxItem":
        return cls(
            key("EVENT", event.id),
            OUTBOX_SORT_KEY,
            source=event.source,
            detail_type=event.type,
            envelope=json.dumps(event.envelope(), separators=(",", ":"), default=str),
            expires_at=utc_now() + OUTBOX_TTL,
        )


def write_event(write: TransactWrite, event: DomainEvent) -> None:
    """Add the event to the transaction of the change it describes: both are written, or neither."""
    write.save(OutboxItem.of(event), condition=OutboxItem.pk.does_not_exist())


def record_event(event: DomainEvent) -> None:
    """Write the event alone, for a change that is not in the table (one conditional put)."""
    OutboxItem.of(event).save(condition=OutboxItem.pk.does_not_exist())


class ReceiptItem(Model):
    """A consumer received an event: a second delivery of the same id finds it."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    expires_at = TTLAttribute()

    @classmethod
    def keys(cls, consumer: str, event_id: str) -> tuple[str, str]:
        return key("EVENT", event_id), key("RECEIPT", consumer)


def first_receipt(consumer: str, event_id: str) -> bool:
    """Claim the event for `consumer` (`webhooks`, `notifier`, ...): True the first time, False
    for any redelivery. A consumer that then fails calls `forget_receipt` before raising, so the
    retry is not mistaken for a duplicate."""
    receipt = ReceiptItem(*ReceiptItem.keys(consumer, event_id), expires_at=utc_now() + RECEIPT_TTL)
    try:
        receipt.save(condition=ReceiptItem.pk.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    return True


def forget_receipt(consumer: str, event_id: str) -> None:
    ReceiptItem(*ReceiptItem.keys(consumer, event_id)).delete()
