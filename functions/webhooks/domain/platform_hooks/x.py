"""X Account Activity webhooks: posts that reply to or mention a subscribed account
(`tweet_create_events`), and the account withdrawing Herald's access (`user_event.revoke`).

https://docs.x.com/x-api/enterprise-gnip-2.0/fundamentals/account-activity (the event objects):
`{"for_user_id": <subscribed account>, "tweet_create_events": [<post>...]}`, each post in the
v1.1 format. A post by the account itself (its own posts, its replies from Herald) is not an
inbox item; a reply to one of its posts is a comment on that post; anything else mentions it.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from functions.shared.engagement import Engagement, EngagementAuthor, PlatformNotice
from functions.shared.inbound import InboundDelivery
from functions.webhooks.domain.platform_hooks.fields import (
    MAX_NAME,
    MAX_URL,
    identifier,
    items,
    mapping,
    text,
)

PLATFORM = "x"


def split(body: Mapping[str, Any]) -> list[InboundDelivery]:
    deliveries = []
    for_user_id = identifier(body, "for_user_id")
    for post in items(body, "tweet_create_events"):
        post_id = identifier(post, "id_str")
        if post_id and for_user_id:
            single = {"for_user_id": for_user_id, "tweet_create_events": [post]}
            deliveries.append(InboundDelivery(PLATFORM, f"post:{for_user_id}:{post_id}", single))
    revoke = mapping(body, "user_event", "revoke")
    user_id = identifier(mapping(revoke, "source"), "user_id")
    if user_id:
        event_id = f"revoke:{user_id}:{identifier(revoke, 'date_time')}"
        deliveries.append(InboundDelivery(PLATFORM, event_id, {"user_event": {"revoke": revoke}}))
    return deliveries


def parse(payload: Mapping[str, Any]) -> list[Engagement | PlatformNotice]:
    found: list[Engagement | PlatformNotice] = []
    for_user_id = identifier(payload, "for_user_id")
    for post in items(payload, "tweet_create_events"):
        engagement = _engagement(for_user_id, post) if for_user_id else None
        if engagement is not None:
            found.append(engagement)
    user_id = identifier(mapping(payload, "user_event", "revoke", "source"), "user_id")
    if user_id:
        found.append(PlatformNotice(PLATFORM, user_id, "authorization_removed"))
    return found


def _engagement(account_id: str, post: Any) -> Engagement | None:
    post_id = identifier(post, "id_str")
    user = mapping(post, "user")
    author_id = identifier(user, "id_str")
    if not post_id or author_id == account_id:
        return None
    handle = text(user, "screen_name", MAX_NAME)
    replied_to = identifier(post, "in_reply_to_status_id_str")
    is_comment = bool(replied_to) and identifier(post, "in_reply_to_user_id_str") == account_id
    full_text = (
        text(mapping(post, "extended_tweet"), "full_text") if post.get("truncated") else None
    )
    return Engagement(
        platform=PLATFORM,
        platform_account_id=account_id,
        platform_item_id=post_id,
        kind="comment" if is_comment else "mention",
        text=full_text or text(post, "text") or "",
        author=EngagementAuthor(
            platform_user_id=author_id,
            name=text(user, "name", MAX_NAME),
            handle=handle,
            avatar_url=text(user, "profile_image_url_https", MAX_URL),
        ),
        created_at=_created_at(post.get("created_at")),
        platform_post_id=replied_to if is_comment else post_id,
        parent_id=replied_to if is_comment else None,
        thread_id=replied_to if is_comment else None,
        permalink=f"https://x.com/{handle}/status/{post_id}" if handle else None,
    )


def _created_at(value: Any) -> datetime | None:
    """v1.1's `Wed Oct 10 20:19:24 +0000 2018`."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
    except ValueError:
        return None
