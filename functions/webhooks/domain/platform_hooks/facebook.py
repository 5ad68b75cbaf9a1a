"""Facebook Page webhooks: comments (the `feed` field) and mentions of the Page (`mention`).

https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed: a feed change
with `item: comment` and `verb: add` is a new comment; its `parent_id` is the post for a
top-level comment and the comment it answers for a reply. Edits, removals, reactions and the
Page's own comments (its replies from Herald) are not inbox items.
"""

from collections.abc import Mapping
from typing import Any

from functions.shared.engagement import Engagement, EngagementAuthor, PlatformNotice
from functions.shared.inbound import InboundDelivery
from functions.webhooks.domain.platform_hooks import meta
from functions.webhooks.domain.platform_hooks.fields import (
    MAX_NAME,
    epoch_seconds,
    identifier,
    mapping,
    text,
)

PLATFORM = "facebook"


def _event_id(change: meta.Change) -> str | None:
    value = meta.value_of(change[1])
    item_id = identifier(value, "comment_id") or identifier(value, "post_id")
    field, verb = identifier(change[1], "field"), identifier(value, "verb")
    return f"{field}:{item_id}:{verb}" if item_id else None


def split(body: Mapping[str, Any]) -> list[InboundDelivery]:
    return meta.split(PLATFORM, body, _event_id)


def parse(payload: Mapping[str, Any]) -> list[Engagement | PlatformNotice]:
    if "callback" in payload:
        return meta.callback_notices(PLATFORM, payload)
    return meta.read_changes(payload, {"feed": _comment, "mention": _mention})


def _comment(page_id: str, value: Mapping[str, Any]) -> Engagement | None:
    comment_id, post_id = identifier(value, "comment_id"), identifier(value, "post_id")
    author = mapping(value, "from")
    if value.get("item") != "comment" or value.get("verb") != "add":
        return None
    if not comment_id or identifier(author, "id") == page_id:
        return None
    parent_id = identifier(value, "parent_id")
    is_reply = bool(parent_id) and parent_id != post_id
    return Engagement(
        platform=PLATFORM,
        platform_account_id=page_id,
        platform_item_id=comment_id,
        kind="reply" if is_reply else "comment",
        text=text(value, "message") or "",
        author=EngagementAuthor(
            platform_user_id=identifier(author, "id"), name=text(author, "name", MAX_NAME)
        ),
        created_at=epoch_seconds(value.get("created_time")),
        platform_post_id=post_id,
        parent_id=parent_id if is_reply else None,
        thread_id=parent_id if is_reply else comment_id,
    )


def _mention(page_id: str, value: Mapping[str, Any]) -> Engagement | None:
    post_id = identifier(value, "post_id")
    item_id = identifier(value, "comment_id") if value.get("item") == "comment" else post_id
    if not item_id or value.get("verb") != "add":
        return None
    return Engagement(
        platform=PLATFORM,
        platform_account_id=page_id,
        platform_item_id=item_id,
        kind="mention",
        text=text(value, "message") or "",
        author=EngagementAuthor(
            platform_user_id=identifier(value, "sender_id"),
            name=text(value, "sender_name", MAX_NAME),
        ),
        created_at=epoch_seconds(value.get("created_time")),
        platform_post_id=post_id,
    )
