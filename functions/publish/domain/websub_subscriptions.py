"""Subscribing connected YouTube channels to Google's WebSub hub, and renewing the leases.

https://developers.google.com/youtube/v3/guides/push_notifications: the hub pushes a channel's
feed (`https://www.youtube.com/xml/feeds/videos.xml?channel_id=<channel>`) to a callback. Herald
records each request first (`functions/shared/websub.py`), so that the webhooks group confirms
the hub's verification of intent only for what was asked, then posts the subscription request
(https://www.w3.org/TR/websub/#subscriber-sends-subscription-request) with the channel's own
callback URL and secret. Disconnecting the last Herald account of a channel (in any workspace)
unsubscribes it the same way (https://www.w3.org/TR/websub/#subscriber-sends-subscription-request:
the same callback and topic, `hub.mode=unsubscribe`). A subscription falls due on the `by-due`
index a day before its lease ends (or an hour after a request the hub never verified or
refused); the token refresher's run asks again for every due one: to subscribe while a workspace
still connects the channel, else to unsubscribe, so a channel nobody connects is never renewed
(a workspace deleted with its accounts included).
"""

import asyncio
from dataclasses import dataclass

import httpx

from functions.publish.domain.platform_calls import http_client
from functions.shared.observability import logger
from functions.shared.platform_links import PlatformAccountLink
from functions.shared.settings import get_settings
from functions.shared.websub import (
    HUB_URL,
    Mode,
    channel_topic,
    due_topics,
    request_subscription,
    subscription_secret,
)

# The lease asked for; the hub may grant less and says so when it verifies (10 days is the
# longest Google's hub is known to grant).
LEASE_SECONDS = 10 * 24 * 3600
TOPIC_PREFIX = channel_topic("")


class HubRefused(Exception):
    """The hub answered the subscription request with something other than 202 or 204."""


def callback_url(channel_id: str) -> str:
    return f"{get_settings().api_base_url.rstrip('/')}/v1/webhooks/platforms/youtube/{channel_id}"


async def ask_hub(http: httpx.AsyncClient, channel_id: str, mode: Mode) -> bool:
    """Record the request and send it; False when no WebSub secret is configured (nothing is
    asked: unsigned notifications would all be refused)."""
    topic = channel_topic(channel_id)
    secret = subscription_secret(topic)
    if secret is None:
        return False
    request_subscription(topic, mode)
    form = {
        "hub.callback": callback_url(channel_id),
        "hub.mode": mode,
        "hub.topic": topic,
        "hub.verify": "async",
    }
    if mode == "subscribe":
        form |= {"hub.lease_seconds": str(LEASE_SECONDS), "hub.secret": secret}
    response = await http.post(HUB_URL, data=form)
    # 202: the hub verifies later; 204: Google's hub verified already.
    if response.status_code not in (202, 204):
        raise HubRefused(f"the hub answered {response.status_code} to {mode} {topic}")
    return True


def _ask_now(channel_id: str, mode: Mode) -> None:
    """Ask the hub at once; a failure is logged and left to the renewal run, which finds the
    recorded request due within the hour."""

    async def run() -> None:
        async with http_client() as http:
            await ask_hub(http, channel_id, mode)

    try:
        asyncio.run(run())
    except (httpx.HTTPError, HubRefused) as failure:
        logger.warning(
            "websub request postponed",
            extra={"channel_id": channel_id, "mode": mode, "reason": type(failure).__name__},
        )


def subscribe_channel(channel_id: str) -> None:
    """Subscribe a newly connected channel."""
    _ask_now(channel_id, "subscribe")


def unsubscribe_channel(channel_id: str) -> None:
    """Called once a channel's account is deleted: unsubscribe the channel unless another
    workspace still connects it (its link, found by key)."""
    if not PlatformAccountLink.linked("youtube", channel_id):
        _ask_now(channel_id, "unsubscribe")


@dataclass
class RenewalReport:
    renewed: int = 0
    unsubscribed: int = 0
    postponed: int = 0


def renew_due_subscriptions() -> RenewalReport:
    report = RenewalReport()
    topics = [topic for topic in due_topics() if topic.startswith(TOPIC_PREFIX)]
    if not topics:
        return report

    async def run() -> None:
        async with http_client() as http:
            for topic in topics:
                channel_id = topic.removeprefix(TOPIC_PREFIX)
                connected = bool(PlatformAccountLink.linked("youtube", channel_id))
                try:
                    await ask_hub(http, channel_id, "subscribe" if connected else "unsubscribe")
                    if connected:
                        report.renewed += 1
                    else:
                        report.unsubscribed += 1
                except (httpx.HTTPError, HubRefused) as failure:
                    report.postponed += 1
                    logger.warning(
                        "websub renewal postponed",
                        extra={"topic": topic, "reason": type(failure).__name__},
                    )

    asyncio.run(run())
    logger.info("websub renewal finished", extra=vars(report))
    return report
