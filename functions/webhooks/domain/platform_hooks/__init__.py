"""Each platform's parser: `PARSERS[platform](payload)` turns one queued delivery's payload into
the engagement and notices it describes (docs/inbox.md). Parsers never raise on a payload's
content: what they cannot read, they leave out."""

from collections.abc import Callable, Mapping
from typing import Any

from functions.shared.engagement import Engagement, PlatformNotice
from functions.webhooks.domain.platform_hooks import (
    facebook,
    instagram,
    linkedin,
    threads,
    tiktok,
    x,
    youtube,
)

Parser = Callable[[Mapping[str, Any]], list[Engagement | PlatformNotice]]

PARSERS: dict[str, Parser] = {
    "facebook": facebook.parse,
    "instagram": instagram.parse,
    "threads": threads.parse,
    "x": x.parse,
    "tiktok": tiktok.parse,
    "youtube": youtube.parse,
    "linkedin": linkedin.parse,
}
