"""The outbound webhooks' items in the application table (docs/access-patterns.md, "Webhooks").

Deliveries and the event log expire after 30 days (the table's TTL).

`EndpointHealthItem` and `DeliveryClaim` are narrow views of the endpoint and delivery items
without PynamoDB's `VersionAttribute`, which increments the version on every update, condition
or not. They are only ever updated (never saved), so they write just the attributes named.
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
from pynamodb.models import Model

from functions.shared.identity_items import FindableItem
from functions.shared.tables import AppItem, key

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


class EndpointHealthItem(Model):
    """What deliveries record on an endpoint's item (its successes, its failures, Herald
    disabling it), written without changing the version that guards an admin's edits: a busy
    endpoint's deliveries never make an edit answer 409 (docs/webhooks.md, "Endpoint health")."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    version = NumberAttribute(null=True)  # only compared: Herald's disabling yields to an edit
    enabled = BooleanAttribute(null=True)
    disabled_reason = UnicodeAttribute(null=True)
    last_success_at = UTCDateTimeAttribute(null=True)
    failing_since = UTCDateTimeAttribute(null=True)

    @classmethod
    def of(cls, endpoint: EndpointItem) -> Self:
        return cls(endpoint.pk, endpoint.sk)


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


class DeliveryClaim(Model):
    """A delivery's attempt counter, for claiming an attempt in one conditional update that
    returns the whole delivery (a read, then a versioned save, would be two calls). It bumps the
    version itself, so the delivery's versioned writers still see the change."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    version = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    attempts = NumberAttribute(null=True)
    next_attempt_at = UTCDateTimeAttribute(null=True)
