"""Connecting a real platform over OAuth 2.0: the state is single-use, expiring and bound.

X is the example platform (authorization code with PKCE, RFC 7636); its requests are checked in
detail in tests/platforms/test_x.py. Here the subject is Herald's side of the dance: RFC 6749
section 10.12 (CSRF: `state` bound to the user agent's session), RFC 9700 section 2.1 (PKCE,
single use of codes and states).
"""

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import respx
import time_machine
from fastapi.testclient import TestClient

from functions.publish.adapters import registry
from functions.publish.adapters.platforms.base import ConnectedAccount, TokenSet
from functions.shared.settings import get_settings
from tests.support.auth_world import Account, Herald

CREDENTIALS = {"x": {"client_id": "x-client", "client_secret": "x-secret"}}
X_TOKEN = {
    "token_type": "bearer",
    "expires_in": 7200,
    "access_token": "x-access-token-value",
    "scope": "tweet.read tweet.write users.read offline.access media.write",
    "refresh_token": "x-refresh-token-value",
}
X_ME = {"data": {"id": "2244994945", "name": "Herald", "username": "heraldhq"}}


@pytest.fixture
def publish(herald: Herald, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from functions.publish.app import app

    monkeypatch.setattr(registry, "platform_credentials", lambda: CREDENTIALS)
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def owner(herald: Herald) -> tuple[Account, dict[str, str]]:
    account = herald.sign_up("owner")
    workspace = herald.create_workspace(account)
    return account, account.headers | {"X-Workspace-Id": workspace["id"]}


@pytest.fixture
def x_platform() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.post("https://api.x.com/2/oauth2/token").respond(200, json=X_TOKEN)
        mock.get("https://api.x.com/2/users/me").respond(200, json=X_ME)
        yield mock


def start(
    publish: TestClient, headers: dict[str, str], platform: str = "x"
) -> dict[str, list[str]]:
    response = publish.post(f"/v1/accounts/connect/{platform}", headers=headers)
    assert response.status_code == 200, response.text
    return parse_qs(urlparse(response.json()["authorization_url"]).query)


def come_back(publish: TestClient, platform: str = "x", **query: str) -> dict[str, str]:
    response = publish.get(f"/v1/accounts/callback/{platform}", params=query)
    assert response.status_code == 302, response.text
    location = urlparse(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == get_settings().dashboard_url
    assert location.path == "/accounts/connect"
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def test_a_login_connects_the_account_with_pkce(
    publish: TestClient,
    owner: tuple[Account, dict[str, str]],
    x_platform: respx.MockRouter,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, headers = owner
    authorize = start(publish, headers)

    outcome = come_back(publish, state=authorize["state"][0], code="the-code")

    assert outcome == {"platform": "x", "status": "connected", "count": "1"}
    assert authorize["redirect_uri"] == [f"{get_settings().api_base_url}/v1/accounts/callback/x"]
    assert authorize["code_challenge_method"] == ["S256"]
    exchange = parse_qs(x_platform.calls[0].request.content.decode())
    verifier = exchange["code_verifier"][0]
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert authorize["code_challenge"] == [expected.decode()]
    listed = publish.get("/v1/accounts", headers=headers).json()["items"]
    assert [(a["platform"], a["platform_account_id"], a["handle"]) for a in listed] == [
        ("x", "2244994945", "heraldhq")
    ]
    assert "x-access-token-value" not in json.dumps(listed)
    logged = capsys.readouterr()
    for secret in ("x-access-token-value", "x-refresh-token-value", "x-secret", verifier):
        assert secret not in logged.out + logged.err


def test_a_state_works_once(
    publish: TestClient, owner: tuple[Account, dict[str, str]], x_platform: respx.MockRouter
) -> None:
    _, headers = owner
    state = start(publish, headers)["state"][0]
    come_back(publish, state=state, code="the-code")

    replay = come_back(publish, state=state, code="the-code")

    assert (replay["status"], replay["error"]) == ("error", "invalid_state")
    assert len(x_platform.calls) == 2  # one exchange and one profile read, from the first use


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        pytest.param(
            lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"), "invalid_state", id="last changed"
        ),
        pytest.param(lambda s: "", "missing_state", id="empty"),
        pytest.param(lambda s: s + "x", "invalid_state", id="one more character"),
    ],
)
def test_a_tampered_or_missing_state_connects_nothing(
    publish: TestClient,
    owner: tuple[Account, dict[str, str]],
    x_platform: respx.MockRouter,
    tamper: Any,
    error: str,
) -> None:
    _, headers = owner
    state = start(publish, headers)["state"][0]

    outcome = come_back(publish, state=tamper(state), code="the-code")

    assert (outcome["status"], outcome["error"]) == ("error", error)
    assert not x_platform.calls
    assert publish.get("/v1/accounts", headers=headers).json()["items"] == []


def test_a_state_is_bound_to_its_platform(
    publish: TestClient, owner: tuple[Account, dict[str, str]], x_platform: respx.MockRouter
) -> None:
    _, headers = owner
    state = start(publish, headers)["state"][0]

    outcome = come_back(publish, "linkedin", state=state, code="the-code")

    assert outcome["error"] == "invalid_state"
    assert not x_platform.calls


def test_a_state_expires_after_10_minutes(
    publish: TestClient, owner: tuple[Account, dict[str, str]], x_platform: respx.MockRouter
) -> None:
    _, headers = owner
    state = start(publish, headers)["state"][0]

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=10, seconds=5)):
        outcome = come_back(publish, state=state, code="the-code")

    assert outcome["error"] == "expired_state"
    assert not x_platform.calls


