"""Each platform's parser: the body of one verified event (`InboundDelivery.payload`) turned into
the comments, replies, mentions and notices it describes (functions/shared/engagement.py).

A parser raises ValueError (pydantic's ValidationError is one) for a payload it cannot read:
the processor acknowledges such a delivery, logs and counts it, and does not retry it.
"""

from collections.abc import Callable, Mapping
from typing import Any

from functions.shared.engagement import Engagement, PlatformNotice
from functions.webhooks.domain.platform_hooks import sandbox

Parser = Callable[[Mapping[str, Any]], list[Engagement | PlatformNotice]]

PARSERS: dict[str, Parser] = {
    "sandbox": sandbox.parse,
}
