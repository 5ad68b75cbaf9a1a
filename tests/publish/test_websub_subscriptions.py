"""Subscribing connected YouTube channels to Google's WebSub hub and renewing their leases.

The hub request is checked against https://www.w3.org/TR/websub/#subscriber-sends-subscription-request
(a form-encoded POST of hub.callback, hub.mode, hub.topic, hub.lease_seconds, hub.secret;
unsubscribing sends the same callback and topic with `hub.mode=unsubscribe`, and the hub then
verifies the intent as for a subscription: https://www.w3.org/TR/websub/#hub-verifies-intent) and
https://developers.google.com/youtube/v3/guides/push_notifications (Google's hub, the channel's
feed as topic; "set the mode to unsubscribe to cancel a subscription"). The subscription secret
is computed here independently.
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
from functions.shared.platform_links import PlatformAccountLink
from functions.shared.settings import get_settings
from tests.publish.studio import Studio

CHANNEL = "UCXuqSBlHAE6Xw-yeJA0Tunw"
TOPIC = f"https://www.youtube.com/xml/feeds/videos.xml?channel_id={CHANNEL}"
HUB = "https://pubsubhubbub.appspot.com/subscribe"
WEBSUB_SECRET = "websub-master-secret"


@pytest.fixture
def configured(cloud: None, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = {"google": {"websub_secret": WEBSUB_SECRET}}
    monkeypatch.setattr(platform_credentials, "platform_credentials", lambda: credentials)


@pytest.fixture
def connected(configured: None) -> None:
    """A workspace connects the channel (its link, as connecting writes it)."""
    PlatformAccountLink.of("youtube", CHANNEL, "01JWORKSPACE0000000000000A", "01JACCOUNT").save()


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


def test_a_verified_subscription_is_renewed_a_day_before_its_lease_ends(connected: None) -> None:
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


def test_a_request_the_hub_refused_is_asked_again_within_the_hour(connected: None) -> None:
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


CALLBACK_PATH = f"/v1/webhooks/platforms/youtube/{CHANNEL}"
UNSUBSCRIBE = {"hub.mode": "unsubscribe", "hub.topic": TOPIC, "hub.verify": "async"}


def connect_channel(studio: Studio, workspace_id: str | None = None) -> str:
    identity = ConnectedAccount(platform_account_id=CHANNEL, name="Channel", kind="channel")
    tokens = TokenSet(access_token="a", refresh_token="r", expires_at=None)
    with respx.mock(assert_all_mocked=True) as hub:
        hub.post(HUB).respond(202)
        item = connections._save_account(
            workspace_id or studio.workspace_id, studio.owner.user_id, "youtube", identity, tokens
        )
    return item.account_id


def test_disconnecting_a_channel_unsubscribes_it_and_ends_its_renewals(
    studio: Studio, configured: None
) -> None:
    account_id = connect_channel(studio)
    start = datetime.now(UTC)
    assert websub.confirm(TOPIC, "subscribe", lease_seconds=5 * 24 * 3600, now=start)

    with respx.mock(assert_all_mocked=True) as hub:
        route = hub.post(HUB).respond(202)
        response = studio.client.delete(f"/v1/accounts/{account_id}", headers=studio.headers)
    assert response.status_code == 204, response.text
    [call] = route.calls
    assert form(call) == UNSUBSCRIBE | {
        "hub.callback": f"{get_settings().api_base_url}{CALLBACK_PATH}"
    }  # no lease, no secret: they belong to subscribing
    item = websub.WebSubSubscriptionItem.get(*websub.WebSubSubscriptionItem.keys(TOPIC))
    assert item.mode == "unsubscribe"
    # The hub's verification: only the unsubscription Herald asked for is confirmed, and it
    # forgets the topic, so nothing is renewed after.
    assert not websub.confirm(TOPIC, "subscribe", lease_seconds=3600)
    assert websub.confirm(TOPIC, "unsubscribe", lease_seconds=None)
    assert not websub.confirm(TOPIC, "unsubscribe", lease_seconds=None)  # asked once
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as hub:
        route = hub.post(HUB).respond(202)
        with time_machine.travel(start + timedelta(days=30)):
            report = websub_subscriptions.renew_due_subscriptions()
    assert (report.renewed, report.unsubscribed, report.postponed) == (0, 0, 0)
    assert route.call_count == 0


def test_a_channel_connected_in_another_workspace_stays_subscribed(
    studio: Studio, configured: None
) -> None:
    other_workspace = studio.herald.create_workspace(studio.owner)["id"]
    account_id = connect_channel(studio)
    connect_channel(studio, other_workspace)
    start = datetime.now(UTC)
    assert websub.confirm(TOPIC, "subscribe", lease_seconds=5 * 24 * 3600, now=start)

    with respx.mock(assert_all_mocked=True, assert_all_called=False) as hub:
        route = hub.post(HUB).respond(202)
        response = studio.client.delete(f"/v1/accounts/{account_id}", headers=studio.headers)
        assert response.status_code == 204, response.text
        assert route.call_count == 0
        with time_machine.travel(start + timedelta(days=4, minutes=1)):
            report = websub_subscriptions.renew_due_subscriptions()
    assert (report.renewed, report.unsubscribed) == (1, 0)
    assert form(route.calls.last)["hub.mode"] == "subscribe"


def test_a_failed_unsubscription_is_asked_again_until_the_hub_takes_it(
    studio: Studio, configured: None
) -> None:
    account_id = connect_channel(studio)
    start = datetime.now(UTC)
    with respx.mock(assert_all_mocked=True) as hub:
        route = hub.post(HUB).respond(503)
        response = studio.client.delete(f"/v1/accounts/{account_id}", headers=studio.headers)
        assert response.status_code == 204, response.text  # the disconnect goes on
        with time_machine.travel(start + timedelta(minutes=61)):
            failed = websub_subscriptions.renew_due_subscriptions()
        route.respond(202)
        with time_machine.travel(start + timedelta(minutes=122)):
            report = websub_subscriptions.renew_due_subscriptions()
    assert (failed.unsubscribed, failed.postponed) == (0, 1)
    assert (report.renewed, report.unsubscribed, report.postponed) == (0, 1, 0)
    assert [form(call)["hub.mode"] for call in route.calls] == ["unsubscribe"] * 3
    assert websub.confirm(TOPIC, "unsubscribe", lease_seconds=None)


def test_a_channel_whose_workspace_was_deleted_is_unsubscribed_not_renewed(
    configured: None,
) -> None:
    """No link left (a workspace's purge deletes its links without disconnecting)."""
    start = datetime.now(UTC)
    with respx.mock(assert_all_mocked=True) as hub:
        route = hub.post(HUB).respond(202)
        websub_subscriptions.subscribe_channel(CHANNEL)
        assert websub.confirm(TOPIC, "subscribe", lease_seconds=5 * 24 * 3600, now=start)
        with time_machine.travel(start + timedelta(days=4, minutes=1)):
            report = websub_subscriptions.renew_due_subscriptions()
    assert (report.renewed, report.unsubscribed) == (0, 1)
    assert form(route.calls.last)["hub.mode"] == "unsubscribe"