def test_a_refused_login_says_why(
    publish: TestClient, owner: tuple[Account, dict[str, str]], x_platform: respx.MockRouter
) -> None:
    _, headers = owner
    state = start(publish, headers)["state"][0]

    outcome = come_back(
        publish, state=state, error="access_denied", error_description="The user said no."
    )

    assert (outcome["error"], outcome["message"]) == ("denied", "The user said no.")
    assert not x_platform.calls


def test_the_account_lands_in_the_workspace_that_started_the_login(
    herald: Herald, publish: TestClient, x_platform: respx.MockRouter
) -> None:
    """The callback carries no session; only the state says where the account belongs."""
    alice = herald.sign_up("alice")
    first = herald.create_workspace(alice, "First")
    second = herald.create_workspace(alice, "Second")
    state = start(publish, alice.headers | {"X-Workspace-Id": first["id"]})["state"][0]

    come_back(publish, state=state, code="the-code")

    in_first = publish.get("/v1/accounts", headers=alice.headers | {"X-Workspace-Id": first["id"]})
    in_second = publish.get(
        "/v1/accounts", headers=alice.headers | {"X-Workspace-Id": second["id"]}
    )
    assert len(in_first.json()["items"]) == 1
    assert in_second.json()["items"] == []


def test_only_admins_in_person_start_a_login(herald: Herald, publish: TestClient) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    editor = herald.sign_up("editor")
    herald.add_member(owner, workspace["id"], editor, "editor")
    key = herald.client.post(
        f"/v1/workspaces/{workspace['id']}/api-keys",
        json={"name": "ci", "scopes": ["accounts:read", "accounts:write"]},
        headers=owner.headers,
    ).json()["key"]

    as_editor = publish.post(
        "/v1/accounts/connect/x", headers=editor.headers | {"X-Workspace-Id": workspace["id"]}
    )
    as_key = publish.post("/v1/accounts/connect/x", headers={"Authorization": f"Bearer {key}"})

    assert as_editor.status_code == 403
    assert as_key.status_code == 403
    assert as_key.json()["detail"] == "API keys cannot do this; sign in as a workspace member."


def test_a_platform_without_credentials_cannot_be_connected(
    publish: TestClient, owner: tuple[Account, dict[str, str]]
) -> None:
    _, headers = owner

    response = publish.post("/v1/accounts/connect/tiktok", headers=headers)

    assert response.status_code == 503
    assert response.json()["detail"] == (
        "Connecting tiktok is not configured here: its OAuth client credentials "
        "('tiktok') are missing."
    )


