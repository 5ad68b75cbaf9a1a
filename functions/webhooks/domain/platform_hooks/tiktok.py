"""TikTok webhooks: a post Herald sent finished publishing or failed, or the user removed
Herald's access (https://developers.tiktok.com/doc/webhooks-events).

One event per request, `{"client_key", "event", "create_time", "user_openid", "content"}`, where
`content` is the event's details as a JSON string. TikTok has no comment webhook: comments are
polled where its API allows (docs/inbox.md).
"""

import json
from collections.abc import Mapping
from typing import Any

from functions.shared.engagement import Engagement, NoticeKind, PlatformNotice
from functions.shared.inbound import InboundDelivery, payload_digest
from functions.webhooks.domain.platform_hooks.fields import MAX_NAME, identifier, text

PLATFORM = "tiktok"

# TikTok's event name, the notice it becomes and the `content` key naming the post.
EVENTS: dict[str, tuple[NoticeKind, str | None]] = {
    "authorization.removed": ("authorization_removed", None),
    "post.publish.complete": ("publish_complete", "publish_id"),
    "post.publish.publicly_available": ("publish_complete", "publish_id"),
    "post.publish.failed": ("publish_failed", "publish_id"),
    "video.publish.completed": ("publish_complete", "share_id"),
    "video.upload.failed": ("publish_failed", "share_id"),
}
REMOVAL_REASONS = {
    0: "unknown",
    1: "the user disconnected Herald in the TikTok app",
    2: "the user's account was deleted",
    3: "the user's age changed",
    4: "the user's account was banned",
    5: "the developer revoked the authorization",
}


def split(body: Mapping[str, Any]) -> list[InboundDelivery]:
    if text(body, "event") not in EVENTS:
        return []
    return [InboundDelivery(PLATFORM, payload_digest(body), dict(body))]


def parse(payload: Mapping[str, Any]) -> list[Engagement | PlatformNotice]:
    known = EVENTS.get(str(payload.get("event")))
    open_id = identifier(payload, "user_openid")
    if known is None or not open_id:
        return []
    kind, post_key = known
    content = _content(payload.get("content"))
    if kind == "authorization_removed":
        reason = content.get("reason")
        detail = REMOVAL_REASONS.get(reason) if isinstance(reason, int) else None
    elif kind == "publish_failed":
        detail = text(content, "reason", MAX_NAME)
    else:
        detail = None
    return [
        PlatformNotice(
            platform=PLATFORM,
            platform_account_id=open_id,
            kind=kind,
            platform_post_id=identifier(content, post_key) if post_key else None,
            detail=detail,
        )
    ]


def _content(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, str):
        return {}
    try:
        content = json.loads(value)
    except (ValueError, RecursionError):
        return {}
    return content if isinstance(content, dict) else {}
