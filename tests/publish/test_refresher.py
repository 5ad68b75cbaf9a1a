"""The scheduled token refresher, run the way EventBridge runs it: through the publish handler.

X's refresh request itself is checked in tests/platforms/test_x.py
(https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import respx
import time_machine
from fastapi.testclient import TestClient

from functions.publish.adapters import registry, token_vault
from functions.publish.adapters.items import SocialAccountItem
from tests.support.auth_world import Herald
from tests.support.event_bus import bus_listener, received
from tests.support.events import lambda_context

CREDENTIALS = {"x": {"client_id": "x-client", "client_secret": "x-secret"}}
TOKEN_URL = "https://api.x.com/2/oauth2/token"


@pytest.fixture
def publish(herald: Herald, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from functions.publish.app import app

    monkeypatch.setattr(registry, "platform_credentials", lambda: CREDENTIALS)
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def headers(herald: Herald) -> dict[str, str]:
    """The owner of a fresh workspace, acting in it."""
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    return owner.headers | {"X-Workspace-Id": workspace["id"]}


@pytest.fixture
def x_account(publish: TestClient, headers: dict[str, str]) -> SocialAccountItem:
    """An X account connected through OAuth, its access token valid for two hours."""
    workspace_id = headers["X-Workspace-Id"]
    start = publish.post("/v1/accounts/connect/x", headers=headers).json()
    state = parse_qs(urlparse(start["authorization_url"]).query)["state"][0]
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(TOKEN_URL).respond(
            200,
            json={
                "token_type": "bearer",
                "expires_in": 7200,
                "access_token": "first-access",
                "refresh_token": "first-refresh",
            },
        )
        mock.get("https://api.x.com/2/users/me").respond(
            200, json={"data": {"id": "2244994945", "name": "Herald", "username": "heraldhq"}}
        )
        publish.get("/v1/accounts/callback/x", params={"state": state, "code": "c"})
    account_id = publish.get("/v1/accounts", headers=headers).json()["items"][0]["id"]
    item = SocialAccountItem.find(workspace_id, account_id)
    assert item is not None
    return item


# No YouTube subscription falls due here.
NO_WEBSUB = {"renewed": 0, "unsubscribed": 0, "postponed": 0}
# No X Account Activity subscription to try again either.
NO_X_ACTIVITY = {"subscribed": 0, "unsubscribed": 0, "postponed": 0}
NO_X_WEBHOOK = "not_configured"  # no app bearer token: Herald registered no webhook to check


def run_refresher() -> dict[str, Any]:
    from functions.publish.workers.publisher import handler

    result: dict[str, Any] = handler(
        {"herald": "refresh-tokens"}, lambda_context("herald-publish-worker")
    )
    return result


def stored(item: SocialAccountItem) -> SocialAccountItem:
    found = SocialAccountItem.find(item.workspace_id, item.account_id)
    assert found is not None
    return found


def test_a_token_expiring_soon_is_renewed_and_sealed_again(x_account: SocialAccountItem) -> None:
    with (
        time_machine.travel(datetime.now(UTC) + timedelta(hours=1)),
        respx.mock(assert_all_mocked=True) as mock,
    ):
        route = mock.post(TOKEN_URL).respond(
            200,
            json={
                "token_type": "bearer",
                "expires_in": 7200,
                "access_token": "second-access",
                "refresh_token": "second-refresh",
            },
        )
        report = run_refresher()
        now = datetime.now(UTC)

    assert report == {
        "task": "refresh-tokens",
        "result": {
            "renewed": 1,
            "needs_reconnect": 0,
            "postponed": 0,
            "websub": NO_WEBSUB,
            "x_account_activity": NO_X_ACTIVITY,
            "x_webhook": NO_X_WEBHOOK,
        },
    }
    assert parse_qs(route.calls.last.request.content.decode())["refresh_token"] == ["first-refresh"]
    after = stored(x_account)
    tokens = token_vault.unseal(
        after.sealed_tokens, workspace_id=after.workspace_id, account_id=after.account_id
    )
    assert (tokens.access_token, tokens.refresh_token) == ("second-access", "second-refresh")
    assert after.token_expires_at is not None
    assert after.token_expires_at > now + timedelta(minutes=119)
    assert after.status == "active"


def test_tokens_far_from_expiry_are_left_alone(x_account: SocialAccountItem) -> None:
    with (
        time_machine.travel(datetime.now(UTC) - timedelta(hours=1)),
        respx.mock(assert_all_mocked=True) as mock,
    ):
        report = run_refresher()

    assert report["result"] == {
        "renewed": 0,
        "needs_reconnect": 0,
        "postponed": 0,
        "websub": NO_WEBSUB,
        "x_account_activity": NO_X_ACTIVITY,
        "x_webhook": NO_X_WEBHOOK,
    }
    assert not mock.calls


def test_a_refused_refresh_asks_for_reconnection_and_says_so_on_the_bus(
    x_account: SocialAccountItem,
) -> None:
    queue_url = bus_listener("account.needs_reconnect")
    with (
        time_machine.travel(datetime.now(UTC) + timedelta(hours=1)),
        respx.mock(assert_all_mocked=True) as mock,
    ):
        mock.post(TOKEN_URL).respond(
            400,
            json={
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid.",
            },
        )
        report = run_refresher()

    assert report["result"] == {
        "renewed": 0,
        "needs_reconnect": 1,
        "postponed": 0,
        "websub": NO_WEBSUB,
        "x_account_activity": NO_X_ACTIVITY,
        "x_webhook": NO_X_WEBHOOK,
    }
    after = stored(x_account)
    assert after.status == "needs_reconnect"
    assert after.token_refresh_bucket is None  # off the refresher's index until reconnected
    [event] = received(queue_url)
    assert event["detail"]["data"]["account_id"] == x_account.account_id


def test_a_temporary_platform_failure_leaves_the_account_for_the_next_run(
    x_account: SocialAccountItem,
) -> None:
    with (
        time_machine.travel(datetime.now(UTC) + timedelta(hours=1)),
        respx.mock(assert_all_mocked=True) as mock,
    ):
        mock.post(TOKEN_URL).respond(503, json={"title": "Service Unavailable"})
        report = run_refresher()

    assert report["result"] == {
        "renewed": 0,
        "needs_reconnect": 0,
        "postponed": 1,
        "websub": NO_WEBSUB,
        "x_account_activity": NO_X_ACTIVITY,
        "x_webhook": NO_X_WEBHOOK,
    }
    after = stored(x_account)
    assert after.status == "active"
    assert after.sealed_tokens == x_account.sealed_tokens


def test_an_unknown_task_is_an_error() -> None:
    from functions.publish.workers.publisher import handler

    with pytest.raises(ValueError, match="unknown task 'dance'"):
        handler({"herald": "dance"}, lambda_context("herald-publish-worker"))


def test_a_refused_token_is_refreshed_once_and_the_call_retried(
    publish: TestClient, headers: dict[str, str], x_account: SocialAccountItem
) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        me = mock.get("https://api.x.com/2/users/me")
        me.side_effect = [
            httpx.Response(401, json={"title": "Unauthorized", "detail": "Unauthorized"}),
            httpx.Response(200, json={"data": {"id": "2244994945", "name": "Herald"}}),
        ]
        refresh = mock.post(TOKEN_URL).respond(
            200, json={"expires_in": 7200, "access_token": "second-access"}
        )
        checked = publish.post(f"/v1/accounts/{x_account.account_id}/check", headers=headers)

    assert checked.json()["healthy"] is True
    assert refresh.call_count == 1
    assert [call.request.headers["authorization"] for call in me.calls] == [
        "Bearer first-access",
        "Bearer second-access",
    ]
    after = stored(x_account)
    tokens = token_vault.unseal(
        after.sealed_tokens, workspace_id=after.workspace_id, account_id=after.account_id
    )
    # X did not send a new refresh token, so the old one is kept.
    assert (tokens.access_token, tokens.refresh_token) == ("second-access", "first-refresh")


def test_a_token_refused_again_after_refreshing_needs_reconnecting(
    publish: TestClient, headers: dict[str, str], x_account: SocialAccountItem
) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        me = mock.get("https://api.x.com/2/users/me").respond(
            401, json={"title": "Unauthorized", "detail": "Unauthorized"}
        )
        mock.post(TOKEN_URL).respond(200, json={"expires_in": 7200, "access_token": "second"})
        checked = publish.post(f"/v1/accounts/{x_account.account_id}/check", headers=headers).json()

    assert me.call_count == 2  # once, then once more after the refresh; never a third time
    assert checked["healthy"] is False
    assert checked["account"]["status"] == "needs_reconnect"


def test_disconnecting_revokes_the_grant_at_x_and_deletes_the_tokens(
    publish: TestClient, headers: dict[str, str], x_account: SocialAccountItem
) -> None:
    """https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token (revoke)."""
    with respx.mock(assert_all_mocked=True) as mock:
        revoke = mock.post("https://api.x.com/2/oauth2/revoke").respond(200, json={"revoked": True})
        removed = publish.delete(f"/v1/accounts/{x_account.account_id}", headers=headers)

    assert removed.status_code == 204
    assert parse_qs(revoke.calls.last.request.content.decode())["token"] == ["first-refresh"]
    assert SocialAccountItem.find(x_account.workspace_id, x_account.account_id) is None


def test_a_failed_revocation_still_deletes_the_tokens(
    publish: TestClient, headers: dict[str, str], x_account: SocialAccountItem
) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post("https://api.x.com/2/oauth2/revoke").respond(503)
        removed = publish.delete(f"/v1/accounts/{x_account.account_id}", headers=headers)

    assert removed.status_code == 204
    assert SocialAccountItem.find(x_account.workspace_id, x_account.account_id) is None


@pytest.mark.usefixtures("cloud")
def test_http_events_still_work_after_a_scheduled_task_in_the_same_container() -> None:
    """Lambda reuses the process: a task must leave it able to serve API Gateway events."""
    from functions.publish.app import handler
    from tests.support.events import rest_proxy_event

    run_refresher()
    answer = handler(
        rest_proxy_event("GET", "/v1/publish/health", resource="/v1/publish/{proxy+}"),
        lambda_context("herald-publish"),
    )

    assert answer["statusCode"] == 200
