"""Meta's data deletion request callback, end to end: the signed callback, the processor, the
publish group removing the user's accounts, and the status page.

https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback:
Meta POSTs a form with a `signed_request` (base64url HMAC-SHA256 signature, a dot, the base64url
JSON payload, signed with the app secret) naming the app-scoped id of the user who removed the
app and asked for deletion; the app answers `{url, confirmation_code}`, and the URL shows the
user a human-readable status of the request. The app-scoped id is what GET /me answers for the
user's login (https://developers.facebook.com/docs/graph-api/reference/user), which connecting
a Page or an Instagram account records.
"""

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import META_USER_KEY, ConnectedAccount, TokenSet
from functions.publish.domain import connections
from functions.publish.workers import events as publish_events
from functions.shared import platform_credentials
from functions.shared.engagement import PLATFORM_NOTICE_EVENT
from functions.shared.platform_links import META_USER, PlatformAccountLink
from functions.shared.settings import get_settings
from functions.webhooks.workers.inbound_processor import handler as process_inbound
from tests.support.event_bus import bus_listener, received
from tests.support.events import lambda_context
from tests.webhooks.hooks_world import Hooks

META_SECRET = "meta-app-secret"
LEAVING = "218471"  # the Meta user asking for deletion (app-scoped id)
STAYING = "990077"  # another Meta user
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def signed_request(payload: dict[str, Any]) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=")
    signature = hmac.new(META_SECRET.encode(), encoded, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode() + "." + encoded.decode()


def connect(workspace_id: str, platform: str, platform_account_id: str, person: str) -> str:
    """An account as connecting it over Facebook Login leaves it (item, links, events)."""
    identity = ConnectedAccount(
        platform_account_id=platform_account_id,
        name=f"{platform} {platform_account_id}",
        kind="page" if platform == "facebook" else "business",
        extra={META_USER_KEY: person},
    )
    tokens = TokenSet(access_token=f"token-of-{platform_account_id}")
    return connections._save_account(workspace_id, "user-1", platform, identity, tokens).account_id


def run_inbound_queue() -> None:
    settings = get_settings()
    sqs = boto3.client("sqs", region_name=settings.region)
    messages = sqs.receive_message(QueueUrl=settings.inbound_queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    )
    records = [
        {"messageId": m["MessageId"], "receiptHandle": "h", "body": m["Body"]} for m in messages
    ]
    result = process_inbound({"Records": records}, lambda_context("herald-test-inbound"))
    assert result == {"batchItemFailures": []}


@pytest.fixture
def world(hooks: Hooks, monkeypatch: pytest.MonkeyPatch) -> Hooks:
    settings = get_settings()
    boto3.client("sqs", region_name=settings.region).create_queue(
        QueueName=settings.inbound_queue_url.rsplit("/", 1)[-1]
    )
    credentials = {"meta": {"client_secret": META_SECRET}}
    monkeypatch.setattr(platform_credentials, "platform_credentials", lambda: credentials)
    return hooks


def test_a_data_deletion_request_removes_the_users_accounts_and_completes(world: Hooks) -> None:
    mine = world.workspace_id
    other = world.herald.create_workspace(world.owner, "Other brand")["id"]
    leaving_page = connect(mine, "facebook", "1001", LEAVING)
    leaving_instagram = connect(other, "instagram", "17841400000000001", LEAVING)
    staying_page = connect(mine, "facebook", "1002", STAYING)
    staying_instagram = connect(other, "instagram", "17841400000000002", STAYING)
    notices = bus_listener(PLATFORM_NOTICE_EVENT, "account.disconnected")

    form = urlencode(
        {
            "signed_request": signed_request(
                {"algorithm": "HMAC-SHA256", "issued_at": 1764921600, "user_id": LEAVING}
            )
        }
    )
    answer = world.client.post(
        "/v1/webhooks/platforms/meta/data-deletion", content=form, headers=FORM
    ).json()
    status_path = answer["url"].removeprefix(get_settings().api_base_url)

    def status() -> dict[str, Any]:
        response = world.client.get(status_path)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    assert (status()["status"], status()["completed_at"]) == ("pending", None)

    run_inbound_queue()
    handed_over = [e for e in received(notices) if e["detail-type"] == PLATFORM_NOTICE_EVENT]
    assert sorted(e["detail"]["data"]["account_id"] for e in handed_over) == sorted(
        [leaving_page, leaving_instagram]
    )
    first, second = handed_over
    assert publish_events.handler(first, None) == {"outcome": "data_deleted"}
    assert status()["status"] == "pending"  # one account is still to go
    assert publish_events.handler(second, None) == {"outcome": "data_deleted"}
    assert publish_events.handler(second, None) == {"outcome": "duplicate"}

    done = status()
    assert done["status"] == "completed"
    assert done["completed_at"] >= done["requested_at"]
    assert LEAVING not in json.dumps(done)
    # The user's accounts are gone with their tokens and links, in both workspaces ...
    assert SocialAccountItem.find(mine, leaving_page) is None
    assert SocialAccountItem.find(other, leaving_instagram) is None
    assert PlatformAccountLink.linked(META_USER, LEAVING) == []
    assert PlatformAccountLink.linked("facebook", "1001") == []
    # ... announced as disconnections by the platform ...
    disconnected = {
        e["detail"]["data"]["account_id"]: e["detail"]["data"]["disconnected_by"]
        for e in received(notices)
        if e["detail-type"] == "account.disconnected"
    }
    assert disconnected == {
        leaving_page: "platform:facebook",
        leaving_instagram: "platform:instagram",
    }
    # ... and another user's accounts, in either workspace, are untouched.
    assert SocialAccountItem.find(mine, staying_page) is not None
    assert SocialAccountItem.find(other, staying_instagram) is not None
    assert {link.account_id for link in PlatformAccountLink.linked(META_USER, STAYING)} == {
        staying_page,
        staying_instagram,
    }


def test_a_request_for_a_user_herald_holds_nothing_of_completes_at_once(world: Hooks) -> None:
    form = urlencode(
        {"signed_request": signed_request({"algorithm": "HMAC-SHA256", "user_id": "55555"})}
    )
    answer = world.client.post(
        "/v1/webhooks/platforms/meta/data-deletion", content=form, headers=FORM
    ).json()
    path = answer["url"].removeprefix(get_settings().api_base_url)
    assert world.client.get(path).json()["status"] == "pending"
    run_inbound_queue()
    assert world.client.get(path).json()["status"] == "completed"
    # Meta's retry of the same request finds it as it is.
    retry = world.client.post(
        "/v1/webhooks/platforms/meta/data-deletion", content=form, headers=FORM
    ).json()
    assert retry == answer
    assert world.client.get(path).json()["status"] == "completed"


def test_a_threads_data_deletion_removes_the_threads_profile(
    world: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Threads' data deletion callback names the Threads user, the profile Herald connected. The
    Threads use case has its own "Data Deletion Requests URL" and app secret
    (https://developers.facebook.com/docs/development/create-an-app/threads-use-case, Settings),
    called like Facebook Login's."""
    credentials = {"threads": {"client_secret": "threads-app-secret"}}
    monkeypatch.setattr(platform_credentials, "platform_credentials", lambda: credentials)
    identity = ConnectedAccount(platform_account_id=LEAVING, name="Profile", handle="brand")
    profile = connections._save_account(
        world.workspace_id, "user-1", "threads", identity, TokenSet(access_token="threads-token")
    ).account_id
    notices = bus_listener(PLATFORM_NOTICE_EVENT)
    encoded = base64.urlsafe_b64encode(
        json.dumps({"algorithm": "HMAC-SHA256", "user_id": LEAVING}).encode()
    ).rstrip(b"=")
    signature = hmac.new(b"threads-app-secret", encoded, hashlib.sha256).digest()
    signed = base64.urlsafe_b64encode(signature).rstrip(b"=").decode() + "." + encoded.decode()

    answer = world.client.post(
        "/v1/webhooks/platforms/threads/data-deletion",
        content=urlencode({"signed_request": signed}),
        headers=FORM,
    ).json()
    run_inbound_queue()
    [notice] = received(notices)
    assert publish_events.handler(notice, None) == {"outcome": "data_deleted"}

    assert SocialAccountItem.find(world.workspace_id, profile) is None
    status = world.client.get(answer["url"].removeprefix(get_settings().api_base_url)).json()
    assert status["status"] == "completed"


def test_a_deauthorization_reaches_the_pages_and_instagram_accounts_of_the_user(
    world: Hooks,
) -> None:
    """Meta's deauthorize callback names the person too: each account they connected is
    marked for reconnecting, another person's is not."""
    page = connect(world.workspace_id, "facebook", "1001", LEAVING)
    instagram = connect(world.workspace_id, "instagram", "17841400000000001", LEAVING)
    connect(world.workspace_id, "facebook", "1002", STAYING)
    notices = bus_listener(PLATFORM_NOTICE_EVENT)

    response = world.client.post(
        "/v1/webhooks/platforms/meta/deauthorize",
        content=urlencode(
            {"signed_request": signed_request({"algorithm": "HMAC-SHA256", "user_id": LEAVING})}
        ),
        headers=FORM,
    )
    assert response.json() == {"received": 1, "queued": 1}
    run_inbound_queue()
    handed_over = received(notices)
    assert {e["detail"]["data"]["account_id"] for e in handed_over} == {page, instagram}
    assert {e["detail"]["data"]["kind"] for e in handed_over} == {"authorization_removed"}
