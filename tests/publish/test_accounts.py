"""Social accounts over HTTP: the sandbox account, workspace isolation, roles, health checks."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from functions.publish.adapters import token_vault
from functions.shared.settings import get_settings
from tests.publish.sealed import readable_secrets
from tests.support.auth_world import Account, Herald
from tests.support.event_bus import bus_listener, received
from tests.support.snapshots import workspace_items


@pytest.fixture
def publish(herald: Herald) -> Iterator[TestClient]:
    from functions.publish.app import app

    with TestClient(app) as client:
        yield client


def in_workspace(account: Account, workspace_id: str) -> dict[str, str]:
    return account.headers | {"X-Workspace-Id": workspace_id}


def add_sandbox(publish: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = publish.post("/v1/accounts", json={"platform": "sandbox", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_sandbox_account_is_added_listed_checked_and_disconnected(
    herald: Herald, publish: TestClient
) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    headers = in_workspace(owner, workspace["id"])

    added = add_sandbox(publish, headers, name="Try-out")
    listed = publish.get("/v1/accounts", headers=headers).json()
    checked = publish.post(f"/v1/accounts/{added['id']}/check", headers=headers).json()
    removed = publish.delete(f"/v1/accounts/{added['id']}", headers=headers)
    after = publish.get(f"/v1/accounts/{added['id']}", headers=headers)

    assert (added["platform"], added["name"], added["status"]) == ("sandbox", "Try-out", "active")
    assert [a["id"] for a in listed["items"]] == [added["id"]]
    assert checked["healthy"] is True
    assert checked["account"]["last_checked_at"] is not None
    assert removed.status_code == 204
    assert after.status_code == 404
    activity = herald.client.get(
        f"/v1/workspaces/{workspace['id']}/activity", headers=owner.headers
    ).json()["items"]
    assert [e["action"] for e in activity][:2] == ["account.disconnected", "account.connected"]


def test_tokens_are_sealed_at_rest_and_never_answered(herald: Herald, publish: TestClient) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    added = add_sandbox(publish, in_workspace(owner, workspace["id"]))

    table = boto3.resource("dynamodb", region_name=get_settings().region).Table(
        get_settings().table_name
    )
    item = table.get_item(Key={"PK": f"WS#{workspace['id']}", "SK": f"ACCOUNT#{added['id']}"})[
        "Item"
    ]

    sealed = str(item["sealed_tokens"])
    tokens = token_vault.unseal(sealed, workspace_id=workspace["id"], account_id=added["id"])
    secrets = [tokens.access_token, *([tokens.refresh_token] if tokens.refresh_token else [])]
    listed = publish.get("/v1/accounts", headers=in_workspace(owner, workspace["id"])).text
    assert len(tokens.access_token) >= 32
    # Decoded, not only as stored: an encoding alone would pass a look at the text.
    assert readable_secrets(sealed, secrets) == []
    assert readable_secrets(json.dumps(item, default=str), secrets) == []
    for secret in secrets:
        assert secret not in json.dumps(added)
        assert secret not in listed
    assert sealed not in listed


def test_another_workspace_s_accounts_are_404(herald: Herald, publish: TestClient) -> None:
    alice, bob = herald.sign_up("alice"), herald.sign_up("bob")
    alices = herald.create_workspace(alice, "Alice Brand")
    bobs = herald.create_workspace(bob, "Bob Brand")
    bobs_account = add_sandbox(publish, in_workspace(bob, bobs["id"]))
    path = f"/v1/accounts/{bobs_account['id']}"
    bobs_before = workspace_items(bobs["id"])
    account_unknown = f"Account {bobs_account['id']} was not found."
    workspace_unknown = f"Workspace {bobs['id']} was not found."

    # Alice names her own workspace: Bob's account is not in it.
    mine = in_workspace(alice, alices["id"])
    answers = {
        "get": publish.get(path, headers=mine),
        "check": publish.post(f"{path}/check", headers=mine),
        "delete": publish.delete(path, headers=mine),
    }
    # Alice names Bob's workspace: she is not a member.
    theirs = in_workspace(alice, bobs["id"])
    answers |= {
        "list (their workspace)": publish.get("/v1/accounts", headers=theirs),
        "get (their workspace)": publish.get(path, headers=theirs),
        "check (their workspace)": publish.post(f"{path}/check", headers=theirs),
        "delete (their workspace)": publish.delete(path, headers=theirs),
    }

    # The route's own answer, not any 404 (a path no route serves answers 404 too).
    assert {name: (a.status_code, a.json().get("detail")) for name, a in answers.items()} == {
        name: (404, workspace_unknown if "their" in name else account_unknown) for name in answers
    }
    assert {a.headers["content-type"] for a in answers.values()} == {"application/problem+json"}
    assert workspace_items(bobs["id"]) == bobs_before
    assert publish.get("/v1/accounts", headers=mine).json()["items"] == []
    assert publish.get(path, headers=in_workspace(bob, bobs["id"])).status_code == 200


def test_viewers_read_accounts_and_only_admins_manage_them(
    herald: Herald, publish: TestClient
) -> None:
    owner, viewer = herald.sign_up("owner"), herald.sign_up("viewer")
    workspace = herald.create_workspace(owner)
    herald.add_member(owner, workspace["id"], viewer, "viewer")
    added = add_sandbox(publish, in_workspace(owner, workspace["id"]))
    headers = in_workspace(viewer, workspace["id"])

    assert publish.get("/v1/accounts", headers=headers).status_code == 200
    assert publish.get("/v1/accounts/platforms", headers=headers).status_code == 200
    refused = [
        publish.post("/v1/accounts", json={"platform": "sandbox"}, headers=headers),
        publish.post(f"/v1/accounts/{added['id']}/check", headers=headers),
        publish.delete(f"/v1/accounts/{added['id']}", headers=headers),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert refused[0].json()["detail"] == "This needs the admin role or above; yours is viewer."


def test_a_refused_token_marks_the_account_and_announces_it(
    herald: Herald, publish: TestClient
) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    headers = in_workspace(owner, workspace["id"])
    queue_url = bus_listener("account.needs_reconnect")
    broken = add_sandbox(publish, headers, fail_with="reauth")

    checked = publish.post(f"/v1/accounts/{broken['id']}/check", headers=headers).json()

    assert checked["healthy"] is False
    assert checked["account"]["status"] == "needs_reconnect"
    # The check refreshed once before giving up; the refresh was refused too.
    assert checked["account"]["last_error"] == "The sandbox refused to refresh the token, as asked."
    [event] = received(queue_url)
    assert (event["source"], event["detail-type"]) == ("herald.publish", "account.needs_reconnect")
    assert event["detail"]["type"] == "account.needs_reconnect"
    assert event["detail"]["workspace_id"] == workspace["id"]
    assert event["detail"]["data"]["account_id"] == broken["id"]


def test_a_temporary_platform_failure_never_marks_an_account_dead(
    herald: Herald, publish: TestClient
) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    headers = in_workspace(owner, workspace["id"])
    flaky = add_sandbox(publish, headers, fail_with="retryable")

    checked = publish.post(f"/v1/accounts/{flaky['id']}/check", headers=headers).json()

    assert checked["healthy"] is False
    assert checked["account"]["status"] == "active"
    assert checked["detail"].startswith("The platform could not be asked right now:")


def test_a_permanent_platform_refusal_is_an_unhealthy_check_not_a_server_error(
    herald: Herald, publish: TestClient
) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    headers = in_workspace(owner, workspace["id"])
    refusing = add_sandbox(publish, headers, fail_with="permanent")

    checked = publish.post(f"/v1/accounts/{refusing['id']}/check", headers=headers)

    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["healthy"] is False
    assert body["detail"] == (
        "The platform refused the check: The sandbox refused this content, as asked."
    )
    assert body["account"]["status"] == "active"
    assert body["account"]["last_error"] == "The sandbox refused this content, as asked."


def test_the_platform_catalogue_lists_every_platform_with_limits(
    herald: Herald, publish: TestClient
) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)

    platforms = publish.get(
        "/v1/accounts/platforms", headers=in_workspace(owner, workspace["id"])
    ).json()

    by_name = {p["platform"]: p for p in platforms}
    assert set(by_name) == {
        "x",
        "instagram",
        "facebook",
        "linkedin",
        "tiktok",
        "youtube",
        "threads",
        "sandbox",
    }
    x_post = by_name["x"]["content_types"][0]
    assert x_post["max_text_length"] == 280
    assert [m["max_count"] for m in x_post["media"]] == [4, 1, 1]
    assert by_name["x"]["pkce"] is True
