"""Instagram webhooks: comments on the account's media (`comments`, `live_comments`) and
@mentions of the account (`mentions`).

https://developers.facebook.com/docs/instagram-platform/webhooks/examples and the field reference
https://developers.facebook.com/docs/graph-api/webhooks/reference/instagram: a comment carries its
id, text, author (`from`), media and, for a reply, `parent_id`. A mention carries only the
media and comment ids: its text is read from the API by whoever answers it.
"""

from collections.abc import Mapping
from typing import Any

from functions.shared.engagement import Engagement, EngagementAuthor, PlatformNotice
from functions.shared.inbound import InboundDelivery
from functions.webhooks.domain.platform_hooks import meta
from functions.webhooks.domain.platform_hooks.fields import MAX_NAME, identifier, mapping, text

PLATFORM = "instagram"


def _event_id(change: meta.Change) -> str | None:
    value = meta.value_of(change[1])
    item_id = identifier(value, "id") or identifier(value, "comment_id")
    item_id = item_id or identifier(value, "media_id")
    return f"{identifier(change[1], 'field')}:{item_id}" if item_id else None


def split(body: Mapping[str, Any]) -> list[InboundDelivery]:
    return meta.split(PLATFORM, body, _event_id)


def parse(payload: Mapping[str, Any]) -> list[Engagement | PlatformNotice]:
    return meta.read_changes(
        payload, {"comments": _comment, "live_comments": _comment, "mentions": _mention}
    )


def _comment(account_id: str, value: Mapping[str, Any]) -> Engagement | None:
    comment_id = identifier(value, "id")
    author = mapping(value, "from")
    # The account's own replies (sent from Herald or the app) come back as comments too.
    if not comment_id or identifier(author, "id") == account_id:
        return None
    parent_id = identifier(value, "parent_id")
    return Engagement(
        platform=PLATFORM,
        platform_account_id=account_id,
        platform_item_id=comment_id,
        kind="reply" if parent_id else "comment",
        text=text(value, "text") or "",
        author=EngagementAuthor(
            platform_user_id=identifier(author, "id"),
            handle=text(author, "username", MAX_NAME),
        ),
        platform_post_id=identifier(mapping(value, "media"), "id"),
        parent_id=parent_id,
        thread_id=parent_id or comment_id,
    )


def _mention(account_id: str, value: Mapping[str, Any]) -> Engagement | None:
    media_id = identifier(value, "media_id")
    item_id = identifier(value, "comment_id") or media_id
    if not item_id:
        return None
    return Engagement(
        platform=PLATFORM,
        platform_account_id=account_id,
        platform_item_id=item_id,
        kind="mention",
        text="",
        author=EngagementAuthor(),
        platform_post_id=media_id,
    )
