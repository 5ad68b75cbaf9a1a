"""Threads webhooks: replies to the account's posts (`replies`, topic `moderate`) and mentions of
the account (`mentions`, topic `interaction`).

https://developers.facebook.com/docs/threads/webhooks: one notification per request,
`{"app_id", "topic", "target_id", "time", "values": {"value": {...}, "field": ...}}`. A reply's
`root_post.owner_id` is the account it arrived for and `replied_to` the post or reply it
answers. A mention names the mentioned account only as the notification's `target_id`.
"""

from collections.abc import Mapping
from typing import Any

from functions.shared.engagement import Engagement, EngagementAuthor, PlatformNotice
from functions.shared.inbound import InboundDelivery, payload_digest
from functions.webhooks.domain.platform_hooks import meta
from functions.webhooks.domain.platform_hooks.fields import (
    MAX_NAME,
    MAX_URL,
    identifier,
    iso_time,
    mapping,
    text,
)

PLATFORM = "threads"


def split(body: Any) -> list[InboundDelivery]:
    notifications = body if isinstance(body, list) else [body]
    deliveries = []
    for notification in notifications:
        if not isinstance(notification, Mapping):
            continue
        values = mapping(notification, "values")
        item_id = identifier(mapping(values, "value"), "id")
        field = identifier(values, "field")
        event_id = f"{field}:{item_id}" if item_id else payload_digest(notification)
        deliveries.append(InboundDelivery(PLATFORM, event_id, dict(notification)))
    return deliveries


def parse(payload: Mapping[str, Any]) -> list[Engagement | PlatformNotice]:
    if "callback" in payload:
        return meta.callback_notices(PLATFORM, payload)
    values = mapping(payload, "values")
    value = mapping(values, "value")
    item_id = identifier(value, "id")
    if not item_id:
        return []
    field = values.get("field")
    root = mapping(value, "root_post")
    author = EngagementAuthor(handle=text(value, "username", MAX_NAME))
    common: dict[str, Any] = {
        "platform": PLATFORM,
        "platform_item_id": item_id,
        "text": text(value, "text") or "",
        "author": author,
        "created_at": iso_time(value.get("timestamp")),
        "permalink": text(value, "permalink", MAX_URL),
    }
    if field == "replies":
        account_id = identifier(root, "owner_id") or identifier(payload, "target_id")
        # The account answering in its own thread is not something to answer.
        if not account_id or (author.handle and author.handle == text(root, "username", MAX_NAME)):
            return []
        root_id = identifier(root, "id")
        replied_to = identifier(mapping(value, "replied_to"), "id")
        is_reply = bool(replied_to) and replied_to != root_id
        return [
            Engagement(
                **common,
                platform_account_id=account_id,
                kind="reply" if is_reply else "comment",
                platform_post_id=root_id,
                parent_id=replied_to if is_reply else None,
                thread_id=root_id,
            )
        ]
    if field == "mentions":
        account_id = identifier(payload, "target_id")
        if not account_id:
            return []
        return [
            Engagement(
                **common, platform_account_id=account_id, kind="mention", platform_post_id=item_id
            )
        ]
    return []
