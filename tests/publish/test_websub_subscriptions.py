"""Subscribing connected YouTube channels to Google's WebSub hub and renewing their leases.

The hub request is checked against https://www.w3.org/TR/websub/#subscriber-sends-subscription-request
(a form-encoded POST of hub.callback, hub.mode, hub.topic, hub.lease_seconds, hub.secret) and
https://developers.google.com/youtube/v3/guides/push_notifications (Google's hub and the
channel's feed as topic). The subscription secret is computed here independently.
"""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
import respx
import time_machine

from functions.publish.adapters.platforms.base import ConnectedAccount, TokenSet
from functions.publish.domain import connections, websub_subscriptions
from functions.shared import platform_credentials, websub
from functions.shared.settings import get_settings

CHANNEL = "UCXuqSBlHAE6Xw-yeJA0Tunw"
TOPIC = f"https://www.youtube.com/xml/feeds/videos.xml?channel_id={CHANNEL}"
HUB = "https://pubsubhubbub.appspot.com/subscribe"
WEBSUB_SECRET = "websub-master-secret"


@pytest.fixture
def configured(cloud: None, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = {"google": {"websub_secret": WEBSUB_SECRET}}
    monkeypatch.setattr(platform_credentials, "platform_credentials", lambda: credentials)


def form(call: Any) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(call.request.content.decode()).items()}


def test_a_channel_is_subscribed_with_its_callback_topic_lease_and_secret(configured: None) -> None:
    with respx.mock(assert_all_mocked=True) as hub:
        route = hub.post(HUB).respond(202)
        websub_subscriptions.subscribe_channel(CHANNEL)
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form(route.calls.last) == {
        "hub.callback": f"{get_settings().api_base_url}/v1/webhooks/platforms/youtube/{CHANNEL}",
        "hub.mode": "subscribe",
        "hub.topic": TOPIC,
        "hub.verify": "async",
        "hub.lease_seconds": str(10 * 24 * 3600),
        "hub.secret": hmac.new(WEBSUB_SECRET.encode(), TOPIC.encode(), hashlib.sha256).hexdigest(),
    }
    # Recorded before the hub was asked, so its verification will be confirmed.
    item = websub.WebSubSubscriptionItem.get(*websub.WebSubSubscriptionItem.keys(TOPIC))
    assert item.mode == "subscribe"


def test_a_verified_subscription_is_renewed_a_day_before_its_lease_ends(configured: None) -> None:
    start = datetime.now(UTC)
    with respx.mock(assert_all_mocked=True) as hub:
        route = hub.post(HUB).respond(202)
        websub_subscriptions.subscribe_channel(CHANNEL)
        assert websub.confirm(TOPIC, "subscribe", lease_seconds=5 * 24 * 3600, now=start)
        with time_machine.travel(start + timedelta(days=3, hours=23)):
            assert websub_subscriptions.renew_due_subscriptions().renewed == 0
        with time_machine.travel(start + timedelta(days=4, minutes=1)):
            report = websub_subscriptions.renew_due_subscriptions()
    assert (report.renewed, report.postponed) == (1, 0)
    assert route.call_count == 2
    assert form(route.calls.last)["hub.mode"] == "subscribe"


def test_a_request_the_hub_refused_is_asked_again_within_the_hour(configured: None) -> None:
    start = datetime.now(UTC)
    with respx.mock(assert_all_mocked=True) as hub:
        route = hub.post(HUB).respond(500)
        websub_subscriptions.subscribe_channel(CHANNEL)  # logged, not raised: connecting goes on
        with time_machine.travel(start + timedelta(minutes=61)):
            report = websub_subscriptions.renew_due_subscriptions()
    assert (report.renewed, report.postponed) == (0, 1)
    assert route.call_count == 2


def test_nothing_is_asked_without_a_websub_secret(
    cloud: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform_credentials, "platform_credentials", lambda: {})
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as hub:
        route = hub.post(HUB).respond(202)
        websub_subscriptions.subscribe_channel(CHANNEL)
    assert route.call_count == 0


def test_connecting_a_youtube_channel_subscribes_it(
    configured: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribed: list[str] = []
    monkeypatch.setattr(websub_subscriptions, "subscribe_channel", subscribed.append)
    identity = ConnectedAccount(platform_account_id=CHANNEL, name="Channel", kind="channel")
    tokens = TokenSet(access_token="a", refresh_token="r", expires_at=None)
    connections._save_account("01JWORKSPACE0000000000000A", "user-1", "youtube", identity, tokens)
    connections._save_account("01JWORKSPACE0000000000000A", "user-1", "x", identity, tokens)
    assert subscribed == [CHANNEL]
