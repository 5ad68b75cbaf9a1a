"""Each platform's parser: `PARSERS[platform](payload)` turns one queued delivery's payload
(`InboundDelivery.payload`) into the comments, replies, mentions and notices it describes
(functions/shared/engagement.py, docs/inbox.md).

A parser leaves out what it cannot read; one that cannot read a payload at all raises ValueError
(pydantic's ValidationError is one): the processor acknowledges such a delivery, logs and counts
it, and does not retry it. `polled` deliveries come from the publish group's poller, already
normalized.
"""

from collections.abc import Callable, Mapping
from typing import Any

from functions.shared.engagement import Engagement, PlatformNotice
from functions.webhooks.domain.platform_hooks import (
    facebook,
    instagram,
    linkedin,
    sandbox,
    threads,
    tiktok,
    x,
    youtube,
)

Parser = Callable[[Mapping[str, Any]], list[Engagement | PlatformNotice]]


def _polled(payload: Mapping[str, Any]) -> list[Engagement | PlatformNotice]:
    try:
        return [Engagement.from_payload(dict(payload))]
    except (KeyError, TypeError) as unreadable:
        raise ValueError(f"not a polled engagement: {unreadable}") from unreadable


PARSERS: dict[str, Parser] = {
    "facebook": facebook.parse,
    "instagram": instagram.parse,
    "threads": threads.parse,
    "x": x.parse,
    "tiktok": tiktok.parse,
    "youtube": youtube.parse,
    "linkedin": linkedin.parse,
    "sandbox": sandbox.parse,
    "polled": _polled,
}