class TwoPages:
    """A login exposing two identities, as Facebook does with its pages; the exchange itself
    is tested per platform in tests/platforms."""

    platform = "facebook"

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        return f"https://login.example/?state={state}"

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        return TokenSet(access_token="user-token")

    async def accounts(self, tokens: TokenSet) -> list[tuple[ConnectedAccount, TokenSet]]:
        return [
            (ConnectedAccount("111", "Cafe Page", kind="page"), TokenSet("page-111-token")),
            (ConnectedAccount("222", "Bakery Page", kind="page"), TokenSet("page-222-token")),
        ]


def test_a_login_with_several_pages_lets_the_user_choose(
    publish: TestClient, owner: tuple[Account, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, headers = owner
    monkeypatch.setattr(registry, "oauth_adapter", lambda platform, http: TwoPages())
    state = start(publish, headers, "facebook")["state"][0]

    outcome = come_back(publish, "facebook", state=state, code="the-code")
    selection = publish.get(f"/v1/accounts/selections/{outcome['selection']}", headers=headers)
    chosen = publish.post(
        f"/v1/accounts/selections/{outcome['selection']}",
        json={"platform_account_ids": ["222"]},
        headers=headers,
    )
    again = publish.get(f"/v1/accounts/selections/{outcome['selection']}", headers=headers)

    assert outcome["status"] == "choose"
    assert [c["name"] for c in selection.json()["candidates"]] == ["Cafe Page", "Bakery Page"]
    assert "token" not in selection.text
    assert chosen.status_code == 201, chosen.text
    assert [a["name"] for a in chosen.json()] == ["Bakery Page"]
    assert again.status_code == 404


def test_choosing_an_identity_the_login_did_not_offer_is_422(
    publish: TestClient, owner: tuple[Account, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, headers = owner
    monkeypatch.setattr(registry, "oauth_adapter", lambda platform, http: TwoPages())
    state = start(publish, headers, "facebook")["state"][0]
    selection = come_back(publish, "facebook", state=state, code="the-code")["selection"]

    response = publish.post(
        f"/v1/accounts/selections/{selection}",
        json={"platform_account_ids": ["333"]},
        headers=headers,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "not_offered"


def test_exchange_failures_come_back_with_the_platform_s_message(
    publish: TestClient, owner: tuple[Account, dict[str, str]]
) -> None:
    _, headers = owner
    state = start(publish, headers)["state"][0]
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post("https://api.x.com/2/oauth2/token").respond(
            400,
            json={
                "error": "invalid_request",
                "error_description": "Value passed for the authorization code was invalid.",
            },
        )
        outcome = come_back(publish, state=state, code="stale-code")

    assert outcome["error"] == "exchange_failed"
    assert "authorization code was invalid" in outcome["message"]


def test_a_connected_account_is_found_by_its_platform_id_until_it_is_disconnected(
    publish: TestClient, owner: tuple[Account, dict[str, str]], x_platform: respx.MockRouter
) -> None:
    """Platform webhooks name the X user id: the link that finds the account is written with
    the account, and deleted with it (docs/access-patterns.md#platform-links)."""
    from functions.shared.platform_links import PlatformAccountLink

    _, headers = owner
    authorize = start(publish, headers)
    come_back(publish, state=authorize["state"][0], code="the-code")
    [account] = publish.get("/v1/accounts", headers=headers).json()["items"]

    [link] = PlatformAccountLink.linked("x", "2244994945")
    assert (link.workspace_id, link.account_id) == (headers["X-Workspace-Id"], account["id"])

    x_platform.post("https://api.x.com/2/oauth2/revoke").respond(200, json={"revoked": True})
    response = publish.delete(f"/v1/accounts/{account['id']}", headers=headers)
    assert response.status_code == 204, response.text
    assert PlatformAccountLink.linked("x", "2244994945") == []
