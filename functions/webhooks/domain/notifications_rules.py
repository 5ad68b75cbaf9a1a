"""Which events make notifications, who receives each, what it says, and the default channels.

The one place that lists the event types the notifier handles: `RULES` (each one of the event
catalogue's types, functions/shared/event_catalogue.py).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from functions.shared.access import Role


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL_INSTANT = "email_instant"
    EMAIL_DIGEST = "email_digest"


class Audience(StrEnum):
    ADMINS = "admins"  # the workspace's admins and owners
    AUTHOR = "author"  # the post's author
    AUTHOR_AND_ADMINS = "author_and_admins"
    CONNECTOR_AND_ADMINS = "connector_and_admins"  # who connected the account, and admins


# Failures someone has to act on reach them by email at once; the rest stay in the app, and a
# daily digest is opt-in.
IN_APP_ONLY = frozenset({Channel.IN_APP})
URGENT = frozenset({Channel.IN_APP, Channel.EMAIL_INSTANT})


@dataclass(frozen=True, slots=True)
class Rule:
    audience: Audience
    title: str
    summary: str  # the body's first sentence; `{...}` fields come from the event's data
    # Channels on by default, for admins and owners and for everyone else.
    admin_defaults: frozenset[Channel]
    member_defaults: frozenset[Channel]

    def defaults(self, role: Role) -> frozenset[Channel]:
        return self.admin_defaults if role.at_least(Role.ADMIN) else self.member_defaults


RULES: dict[str, Rule] = {
    "post.approval_requested": Rule(
        Audience.ADMINS,
        "A post is waiting for approval",
        "A post was submitted for approval.",
        URGENT,
        URGENT,
    ),
    "post.approved": Rule(
        Audience.AUTHOR, "Your post was approved", "Your post was approved.", URGENT, URGENT
    ),
    "post.rejected": Rule(
        Audience.AUTHOR, "Your post was rejected", "Your post was rejected.", URGENT, URGENT
    ),
    "post.failed": Rule(
        Audience.AUTHOR_AND_ADMINS,
        "A post failed to publish",
        "A post could not be published on any of its accounts.",
        URGENT,
        URGENT,
    ),
    "post.partially_failed": Rule(
        Audience.AUTHOR_AND_ADMINS,
        "A post was published only in part",
        "A post was published on some of its accounts and failed on others.",
        URGENT,
        URGENT,
    ),
    "account.needs_reconnect": Rule(
        Audience.CONNECTOR_AND_ADMINS,
        "An account needs to be reconnected",
        "A connected account lost its access and must be reconnected before it can publish.",
        URGENT,
        URGENT,
    ),
    "member.joined": Rule(
        Audience.ADMINS,
        "A member joined the workspace",
        "Someone joined the workspace.",
        IN_APP_ONLY,
        IN_APP_ONLY,
    ),
    "member.removed": Rule(
        Audience.ADMINS,
        "A member left the workspace",
        "Someone was removed from the workspace or left it.",
        IN_APP_ONLY,
        IN_APP_ONLY,
    ),
    # The inbox: who connected the account and the admins see it in the app; no email by
    # default, since a busy account gets many (the digest can carry them).
    "comment.received": Rule(
        Audience.CONNECTOR_AND_ADMINS,
        "A new comment",
        "Someone commented on a post of a connected account.",
        IN_APP_ONLY,
        IN_APP_ONLY,
    ),
    "mention.received": Rule(
        Audience.CONNECTOR_AND_ADMINS,
        "A new mention",
        "Someone mentioned a connected account.",
        IN_APP_ONLY,
        IN_APP_ONLY,
    ),
    "webhook.endpoint_disabled": Rule(
        Audience.ADMINS,
        "A webhook endpoint was disabled",
        "A webhook endpoint kept failing and was disabled; no events reach it until it is "
        "enabled again.",
        URGENT,
        URGENT,
    ),
}

NOTIFIED_EVENT_TYPES = tuple(RULES)

# The ids of what a notification is about, copied from the event's data when present.
LINK_FIELDS = ("post_id", "account_id", "user_id", "endpoint_id")


def link_of(data: dict[str, Any]) -> dict[str, str]:
    return {field: str(data[field]) for field in LINK_FIELDS if isinstance(data.get(field), str)}


def body_of(rule: Rule, data: dict[str, Any]) -> str:
    """The summary and, when the event says why, the reason (kept short: it is stored text)."""
    reason = data.get("reason") or data.get("comment")
    if isinstance(reason, str) and reason.strip():
        return f"{rule.summary} Reason: {reason.strip()[:300]}"
    return rule.summary
