"""X Account Activity: Herald's webhook registered once per app, each connected X user subscribed
with its own token, unsubscribed with the app's bearer token when its last Herald account goes.

Requests checked against X's documentation:
- `POST /2/webhooks` `{"url": ...}`, app-only bearer token; a URL registered before is refused
  (`DuplicateUrlFailed`) and found with `GET /2/webhooks`:
  https://docs.x.com/x-api/webhooks/create-webhook, https://docs.x.com/x-api/webhooks/get-webhook,
  https://docs.x.com/x-api/webhooks/introduction
- `POST /2/account_activity/webhooks/:webhook_id/subscriptions/all`, body `{}`, the subscribing
  user's OAuth 2.0 access token, answering `{"data": {"subscribed": true}}`:
  https://docs.x.com/x-api/account-activity/create-subscription,
  https://docs.x.com/x-api/account-activity/quickstart
- `DELETE /2/account_activity/webhooks/:webhook_id/subscriptions/:user_id/all`, app-only bearer
  token: https://docs.x.com/x-api/account-activity/delete-subscription

Deleting a workspace does what disconnecting its X accounts would: each leaves its user's entry,
and a user left with none is unsubscribed.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import respx
import time_machine
from fastapi.testclient import TestClient

from functions.publish.adapters import registry, worker_calls
from functions.publish.adapters.platforms.base import ConnectedAccount, TokenSet
from functions.publish.adapters.x_activity_items import (
    XActivityAccountItem,
    XActivityItem,
    XWebhookItem,
)
from functions.publish.domain import connections
from functions.publish.domain.x_account_activity import (
    retry_due_subscriptions,
    x_activity_subscribed,
)
from functions.publish.workers import events as publish_events
from functions.publish.workers import publisher
from functions.shared import platform_credentials
from functions.shared.settings import get_settings
from tests.publish.oauth_flow import X_ME, X_TOKEN, come_back, start
from tests.publish.posts_world import table_keys
from tests.support.auth_world import Account, Herald
from tests.support.event_bus import bus_listener, received
from tests.support.events import lambda_context

API = "https://api.x.com"
APP_BEARER = "app-only-bearer-token"
CREDENTIALS = {
    "x": {"client_id": "x-client", "client_secret": "x-secret", "bearer_token": APP_BEARER}
}
WEBHOOK_ID = "1146654567674912769"
USER_ID = "2244994945"
SUBSCRIBE = f"{API}/2/account_activity/webhooks/{WEBHOOK_ID}/subscriptions/all"
UNSUBSCRIBE = f"{API}/2/account_activity/webhooks/{WEBHOOK_ID}/subscriptions/{USER_ID}/all"
USER_TOKEN = "user-token"
WORKSPACE_A = "01JWORKSPACE0000000000000A"
WORKSPACE_B = "01JWORKSPACE0000000000000B"
WORKER = "herald-publish-worker"


def callback() -> str:
    return f"{get_settings().api_base_url}/v1/webhooks/platforms/x"


@pytest.fixture
def configured(cloud: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform_credentials, "platform_credentials", lambda: CREDENTIALS)
    monkeypatch.setattr(registry, "platform_credentials", lambda: CREDENTIALS)


@pytest.fixture
def x_api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.post(f"{API}/2/webhooks").respond(
            200,
            json={
                "data": {
                    "id": WEBHOOK_ID,
                    "url": callback(),
                    "valid": True,
                    "created_at": "2026-12-05T08:00:00.000Z",
                }
            },
        )
        mock.post(SUBSCRIBE).respond(200, json={"data": {"subscribed": True}})
        mock.delete(UNSUBSCRIBE).respond(200, json={"data": {"subscribed": False}})
        yield mock


def connect(workspace_id: str, user_id: str = USER_ID, access_token: str = USER_TOKEN) -> str:
    identity = ConnectedAccount(platform_account_id=user_id, name="Herald", handle="heraldhq")
    tokens = TokenSet(access_token=access_token, refresh_token="refresh", expires_at=None)
    return connections._save_account(workspace_id, "user-1", "x", identity, tokens).account_id


def calls(mock: respx.MockRouter, method: str, url: str) -> list[respx.models.Call]:
    return [c for c in mock.calls if c.request.method == method and str(c.request.url) == url]


def test_connecting_registers_the_webhook_once_and_subscribes_with_the_user_token(
    configured: None, x_api: respx.MockRouter
) -> None:
    account_id = connect(WORKSPACE_A, access_token="user-token-1")

    [register] = calls(x_api, "POST", f"{API}/2/webhooks")
    assert register.request.headers["authorization"] == f"Bearer {APP_BEARER}"
    assert register.request.headers["content-type"] == "application/json"
    assert json.loads(register.request.content) == {"url": callback()}
    [subscribe] = calls(x_api, "POST", SUBSCRIBE)
    # The subscription is the authenticating user's: made with its token, not the app's.
    assert subscribe.request.headers["authorization"] == "Bearer user-token-1"
    assert json.loads(subscribe.request.content) == {}
    assert x_activity_subscribed(WORKSPACE_A, account_id)
    webhook = XWebhookItem.find_key(*XWebhookItem.keys("x-client", callback()))
    assert webhook is not None
    assert webhook.webhook_id == WEBHOOK_ID

    other = connect(WORKSPACE_A, user_id="783214", access_token="user-token-2")

    assert len(calls(x_api, "POST", f"{API}/2/webhooks")) == 1  # per app, never per account
    assert calls(x_api, "POST", SUBSCRIBE)[-1].request.headers["authorization"] == (
        "Bearer user-token-2"
    )
    assert x_activity_subscribed(WORKSPACE_A, other)
    assert not x_activity_subscribed(WORKSPACE_B, account_id)  # another workspace's id: no


def test_a_webhook_registered_before_is_found_by_its_url(configured: None) -> None:
    with respx.mock(assert_all_mocked=True) as x_api:
        x_api.post(f"{API}/2/webhooks").respond(
            400,
            json={
                "errors": [
                    {"message": "DuplicateUrlFailed", "code": "DuplicateUrlFailed"},
                ]
            },
        )
        listing = x_api.get(f"{API}/2/webhooks").respond(
            200,
            json={
                "data": [
                    {"id": "1", "url": "https://elsewhere.example/x", "valid": True},
                    {"id": WEBHOOK_ID, "url": callback(), "valid": True},
                ],
                "meta": {"result_count": 2},
            },
        )
        x_api.post(SUBSCRIBE).respond(200, json={"data": {"subscribed": True}})
        account_id = connect(WORKSPACE_A)
    assert listing.calls.last.request.headers["authorization"] == f"Bearer {APP_BEARER}"
    assert x_activity_subscribed(WORKSPACE_A, account_id)


def test_a_refused_subscription_is_counted_and_retried_by_the_refresher_run(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    start_time = datetime.now(UTC)
    with respx.mock(assert_all_mocked=True) as x_api:
        x_api.post(f"{API}/2/webhooks").respond(200, json={"id": WEBHOOK_ID, "url": callback()})
        subscribe = x_api.post(SUBSCRIBE)
        subscribe.respond(
            403,
            json={"title": "Forbidden", "detail": "No Account Activity access.", "status": 403},
        )
        account_id = connect(WORKSPACE_A)

        assert not x_activity_subscribed(WORKSPACE_A, account_id)
        pending = XActivityItem.find(USER_ID)
        assert pending is not None
        assert (pending.state, pending.attempts) == ("pending", 1)
        assert "XAccountActivityPostponed" in capsys.readouterr().out
        assert retry_due_subscriptions().postponed == 0  # not due before the hour
        subscribe.respond(200, json={"data": {"subscribed": True}})
        with time_machine.travel(start_time + timedelta(minutes=61)):
            report = retry_due_subscriptions()
    assert (report.subscribed, report.postponed) == (1, 0)
    assert subscribe.calls.last.request.headers["authorization"] == f"Bearer {USER_TOKEN}"
    assert x_activity_subscribed(WORKSPACE_A, account_id)
    item = XActivityItem.find(USER_ID)
    assert item is not None
    assert item.due_at is None
    assert item.attempts == 0


def test_nothing_is_asked_of_x_without_the_app_bearer_token(
    cloud: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = {"x": {"client_id": "x-client", "client_secret": "x-secret"}}
    monkeypatch.setattr(platform_credentials, "platform_credentials", lambda: credentials)
    with respx.mock(assert_all_mocked=True):  # any request to X would fail the test
        account_id = connect(WORKSPACE_A)
    assert not x_activity_subscribed(WORKSPACE_A, account_id)


@pytest.fixture
def publish(herald: Herald, configured: None) -> Iterator[TestClient]:
    from functions.publish.app import app

    with TestClient(app, follow_redirects=False) as client:
        yield client


def connect_over_oauth(publish: TestClient, herald: Herald) -> tuple[dict[str, str], str]:
    owner: Account = herald.sign_up("owner")
    headers = owner.headers | {"X-Workspace-Id": herald.create_workspace(owner)["id"]}
    outcome = come_back(publish, state=start(publish, headers)["state"][0], code="the-code")
    assert outcome["status"] == "connected"
    [account] = publish.get("/v1/accounts", headers=headers).json()["items"]
    return headers, account["id"]


def test_disconnecting_unsubscribes_with_the_app_bearer_token(
    publish: TestClient, herald: Herald, x_api: respx.MockRouter
) -> None:
    x_api.post(f"{API}/2/oauth2/token").respond(200, json=X_TOKEN)
    x_api.get(f"{API}/2/users/me").respond(200, json=X_ME)
    x_api.post(f"{API}/2/oauth2/revoke").respond(200, json={"revoked": True})
    headers, account_id = connect_over_oauth(publish, herald)
    [subscribe] = calls(x_api, "POST", SUBSCRIBE)
    assert subscribe.request.headers["authorization"] == f"Bearer {X_TOKEN['access_token']}"
    assert x_activity_subscribed(headers["X-Workspace-Id"], account_id)

    response = publish.delete(f"/v1/accounts/{account_id}", headers=headers)

    assert response.status_code == 204, response.text
    [unsubscribe] = calls(x_api, "DELETE", UNSUBSCRIBE)
    assert unsubscribe.request.headers["authorization"] == f"Bearer {APP_BEARER}"
    assert XActivityItem.find(USER_ID) is None


def test_the_subscription_stays_while_another_workspace_connects_the_user(
    configured: None, x_api: respx.MockRouter
) -> None:
    from functions.publish.domain.x_account_activity import unsubscribe_account

    first = connect(WORKSPACE_A)
    second = connect(WORKSPACE_B)
    assert len(calls(x_api, "POST", SUBSCRIBE)) == 1  # X subscribes a user once per webhook
    assert x_activity_subscribed(WORKSPACE_B, second)

    unsubscribe_account(WORKSPACE_A, first, USER_ID)
    assert calls(x_api, "DELETE", UNSUBSCRIBE) == []
    assert x_activity_subscribed(WORKSPACE_B, second)

    unsubscribe_account(WORKSPACE_B, second, USER_ID)
    assert len(calls(x_api, "DELETE", UNSUBSCRIBE)) == 1


def test_a_failed_unsubscription_is_retried(configured: None, x_api: respx.MockRouter) -> None:
    from functions.publish.domain.x_account_activity import unsubscribe_account

    account_id = connect(WORKSPACE_A)
    start_time = datetime.now(UTC)
    x_api.delete(UNSUBSCRIBE).respond(503, json={"title": "Service Unavailable"})
    unsubscribe_account(WORKSPACE_A, account_id, USER_ID)  # logged, not raised
    item = XActivityItem.find(USER_ID)
    assert item is not None
    assert item.state == "unsubscribing"

    x_api.delete(UNSUBSCRIBE).respond(200, json={"data": {"subscribed": False}})
    with time_machine.travel(start_time + timedelta(minutes=61)):
        report = retry_due_subscriptions()
    assert (report.unsubscribed, report.postponed) == (1, 0)
    assert len(calls(x_api, "DELETE", UNSUBSCRIBE)) == 2
    assert XActivityItem.find(USER_ID) is None


def test_the_deploy_command_registers_the_webhook_once(
    configured: None, x_api: respx.MockRouter
) -> None:
    from functions.publish.domain.x_account_activity import register_webhook

    assert register_webhook() == WEBHOOK_ID
    assert register_webhook() == WEBHOOK_ID
    assert len(calls(x_api, "POST", f"{API}/2/webhooks")) == 1
    connect(WORKSPACE_A)  # the first connect finds it registered
    assert len(calls(x_api, "POST", f"{API}/2/webhooks")) == 1


def delete_workspace(
    herald: Herald, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, object]:
    """Delete the workspace through the auth API (which purges its partition, X accounts
    included), hand the `workspace.deleted` it announced to the publish events function, and run
    the publish worker task that function starts (it alone may read the app's credentials)."""
    workspace_id = headers["X-Workspace-Id"]
    listener = bus_listener("workspace.deleted")
    response = herald.client.delete(f"/v1/workspaces/{workspace_id}", headers=headers)
    assert response.status_code == 204, response.text
    assert table_keys(workspace_id, "ACCOUNT#") == []  # purged before the event is handled
    [event] = received(listener)
    started: list[dict[str, object]] = []
    monkeypatch.setattr(worker_calls, "start", started.append)
    assert publish_events.handler(event, None)["x_release_started"] is True
    assert started == [{"herald": "release-x-accounts", "workspace_id": workspace_id}]
    assert publish_events.handler(event, None)["x_release_started"] is True  # a redelivery
    result: dict[str, object] = publisher.handler(started[0], lambda_context(WORKER))["result"]
    return result


@pytest.fixture
def x_oauth(x_api: respx.MockRouter) -> respx.MockRouter:
    x_api.post(f"{API}/2/oauth2/token").respond(200, json=X_TOKEN)
    x_api.get(f"{API}/2/users/me").respond(200, json=X_ME)
    x_api.post(f"{API}/2/oauth2/revoke").respond(200, json={"revoked": True})
    return x_api


def test_deleting_a_workspace_keeps_the_subscription_of_a_user_another_workspace_links(
    publish: TestClient, herald: Herald, x_oauth: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers, _ = connect_over_oauth(publish, herald)
    other = connect(WORKSPACE_B)  # the same X user, in another workspace

    result = delete_workspace(herald, headers, monkeypatch)

    assert result["x_accounts_released"] == 1
    entry = XActivityItem.find(USER_ID)
    assert entry is not None
    assert entry.accounts == {XActivityItem.account_ref(WORKSPACE_B, other)}
    assert entry.state == "subscribed"
    assert calls(x_oauth, "DELETE", UNSUBSCRIBE) == []
    assert XActivityAccountItem.of_workspace(headers["X-Workspace-Id"]) == []


def test_deleting_the_workspace_of_a_users_last_account_unsubscribes_it(
    publish: TestClient, herald: Herald, x_oauth: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers, _ = connect_over_oauth(publish, herald)
    x_oauth.delete(UNSUBSCRIBE).respond(503, json={"title": "Service Unavailable"})
    deleted_at = datetime.now(UTC)

    assert delete_workspace(herald, headers, monkeypatch)["x_accounts_released"] == 1

    # X failed: postponed as a disconnect's unsubscription is, and tried again by the refresher.
    [failed] = calls(x_oauth, "DELETE", UNSUBSCRIBE)
    assert failed.request.headers["authorization"] == f"Bearer {APP_BEARER}"
    entry = XActivityItem.find(USER_ID)
    assert entry is not None
    assert entry.state == "unsubscribing"
    assert not entry.accounts
    x_oauth.delete(UNSUBSCRIBE).respond(200, json={"data": {"subscribed": False}})
    with time_machine.travel(deleted_at + timedelta(minutes=61)):
        assert retry_due_subscriptions().unsubscribed == 1
    assert len(calls(x_oauth, "DELETE", UNSUBSCRIBE)) == 2
    assert XActivityItem.find(USER_ID) is None


# Re-validation: X runs the CRC hourly and marks a webhook that fails it invalid (`valid` in
# `GET /2/webhooks`), delivering nothing until it passes; `PUT /2/webhooks/:webhook_id` with the
# app-only bearer token and no body has X run the CRC now and answers {"data": {"attempted":
# true}}; a failing CRC is refused with `CrcValidationFailed`:
# https://docs.x.com/x-api/webhooks/validate-webhook, https://docs.x.com/x-api/webhooks/introduction,
# https://docs.x.com/x-api/webhooks/quickstart
VALIDATE = f"{API}/2/webhooks/{WEBHOOK_ID}"


def run_refresher() -> str:
    result = publisher.handler({"herald": "refresh-tokens"}, lambda_context(WORKER))
    outcome: str = result["result"]["x_webhook"]
    return outcome


def revalidation_metrics(out: str) -> list[tuple[str, list[float]]]:
    """(outcome, value) of each `XWebhookRevalidations` EMF document the run printed."""
    documents = [
        json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line
    ]
    return [
        (document["outcome"], document["XWebhookRevalidations"])
        for document in documents
        if "XWebhookRevalidations" in document
    ]


def listed(mock: respx.MockRouter, *, valid: bool, webhook_id: str = WEBHOOK_ID) -> respx.Route:
    return mock.get(f"{API}/2/webhooks").respond(
        200,
        json={
            "data": [
                {
                    "id": webhook_id,
                    "url": callback(),
                    "valid": valid,
                    "created_at": "2026-12-05T08:00:00.000Z",
                }
            ],
            "meta": {"result_count": 1},
        },
    )


def test_an_invalid_webhook_is_revalidated_at_most_once_an_hour(
    configured: None, x_api: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    connect(WORKSPACE_A)  # registers the webhook
    checked_at = datetime.now(UTC)
    listing = listed(x_api, valid=False)
    validate = x_api.put(VALIDATE).respond(200, json={"data": {"attempted": True}})

    assert run_refresher() == "revalidated"

    [get] = listing.calls
    assert get.request.headers["authorization"] == f"Bearer {APP_BEARER}"
    assert dict(get.request.url.params) == {"webhook_config.fields": "id,url,valid"}
    [put] = validate.calls
    assert put.request.headers["authorization"] == f"Bearer {APP_BEARER}"
    assert put.request.content == b""
    assert revalidation_metrics(capsys.readouterr().out) == [("revalidated", [1.0])]

    assert run_refresher() == "not_due"  # the next 30-minute run
    assert (len(listing.calls), len(validate.calls)) == (1, 1)

    listed(x_api, valid=True)
    with time_machine.travel(checked_at + timedelta(minutes=61)):
        assert run_refresher() == "valid"
    assert len(validate.calls) == 1  # a valid webhook is left alone


def test_a_refused_revalidation_is_counted_and_asked_again_an_hour_later(
    configured: None, x_api: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    connect(WORKSPACE_A)
    checked_at = datetime.now(UTC)
    listed(x_api, valid=False)
    validate = x_api.put(VALIDATE).respond(
        400,
        json={
            "errors": [{"message": "CrcValidationFailed", "code": "CrcValidationFailed"}],
        },
    )

    assert run_refresher() == "failed"
    assert revalidation_metrics(capsys.readouterr().out) == [("failed", [1.0])]

    validate.respond(200, json={"data": {"attempted": True}})
    with time_machine.travel(checked_at + timedelta(minutes=61)):
        assert run_refresher() == "revalidated"
    assert len(validate.calls) == 2


def test_a_webhook_x_no_longer_lists_is_reported_not_revalidated(
    configured: None, x_api: respx.MockRouter
) -> None:
    connect(WORKSPACE_A)
    listed(x_api, valid=True, webhook_id="1")  # another webhook of the app
    validate = x_api.put(VALIDATE)

    assert run_refresher() == "missing"
    assert not validate.called


def test_nothing_is_checked_before_herald_registered_a_webhook(configured: None) -> None:
    with respx.mock(assert_all_mocked=True) as x_api:  # any request to X would fail the test
        assert run_refresher() == "not_registered"
    assert not x_api.calls
