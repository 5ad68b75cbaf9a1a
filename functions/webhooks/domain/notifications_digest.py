"""The daily digest: each member who chose it gets one email per workspace with the day's
notifications they have not read yet.

No scan: the notifier writes a `DIGEST#<day>` entry for each notification whose recipient wants
the digest, so a day's digest is one query of that partition. Each user's digest is claimed
before it is sent, so a rerun of the schedule sends nothing twice.
"""

from collections.abc import Iterable
from datetime import date
from itertools import groupby

from functions.shared import mailer
from functions.shared.access import Role
from functions.shared.identity_items import MembershipItem, WorkspaceItem
from functions.shared.observability import logger
from functions.shared.settings import get_settings
from functions.webhooks.adapters.notification_items import (
    DigestEntryItem,
    DigestSentItem,
    NotificationItem,
    batch_find,
    claim_once,
)
from functions.webhooks.domain.notifications_delivery import contact_of
from functions.webhooks.domain.notifications_preferences import channels_for, stored_choices
from functions.webhooks.domain.notifications_rules import Channel
from functions.webhooks.domain.notifications_unsubscribe import (
    EVERY_EVENT_TYPE,
    Unsubscription,
    headers_for,
    link_for,
)


def send_digests(day: date) -> int:
    """Send the digests of `day` (UTC); how many emails went out."""
    sent = 0
    entries = DigestEntryItem.of_day(day)
    for (workspace_id, user_id), group in groupby(
        entries, key=lambda entry: (entry.workspace_id, entry.user_id)
    ):
        sent += _send_one(day, workspace_id, user_id, list(group))
    return sent


def digest_entries(
    workspace_id: str, user_id: str, entries: Iterable[DigestEntryItem]
) -> list[DigestEntryItem]:
    """The entries still worth sending: the user's digest choice now, and not read meanwhile."""
    membership = MembershipItem.find(workspace_id, user_id)
    if membership is None:
        return []
    choices = stored_choices(workspace_id, user_id)
    wanted = [
        entry
        for entry in entries
        if Channel.EMAIL_DIGEST in channels_for(Role(membership.role), entry.event_type, choices)
    ]
    in_app = [entry for entry in wanted if entry.in_app]
    read = {
        item.notification_id
        for start in range(0, len(in_app), 100)
        for item in batch_find(
            NotificationItem.keys(workspace_id, user_id, entry.notification_id)
            for entry in in_app[start : start + 100]
        )
        if item.read_at is not None
    }
    return [entry for entry in wanted if entry.notification_id not in read]


def _send_one(day: date, workspace_id: str, user_id: str, entries: list[DigestEntryItem]) -> int:
    workspace = WorkspaceItem.find(workspace_id)
    contact = contact_of(user_id)
    unread = digest_entries(workspace_id, user_id, entries)
    if workspace is None or contact is None or not unread:
        return 0
    if not claim_once(DigestSentItem.new(day, workspace_id, user_id)):
        logger.info("digest already sent", extra={"workspace_id": workspace_id})
        return 0
    unsubscription = Unsubscription(user_id, workspace_id, EVERY_EVENT_TYPE, Channel.EMAIL_DIGEST)
    lines = "".join(f"- {entry.title}: {entry.body}\n" for entry in unread)
    dashboard = get_settings().dashboard_url.rstrip("/")
    mailer.send(
        mailer.Email(
            to=contact.email,
            subject=f"Your Herald digest for {workspace.name}: {len(unread)} unread",
            body=(
                f"Hello {contact.name},\n\n"
                f"What happened in {workspace.name} on {day.isoformat()} (UTC) that you have "
                f"not read yet:\n\n{lines}\n"
                f"See them in Herald: {dashboard}/notifications\n\n"
                "You get this email because you chose the daily digest in your notification "
                f"settings.\nTo stop digest emails from {workspace.name}, open: "
                f"{link_for(unsubscription)}\n"
            ),
            purpose="notification_digest",
            headers=headers_for(unsubscription),
        )
    )
    return 1
