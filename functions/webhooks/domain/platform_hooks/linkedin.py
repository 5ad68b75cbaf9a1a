"""LinkedIn organization social action notifications: comments on a Page's posts and mentions
of the Page, for apps LinkedIn has granted webhook access (the others poll, docs/inbox.md).

https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications:
`{"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [...]}`, each with its
`notificationId`, `action` (`COMMENT`, `SHARE_MENTION`, `LIKE`...), the Page
(`organizationalEntity`), the post (`sourcePost`) and the comment or share it generated
(`decoratedGeneratedActivity`). A comment the Page wrote itself (`ADMIN_COMMENT`) is not
something to answer.
"""

from collections.abc import Mapping
from typing import Any

from functions.shared.engagement import Engagement, EngagementAuthor, PlatformNotice
from functions.shared.inbound import InboundDelivery
from functions.webhooks.domain.platform_hooks.fields import (
    epoch_seconds,
    identifier,
    items,
    mapping,
    text,
)

PLATFORM = "linkedin"
NOTIFICATION_TYPE = "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS"
ACTIONS = {"COMMENT": "comment", "SHARE_MENTION": "mention"}


def split(body: Mapping[str, Any]) -> list[InboundDelivery]:
    deliveries = []
    for notification in items(body, "notifications"):
        notification_id = identifier(notification, "notificationId")
        if notification_id and notification.get("action") in ACTIONS:
            single = {"type": body.get("type"), "notifications": [notification]}
            deliveries.append(InboundDelivery(PLATFORM, notification_id, single))
    return deliveries


def parse(payload: Mapping[str, Any]) -> list[Engagement | PlatformNotice]:
    found: list[Engagement | PlatformNotice] = []
    for notification in items(payload, "notifications"):
        engagement = _engagement(notification)
        if engagement is not None:
            found.append(engagement)
    return found


def _engagement(notification: Any) -> Engagement | None:
    if not isinstance(notification, Mapping):
        return None
    kind = ACTIONS.get(str(notification.get("action")))
    organization = identifier(notification, "organizationalEntity")
    if kind is None or not organization:
        return None
    activity = mapping(notification, "decoratedGeneratedActivity")
    generated = mapping(activity, "comment") if kind == "comment" else mapping(activity, "share")
    item_id = identifier(generated, "entity") or identifier(notification, "generatedActivity")
    if not item_id:
        return None
    body = text(generated, "text") or text(mapping(generated, "message"), "text") or ""
    source_post = identifier(notification, "sourcePost")
    return Engagement(
        platform=PLATFORM,
        platform_account_id=organization,
        platform_item_id=item_id,
        kind="comment" if kind == "comment" else "mention",
        text=body,
        author=EngagementAuthor(platform_user_id=identifier(generated, "owner")),
        created_at=epoch_seconds(notification.get("lastModifiedAt")),
        platform_post_id=source_post if kind == "comment" else item_id,
        thread_id=source_post if kind == "comment" else None,
    )
