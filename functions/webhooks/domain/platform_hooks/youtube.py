"""YouTube's WebSub notifications: a channel's feed announcing a video
(https://developers.google.com/youtube/v3/guides/push_notifications).

The hub posts an Atom feed whose entries carry `yt:videoId` and `yt:channelId`; it posts again
when a video's title or description changes. Each video is one delivery (`video:<id>`, claimed
once), and an entry updated more than a day after it was published is an edit of an older
video, not a new one. WebSub carries no comments: those are polled (docs/inbox.md).
"""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from functions.shared.engagement import Engagement, PlatformNotice
from functions.shared.inbound import InboundDelivery
from functions.webhooks.domain.platform_hooks.fields import (
    MAX_ID,
    MAX_NAME,
    identifier,
    iso_time,
    text,
)

PLATFORM = "youtube"
ATOM = "{http://www.w3.org/2005/Atom}"
YT = "{http://www.youtube.com/xml/schemas/2015}"
EDIT_AFTER = timedelta(days=1)


class MalformedFeed(ValueError):
    """The verified body is not an Atom feed Herald can read."""


def split(feed: bytes, channel_id: str) -> list[InboundDelivery]:
    """One delivery per video of `channel_id` in the feed; entries of other channels (which a
    hub has no reason to send to this channel's callback) are dropped."""
    try:
        # Atom needs no document type: refusing one rules out entity expansion of any kind.
        root = fromstring(feed, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException) as error:
        raise MalformedFeed("The feed is not well-formed Atom without a DTD.") from error
    deliveries = []
    for entry in root.iter(f"{ATOM}entry"):
        video_id = _child_text(entry, f"{YT}videoId", MAX_ID)
        if not video_id or _child_text(entry, f"{YT}channelId", MAX_ID) != channel_id:
            continue
        payload = {
            "channel_id": channel_id,
            "video_id": video_id,
            "title": _child_text(entry, f"{ATOM}title", MAX_NAME),
            "published": _child_text(entry, f"{ATOM}published", 64),
            "updated": _child_text(entry, f"{ATOM}updated", 64),
        }
        deliveries.append(InboundDelivery(PLATFORM, f"video:{video_id}", payload))
    return deliveries


def parse(payload: Mapping[str, Any]) -> list[Engagement | PlatformNotice]:
    channel_id, video_id = identifier(payload, "channel_id"), identifier(payload, "video_id")
    if not channel_id or not video_id:
        return []
    published, updated = (
        iso_time(payload.get("published")),
        iso_time(_trimmed(payload.get("updated"))),
    )
    if published and updated and updated - published > EDIT_AFTER:
        return []
    return [
        PlatformNotice(
            platform=PLATFORM,
            platform_account_id=channel_id,
            kind="video_published",
            platform_post_id=video_id,
            detail=text(payload, "title", MAX_NAME),
        )
    ]


def _child_text(element: ElementTree.Element, tag: str, limit: int) -> str | None:
    child = element.find(tag)
    value = (child.text or "").strip() if child is not None else ""
    return value[:limit] or None


def _trimmed(value: Any) -> Any:
    """YouTube's `updated` has nanoseconds (`...24.552394234+00:00`); Python reads six digits."""
    if isinstance(value, str) and "." in value:
        head, _, tail = value.partition(".")
        digits = "".join(char for char in tail if char.isdigit())
        return f"{head}.{digits[:6]}{tail[len(digits) :]}"
    return value
