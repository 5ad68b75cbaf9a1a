"""A member's notifications in one workspace: listing, the unread count, marking read, and what
an unsubscribe link does. Every read and write is keyed by the caller's own workspace and user,
so another member's or another workspace's notification is simply not found (404)."""

from collections import Counter
from datetime import date
from html import escape

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite
from ulid import ULID

from functions.shared.identity_items import MembershipItem, WorkspaceItem
from functions.shared.pagination import PageRequest, decode_cursor
from functions.shared.problems import BadRequest, NotFound
from functions.shared.tables import key, query_page, transaction, utc_now
from functions.webhooks.adapters.notification_items import (
    NotificationItem,
    UnreadCountItem,
    UnreadMarkerItem,
    batch_find,
)
from functions.webhooks.domain.notifications_delivery import notification_view
from functions.webhooks.domain.notifications_models import Notification, ReadAll, UnreadCount
from functions.webhooks.domain.notifications_preferences import turn_off
from functions.webhooks.domain.notifications_rules import RULES
from functions.webhooks.domain.notifications_unsubscribe import (
    EVERY_EVENT_TYPE,
    Unsubscription,
    verify,
)

# Each marked in one transaction: its update and its marker's delete, plus one counter per day
# (at most 100 writes per transaction).
READ_ALL_CHUNK = 30


def _own_cursor(page: PageRequest, partition: str, sort_prefix: str) -> None:
    """A cursor of this query only: one from another user's list, or from the other list, is
    refused before it reaches DynamoDB."""
    start = decode_cursor(page.cursor, partition_attribute="PK", partition=partition)
    if start is not None and not start.get("SK", {}).get("S", "").startswith(sort_prefix):
        raise BadRequest("The cursor is not one this API issued.")


def list_notifications(
    workspace_id: str, user_id: str, page: PageRequest, *, unread: bool
) -> tuple[list[Notification], str | None]:
    partition = key("WS", workspace_id)
    if not unread:
        prefix = NotificationItem.prefix(user_id)
        _own_cursor(page, partition, prefix)
        items, cursor = query_page(NotificationItem, partition, prefix, page, newest_first=True)
        return [notification_view(item) for item in items], cursor
    prefix = UnreadMarkerItem.prefix(user_id)
    _own_cursor(page, partition, prefix)
    markers, cursor = query_page(UnreadMarkerItem, partition, prefix, page, newest_first=True)
    found = {
        item.notification_id: item
        for item in batch_find(
            NotificationItem.keys(workspace_id, user_id, marker.notification_id)
            for marker in markers
        )
    }
    # A notification past its retention may be gone before its marker: left out.
    views = [
        notification_view(found[marker.notification_id])
        for marker in markers
        if marker.notification_id in found
    ]
    return views, cursor


def unread_count(workspace_id: str, user_id: str) -> UnreadCount:
    """The sum of at most ~92 small day counters (one per day of retention): one query."""
    buckets = UnreadCountItem.query(
        key("WS", workspace_id),
        UnreadCountItem.sk.startswith(UnreadCountItem.prefix(user_id)),
        consistent_read=True,
    )
    return UnreadCount(unread=max(0, sum(int(bucket.hits) for bucket in buckets)))


def _day_of(notification_id: str) -> date:
    return ULID.from_str(notification_id).datetime.date()


def _mark(write: TransactWrite, items: list[NotificationItem]) -> None:
    """Add to a transaction: each item read, its marker gone, its day's counter lowered."""
    now = utc_now()
    per_day: Counter[date] = Counter()
    for item in items:
        write.update(
            item,
            actions=[NotificationItem.read_at.set(now)],
            condition=NotificationItem.read_at.does_not_exist(),
        )
        write.delete(UnreadMarkerItem.stored(item.workspace_id, item.user_id, item.notification_id))
        per_day[_day_of(item.notification_id)] += 1
    for day, count in per_day.items():
        write.update(
            UnreadCountItem.bucket(items[0].workspace_id, items[0].user_id, day),
            actions=[
                UnreadCountItem.hits.add(-count),
                UnreadCountItem.expires_at.set(UnreadCountItem.expiry(day)),
            ],
        )


def mark_read(workspace_id: str, user_id: str, notification_id: str) -> Notification:
    item = NotificationItem.find(workspace_id, user_id, notification_id)
    if item is None:
        raise NotFound(f"Notification {notification_id} was not found.")
    if item.read_at is None:
        try:
            with transaction() as write:
                _mark(write, [item])
        except TransactWriteError:
            pass  # marked read meanwhile (or changed): the stored state is the answer
        item.refresh(consistent_read=True)
    return notification_view(item)


def read_all(workspace_id: str, user_id: str) -> ReadAll:
    markers = list(
        UnreadMarkerItem.query(
            key("WS", workspace_id),
            UnreadMarkerItem.sk.startswith(UnreadMarkerItem.prefix(user_id)),
            consistent_read=True,
        )
    )
    marked = 0
    for start in range(0, len(markers), READ_ALL_CHUNK):
        chunk = markers[start : start + READ_ALL_CHUNK]
        items = batch_find(
            NotificationItem.keys(workspace_id, user_id, marker.notification_id) for marker in chunk
        )
        unread = [item for item in items if item.read_at is None]
        if not unread:
            continue
        try:
            with transaction() as write:
                _mark(write, unread)
            marked += len(unread)
        except TransactWriteError:
            # One of them was marked meanwhile: mark the rest one by one.
            for item in unread:
                marked += mark_read(workspace_id, user_id, item.notification_id).read_at is not None
    return ReadAll(marked_read=marked)


def unsubscription_of(token: str) -> tuple[Unsubscription, str]:
    """The verified link's unsubscription and the workspace's name (404 once it is deleted)."""
    unsubscription = verify(token)
    workspace = WorkspaceItem.find(unsubscription.workspace_id)
    if workspace is None:
        raise NotFound("This workspace no longer exists.")
    return unsubscription, workspace.name


def unsubscribe(token: str) -> Unsubscription:
    unsubscription, _ = unsubscription_of(token)
    # A former member gets no more emails from the workspace anyway: nothing to store.
    if MembershipItem.find(unsubscription.workspace_id, unsubscription.user_id) is not None:
        event_types = (
            list(RULES)
            if unsubscription.event_type == EVERY_EVENT_TYPE
            else [unsubscription.event_type]
        )
        turn_off(
            unsubscription.workspace_id, unsubscription.user_id, event_types, unsubscription.channel
        )
    return unsubscription


CHANNEL_NAMES = {
    "email_instant": "emails",
    "email_digest": "daily digest emails",
    "in_app": "notifications",
}


def confirmation_page(token: str) -> str:
    """What the link shows when opened (GET): a button that sends the one-click POST."""
    unsubscription, workspace_name = unsubscription_of(token)
    what = (
        "all notification"
        if unsubscription.event_type == EVERY_EVENT_TYPE
        else f"“{unsubscription.event_type}”"
    )
    channel = CHANNEL_NAMES[str(unsubscription.channel)]
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width'>"
        "<title>Unsubscribe from Herald</title><body>"
        f"<h1>Stop {escape(what)} {escape(channel)}?</h1>"
        f"<p>From the workspace <strong>{escape(workspace_name)}</strong> on Herald. You can "
        "turn them on again in your notification settings.</p>"
        "<form method=post><input type=hidden name=List-Unsubscribe value=One-Click>"
        "<button type=submit>Unsubscribe</button></form></body></html>"
    )
