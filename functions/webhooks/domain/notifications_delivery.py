"""Turns an event from the bus into notifications: who receives it, on which channels, once.

`deliver` is the one place a notification is created. Each recipient's delivery is one
transaction whose first write is a claim keyed by this consumer, the event id and the recipient
(a conditional put): the same event delivered twice, by a relayed duplicate or a retry after a
crash half-way through the recipients, creates each notification once and emails once.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from functions.shared import mailer, realtime_push
from functions.shared.access import Role
from functions.shared.identity_items import MembershipItem, WorkspaceItem
from functions.shared.observability import logger, metrics
from functions.shared.settings import get_settings
from functions.shared.tables import key, transaction
from functions.webhooks.adapters.notification_items import (
    DIGEST_RETENTION,
    RETENTION,
    ClaimItem,
    DigestEntryItem,
    NotificationItem,
    UnreadCountItem,
    UnreadMarkerItem,
    project,
)
from functions.webhooks.domain.notifications_models import Notification, NotificationLink
from functions.webhooks.domain.notifications_preferences import channels_for, stored_choices
from functions.webhooks.domain.notifications_rules import (
    RULES,
    Audience,
    Channel,
    Rule,
    body_of,
    link_of,
)
from functions.webhooks.domain.notifications_unsubscribe import (
    Unsubscription,
    headers_for,
    link_for,
)

CONSUMER = "notifier"
USER_ACTOR = "user:"


@dataclass(frozen=True, slots=True)
class Event:
    """The envelope of the event contract (issue 13): what the bus carries in `detail`."""

    id: str
    type: str
    workspace_id: str
    occurred_at: datetime
    data: dict[str, Any]

    @classmethod
    def from_envelope(cls, envelope: dict[str, Any]) -> "Event":
        data = envelope.get("data")
        return cls(
            id=str(envelope["id"]),
            type=str(envelope["type"]),
            workspace_id=str(envelope["workspace_id"]),
            occurred_at=_utc(datetime.fromisoformat(str(envelope["occurred_at"]))),
            data=data if isinstance(data, dict) else {},
        )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def notification_view(item: NotificationItem) -> Notification:
    """The notification as the API returns it, and as the real-time pusher sends it."""
    return Notification(
        id=item.notification_id,
        event_type=item.event_type,
        event_id=item.event_id,
        title=item.title,
        body=item.body,
        link=NotificationLink.model_validate(item.link or {}),
        created_at=item.created_at.isoformat(),
        read_at=item.read_at.isoformat() if item.read_at else None,
    )


def handle(envelope: dict[str, Any]) -> int:
    """Notify the event's recipients; how many got something new (0 for a duplicate)."""
    event = Event.from_envelope(envelope)
    rule = RULES.get(event.type)
    if rule is None or WorkspaceItem.find(event.workspace_id) is None:
        return 0
    members = {
        item.user_id: Role(item.role)
        for item in MembershipItem.query(
            key("WS", event.workspace_id),
            MembershipItem.sk.startswith("MEMBER#"),
            consistent_read=True,
        )
    }
    delivered = 0
    for user_id in recipients(rule, event, members):
        delivered += deliver(event, rule, user_id, members[user_id])
    return delivered


def recipients(rule: Rule, event: Event, members: dict[str, Role]) -> list[str]:
    """Current members the rule names, without the member who caused the event."""
    chosen: set[str] = set()
    if rule.audience in (
        Audience.ADMINS,
        Audience.AUTHOR_AND_ADMINS,
        Audience.CONNECTOR_AND_ADMINS,
    ):
        chosen |= {user for user, role in members.items() if role.at_least(Role.ADMIN)}
    if rule.audience in (Audience.AUTHOR, Audience.AUTHOR_AND_ADMINS):
        chosen |= _users(_post_author(event))
    if rule.audience is Audience.CONNECTOR_AND_ADMINS:
        chosen |= _users(_account_connector(event))
    # A member who joined or left is the subject, not a recipient; nor is whoever acted.
    chosen -= _users(event.data.get("user_id"), event.data.get("actor"))
    return sorted(user for user in chosen if user in members)


def _users(*values: object) -> set[str]:
    """User ids from event fields that hold one as `user:<id>` (an actor) or bare."""
    return {
        value.removeprefix(USER_ACTOR)
        for value in values
        if isinstance(value, str) and value and not value.startswith("api_key:")
    }


def _post_author(event: Event) -> str | None:
    author = event.data.get("created_by")
    if isinstance(author, str):
        return author
    post_id = event.data.get("post_id")
    if not isinstance(post_id, str) or "#" in post_id or not post_id:
        return None
    post = project(key("WS", event.workspace_id), key("POST", post_id), "created_by")
    return str(post["created_by"]) if post and "created_by" in post else None


def _account_connector(event: Event) -> str | None:
    connector = event.data.get("connected_by")
    if isinstance(connector, str):
        return connector
    account_id = event.data.get("account_id")
    if not isinstance(account_id, str) or "#" in account_id or not account_id:
        return None
    account = project(key("WS", event.workspace_id), key("ACCOUNT", account_id), "connected_by")
    return str(account["connected_by"]) if account and "connected_by" in account else None


# The account-wide email switches of `/v1/me` (`notifications`), by the events they cover: a
# switch turned off stops those emails in every workspace, whatever the workspace's preferences
# say; turned on, the workspace's preferences decide.
ACCOUNT_EMAIL_SWITCHES = {
    "post.published": "post_published",
    "post.failed": "post_failed",
    "post.partially_failed": "post_failed",
    "account.needs_reconnect": "account_needs_reconnect",
}
EMAIL_CHANNELS = frozenset({Channel.EMAIL_INSTANT, Channel.EMAIL_DIGEST})


