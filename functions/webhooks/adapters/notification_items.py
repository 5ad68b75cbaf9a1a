"""The items notifications keep in the application table (docs/access-patterns.md).

Key shapes, all in the workspace's partition but the digest's:
  WS#<ws>        NOTIF#<user>#<notification>           a notification (TTL 90 days)
  WS#<ws>        NOTIFUNREAD#<user>#<notification>     marks it unread; deleted when read
  WS#<ws>        NOTIFCOUNT#<user>#<yyyy-mm-dd>        unread notifications created that day
  WS#<ws>        NOTIFPREFS#<user>                     the user's choices of channels
  WS#<ws>        CLAIM#<consumer>#<event>#<recipient>  an event handled for one recipient (TTL)
  DIGEST#<date>  <ws>#<user>#<notification>            what the daily digest of <date> sends
  DIGESTSENT#<date>  <ws>#<user>                       that digest sent (once)
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Self

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError

from functions.shared import aws
from functions.shared.identity_items import FindableItem
from functions.shared.settings import get_settings
from functions.shared.tables import AppItem, CounterItem, key, utc_now

RETENTION = timedelta(days=90)
# Longer than EventBridge retries an event (24 h) and than the relay can hold one back.
CLAIM_RETENTION = timedelta(days=7)
DIGEST_RETENTION = timedelta(days=3)


class NotificationItem(FindableItem):
    notification_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    link = JSONAttribute()  # ids of what the notification is about: post_id, account_id...
    read_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def prefix(user_id: str) -> str:
        return key("NOTIF", user_id) + "#"

    @staticmethod
    def keys(workspace_id: str, user_id: str, notification_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("NOTIF", user_id, notification_id)

    @classmethod
    def find(cls, workspace_id: str, user_id: str, notification_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, user_id, notification_id))


class UnreadMarkerItem(AppItem):
    """Present while its notification is unread: the `unread=true` list is a query of these.
    Put once and never updated, so its version is always the first: `stored` names it for the
    (version-conditional) delete."""

    notification_id = UnicodeAttribute()

    @classmethod
    def stored(cls, workspace_id: str, user_id: str, notification_id: str) -> Self:
        return cls(*cls.keys(workspace_id, user_id, notification_id), version=1)

    @staticmethod
    def prefix(user_id: str) -> str:
        return key("NOTIFUNREAD", user_id) + "#"

    @staticmethod
    def keys(workspace_id: str, user_id: str, notification_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("NOTIFUNREAD", user_id, notification_id)


class UnreadCountItem(CounterItem):
    """Unread notifications created on one day; expires with the day's notifications, so the
    sum of the buckets stays exact when old notifications expire unread."""

    @staticmethod
    def prefix(user_id: str) -> str:
        return key("NOTIFCOUNT", user_id) + "#"

    @staticmethod
    def keys(workspace_id: str, user_id: str, day: date) -> tuple[str, str]:
        return key("WS", workspace_id), key("NOTIFCOUNT", user_id, day.isoformat())

    @classmethod
    def bucket(cls, workspace_id: str, user_id: str, day: date) -> Self:
        return cls(*cls.keys(workspace_id, user_id, day))

    @staticmethod
    def expiry(day: date) -> datetime:
        """A day after the last notification of its day (UTC) expires."""
        return datetime.combine(day, time(), UTC) + RETENTION + timedelta(days=2)


class PreferencesItem(FindableItem):
    """Only what the user changed: `{event_type: {channel: bool}}`; defaults fill the rest."""

    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    choices = JSONAttribute(default=dict)

    @staticmethod
    def keys(workspace_id: str, user_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("NOTIFPREFS", user_id)

    @classmethod
    def find(cls, workspace_id: str, user_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, user_id))


class ClaimItem(AppItem):
    """Says that `consumer` handled `event_id` (for one recipient): its conditional put is what
    turns a relayed or retried duplicate into a no-op."""

    @staticmethod
    def keys(consumer: str, workspace_id: str, event_id: str, *more: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("CLAIM", consumer, event_id, *more)

    @classmethod
    def new(cls, consumer: str, workspace_id: str, event_id: str, *more: str) -> Self:
        return cls(
            *cls.keys(consumer, workspace_id, event_id, *more),
            expires_at=utc_now() + CLAIM_RETENTION,
        )


class DigestEntryItem(AppItem):
    """One notification waiting for the daily digest of its day."""

    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    notification_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    in_app = UnicodeAttribute(null=True)  # "yes" when a notification item exists to be read

    @staticmethod
    def partition(day: date) -> str:
        return key("DIGEST", day.isoformat())

    @classmethod
    def keys(
        cls, day: date, workspace_id: str, user_id: str, notification_id: str
    ) -> tuple[str, str]:
        return cls.partition(day), key(workspace_id, user_id, notification_id)

    @classmethod
    def of_day(cls, day: date) -> Iterator[Self]:
        """Every entry of the day, grouped by workspace and user (the sort key's order)."""
        return iter(cls.query(cls.partition(day), consistent_read=True))


class DigestSentItem(AppItem):
    """Says that one user's digest of one day was sent: a rerun of the digest skips it."""

    @classmethod
    def new(cls, day: date, workspace_id: str, user_id: str) -> Self:
        return cls(
            key("DIGESTSENT", day.isoformat()),
            key(workspace_id, user_id),
            expires_at=utc_now() + DIGEST_RETENTION,
        )


def claim_once(item: AppItem) -> bool:
    """Put `item` unless it exists; False when it did (already claimed)."""
    try:
        item.save(condition=type(item).pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def project(pk: str, sk: str, *attributes: str) -> dict[str, Any] | None:
    """Some attributes of an item another group owns (a post's author, an account's
    connector), read by key without loading that group's item model."""
    response = aws.dynamodb().get_item(
        TableName=get_settings().table_name,
        Key={"PK": {"S": pk}, "SK": {"S": sk}},
        ProjectionExpression=", ".join(f"#a{index}" for index in range(len(attributes))),
        ExpressionAttributeNames={f"#a{index}": name for index, name in enumerate(attributes)},
        ConsistentRead=True,
    )
    item = response.get("Item")
    if item is None:
        return None
    return {name: next(iter(value.values())) for name, value in item.items()}


def batch_find(keys: Iterable[tuple[str, str]]) -> list[NotificationItem]:
    return list(NotificationItem.batch_get(list(keys), consistent_read=True))
