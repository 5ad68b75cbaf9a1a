"""The outbound webhooks' items in the application table (docs/access-patterns.md, "Webhooks").

Deliveries and the event log expire after 30 days (the table's TTL).
"""

from datetime import datetime, timedelta
from typing import Self

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from functions.shared.identity_items import FindableItem
from functions.shared.tables import key

RETENTION = timedelta(days=30)
TIME_KEY_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def time_key(moment: datetime) -> str:
    """A UTC time as fixed-width text, so sort keys order by time."""
    return moment.strftime(TIME_KEY_FORMAT)


class EndpointItem(FindableItem):
    endpoint_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    url = UnicodeAttribute()
    description = UnicodeAttribute()
    event_types = JSONAttribute()  # a list of names, or "all"
    enabled = BooleanAttribute()
    disabled_reason = UnicodeAttribute(null=True)
    sealed_secret = UnicodeAttribute()
    # After a rotation, deliveries are signed with the previous secret too, until this time.
    sealed_previous_secret = UnicodeAttribute(null=True)
    previous_secret_expires_at = UTCDateTimeAttribute(null=True)
    last_success_at = UTCDateTimeAttribute(null=True)
    failing_since = UTCDateTimeAttribute(null=True)
    created_by = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str, endpoint_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("WHENDPOINT", endpoint_id)

    @classmethod
    def find(cls, workspace_id: str, endpoint_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, endpoint_id))

    @classmethod
    def of_workspace(cls, workspace_id: str) -> list[Self]:
        """Every endpoint of the workspace (a bounded number, see domain/endpoints.py)."""
        return list(
            cls.query(
                key("WS", workspace_id), cls.sk.startswith("WHENDPOINT#"), consistent_read=True
            )
        )

    def subscribes_to(self, event_type: str) -> bool:
        return self.event_types == "all" or event_type in self.event_types


class DeliveryItem(FindableItem):
    """One event's delivery to one endpoint, with every attempt made."""

    delivery_id = UnicodeAttribute()
    endpoint_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    body = UnicodeAttribute()  # the exact bytes POSTed (UTF-8 JSON), signed anew per attempt
    status = UnicodeAttribute()  # pending, delivered, failed
    attempts = NumberAttribute(default=0)
    retries_left = NumberAttribute()  # scheduled retries still allowed after a retryable failure
    next_attempt_at = UTCDateTimeAttribute(null=True)
    last_status_code = NumberAttribute(null=True)
    last_latency_ms = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    response_excerpt = UnicodeAttribute(null=True)
    attempt_log = JSONAttribute(default=list)

    @staticmethod
    def keys(workspace_id: str, endpoint_id: str, delivery_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("WHDELIVERY", endpoint_id, delivery_id)

    @staticmethod
    def prefix(endpoint_id: str) -> str:
        return key("WHDELIVERY", endpoint_id) + "#"

    @classmethod
    def find(cls, workspace_id: str, endpoint_id: str, delivery_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, endpoint_id, delivery_id))


class EventLogItem(FindableItem):
    """An event as the bus delivered it, kept for replays."""

    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    occurred_at = UTCDateTimeAttribute()
    envelope = JSONAttribute()

    @staticmethod
    def keys(workspace_id: str, occurred_at: datetime, event_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("WHEVENT", time_key(occurred_at), event_id)


class EventClaimItem(FindableItem):
    """That a consumer has handled an event: its duplicates are skipped."""

    @staticmethod
    def keys(workspace_id: str, consumer: str, event_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("EVENTSEEN", consumer, event_id)