def emails_allowed_account_wide(user_id: str, event_type: str) -> bool:
    switch = ACCOUNT_EMAIL_SWITCHES.get(event_type)
    if switch is None:
        return True
    profile = project(key("USER", user_id), "PROFILE", "notifications") or {}
    # The identity group stores them as a JSON attribute: text in the table.
    switches = json.loads(profile.get("notifications") or "{}")
    return bool(switches.get(switch, True))


def notification_id_for(event: Event, user_id: str) -> str:
    """The same for every delivery of the event to the user; sorts by when it happened."""
    randomness = hashlib.sha256(f"{event.id}\n{user_id}".encode()).digest()[:10]
    milliseconds = int(event.occurred_at.timestamp() * 1000)
    return str(ULID.from_bytes(milliseconds.to_bytes(6, "big") + randomness))


def deliver(event: Event, rule: Rule, user_id: str, role: Role) -> int:
    """1 if the user got the event now on some channel, 0 if not (duplicate or all off)."""
    channels = channels_for(role, event.type, stored_choices(event.workspace_id, user_id))
    if channels & EMAIL_CHANNELS and not emails_allowed_account_wide(user_id, event.type):
        channels -= EMAIL_CHANNELS
    if not channels:
        return 0
    notification_id = notification_id_for(event, user_id)
    ws = event.workspace_id
    item = NotificationItem(
        *NotificationItem.keys(ws, user_id, notification_id),
        notification_id=notification_id,
        workspace_id=ws,
        user_id=user_id,
        event_id=event.id,
        event_type=event.type,
        title=rule.title,
        body=body_of(rule, event.data),
        link=link_of(event.data),
        expires_at=event.occurred_at + RETENTION,
    )
    try:
        with transaction() as write:
            claim = ClaimItem.new(CONSUMER, ws, event.id, user_id)
            write.save(claim, condition=ClaimItem.pk.does_not_exist())
            if Channel.IN_APP in channels:
                write.save(item, condition=NotificationItem.pk.does_not_exist())
                write.save(
                    UnreadMarkerItem(
                        *UnreadMarkerItem.keys(ws, user_id, notification_id),
                        notification_id=notification_id,
                        expires_at=item.expires_at,
                    )
                )
                write.update(
                    UnreadCountItem.bucket(ws, user_id, event.occurred_at.date()),
                    actions=[
                        UnreadCountItem.hits.add(1),
                        UnreadCountItem.expires_at.set(
                            UnreadCountItem.expiry(event.occurred_at.date())
                        ),
                    ],
                )
            if Channel.EMAIL_DIGEST in channels:
                write.save(_digest_entry(event, item, in_app=Channel.IN_APP in channels))
    except TransactWriteError as error:
        if any(
            reason is not None and reason.code == "ConditionalCheckFailed"
            for reason in error.cancellation_reasons
        ):
            logger.info("event already delivered", extra={"event_id": event.id})
            return 0
        raise
    if Channel.IN_APP in channels:
        notification_created(ws, user_id, notification_view(item))
    if Channel.EMAIL_INSTANT in channels:
        _email_now(event, rule, item)
    return 1


def notification_created(workspace_id: str, user_id: str, notification: Notification) -> None:
    """Runs once per new in-app notification, after it is stored: it goes to the user's
    real-time connections in the workspace (docs/realtime.md)."""
    metrics.add_metric(name="NotificationsCreated", unit="Count", value=1)
    logger.info(
        "notification created",
        extra={"workspace_id": workspace_id, "notification_id": notification.id},
    )
    realtime_push.push_to_user(
        workspace_id,
        user_id,
        {
            "type": "notification.created",
            "workspace_id": workspace_id,
            "data": notification.model_dump(mode="json"),
        },
    )


def _digest_entry(event: Event, item: NotificationItem, *, in_app: bool) -> DigestEntryItem:
    return DigestEntryItem(
        *DigestEntryItem.keys(
            event.occurred_at.date(), item.workspace_id, item.user_id, item.notification_id
        ),
        workspace_id=item.workspace_id,
        user_id=item.user_id,
        notification_id=item.notification_id,
        event_type=item.event_type,
        title=item.title,
        body=item.body,
        in_app="yes" if in_app else None,
        expires_at=event.occurred_at + DIGEST_RETENTION,
    )


@dataclass(frozen=True, slots=True)
class Contact:
    email: str
    name: str


def contact_of(user_id: str) -> Contact | None:
    """The user's address and name, read from the identity group's profile item."""
    profile = project(key("USER", user_id), "PROFILE", "email", "name")
    if not profile or "email" not in profile:
        return None
    return Contact(email=str(profile["email"]), name=str(profile.get("name", "")))


def _email_now(event: Event, rule: Rule, item: NotificationItem) -> None:
    contact = contact_of(item.user_id)
    workspace = WorkspaceItem.find(item.workspace_id)
    if contact is None or workspace is None:
        return
    unsubscription = Unsubscription(
        item.user_id, item.workspace_id, event.type, Channel.EMAIL_INSTANT
    )
    dashboard = get_settings().dashboard_url.rstrip("/")
    mailer.send(
        mailer.Email(
            to=contact.email,
            subject=f"{rule.title} ({workspace.name})",
            body=(
                f"Hello {contact.name},\n\n"
                f"{item.body}\n\n"
                f"Workspace: {workspace.name}\n"
                f"See it in Herald: {dashboard}/notifications\n\n"
                f"You get this email because of your notification settings in {workspace.name}.\n"
                f"To stop these emails ({event.type}), open: {link_for(unsubscription)}\n"
            ),
            purpose="notification",
            headers=headers_for(unsubscription),
        )
    )
