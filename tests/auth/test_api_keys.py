"""Workspace API keys: shown once, stored as a digest, scoped, revocable, expiring (DESIGN 3).

A key is a bearer token (RFC 6750) bound to one workspace. Every function group accepts it in
place of a user token, without `X-Workspace-Id`; it reaches only its own workspace (404 for any
other, OWASP API1 Broken Object Level Authorization), only routes naming a scope it holds (403,
OWASP API5 Broken Function Level Authorization), never a people-only route. Only its SHA-256
digest is stored (OWASP ASVS 4.0.3 V2.10.2 and V6.4: no plaintext secrets at rest), and
revocation and expiry take effect on the very next request (OWASP ASVS V3.3.1).
"""

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import boto3
import pytest
import time_machine
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response

from functions.shared.access import Permission, Role, Scope, WorkspaceAccess
from functions.shared.groups import GROUPS
from functions.shared.http.app import create_app
from functions.shared.http.dependencies import require_workspace
from functions.shared.settings import get_settings
from tests.support.auth_world import Account, Herald, unique_email

PROBE = "key-probe"
READ_POSTS = Permission(Role.VIEWER, Scope.POSTS_READ)
WRITE_WEBHOOKS = Permission(Role.VIEWER, Scope.WEBHOOKS_WRITE)
PEOPLE_ONLY = Permission(Role.VIEWER)

NOT_VALID = "The API key is not valid; it may have been revoked."
EXPIRED = "The API key has expired."
MEMBERS_ONLY = "API keys cannot do this; sign in as a workspace member."
HINT_LENGTH = len("hk_") + 6


def probe_app(group_name: str, prefix: str) -> FastAPI:
    """The group's app with test routes that act in a workspace, as the group's routes will."""
    router = APIRouter(prefix=f"{prefix}/{PROBE}")

    @router.get("")
    async def read_posts(
        access: Annotated[WorkspaceAccess, Depends(require_workspace(READ_POSTS))],
    ) -> dict[str, str]:
        return {"workspace_id": access.workspace_id, "actor": access.actor}

    @router.get("/webhooks")
    async def write_webhooks(
        access: Annotated[WorkspaceAccess, Depends(require_workspace(WRITE_WEBHOOKS))],
    ) -> dict[str, str]:
        return {"workspace_id": access.workspace_id}

    @router.get("/people")
    async def people_only(
        access: Annotated[WorkspaceAccess, Depends(require_workspace(PEOPLE_ONLY))],
    ) -> dict[str, str]:
        return {"workspace_id": access.workspace_id}

    app = create_app(group_name)
    app.include_router(router)
    return app


@pytest.fixture(scope="module")
def groups() -> dict[str, tuple[TestClient, str]]:
    """Every function group: a client of its app with the probe routes, and the probe's path."""
    return {
        group.name: (
            TestClient(probe_app(group.name, group.prefixes[0])),
            f"{group.prefixes[0]}/{PROBE}",
        )
        for group in GROUPS
    }


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def problem(response: Response) -> tuple[int, object]:
    return response.status_code, response.json().get("detail")


@pytest.fixture
def owner(herald: Herald) -> Account:
    return herald.sign_up("owner")


def answers_on_every_group(
    groups: dict[str, tuple[TestClient, str]], secret: str
) -> dict[str, tuple[int, object]]:
    answers = {}
    for name, (client, path) in groups.items():
        response = client.get(path, headers=bearer(secret))
        answers[name] = (response.status_code, response.json().get("detail"))
    return answers


def all_table_items() -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name=get_settings().region).Table(
        get_settings().table_name
    )
    items: list[dict[str, Any]] = []
    scan: dict[str, Any] = {"ConsistentRead": True}
    while True:
        page = table.scan(**scan)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_a_key_is_shown_once_and_stored_only_as_its_digest(
    log_output: io.StringIO, herald: Herald, owner: Account
) -> None:
    """OWASP ASVS 4.0.3 V2.10.2 / V6.4.1: the secret is not kept; its SHA-256 digest finds it."""
    workspace_id = herald.create_workspace(owner)["id"]

    created = herald.created_api_key(owner, workspace_id, ["posts:read", "workspace:read"])
    secret = created["key"]
    listed = herald.client.get(f"/v1/workspaces/{workspace_id}/api-keys", headers=owner.headers)
    activity = herald.client.get(f"/v1/workspaces/{workspace_id}/activity", headers=owner.headers)
    stored = json.dumps(all_table_items(), default=str)
    logged = log_output.getvalue()

    assert '"message":"email sent"' in logged  # the log stream is the one read here
    assert secret.startswith("hk_")
    assert len(secret) >= len("hk_") + 43  # 256 random bits, base64url
    assert created["hint"] == secret[:HINT_LENGTH]
    [item] = listed.json()["items"]
    assert set(item) == {"id", "name", "scopes", "hint", "created_by", "created_at", "expires_at"}
    assert item["hint"] == secret[:HINT_LENGTH]
    assert item["scopes"] == ["posts:read", "workspace:read"]
    secret_part = secret[HINT_LENGTH:]
    for where, text in {
        "the key list": listed.text,
        "the activity log": activity.text,
        "the table": stored,
        "the logs": logged,
    }.items():
        assert secret_part not in text, f"the secret appears in {where}"
    assert hashlib.sha256(secret.encode()).hexdigest() in stored
    # The digest alone finds the key (what a verifier reads), bound to its workspace.
    [lookup] = [i for i in json.loads(stored) if i["PK"].startswith("APIKEY#")]
    assert lookup["PK"] == f"APIKEY#{hashlib.sha256(secret.encode()).hexdigest()}"
    assert lookup["workspace_id"] == workspace_id


def test_every_function_group_accepts_a_key_for_its_own_workspace_only(
    herald: Herald, owner: Account, groups: dict[str, tuple[TestClient, str]]
) -> None:
    own = herald.create_workspace(owner, "Acme Coffee")["id"]
    other = herald.create_workspace(owner, "Acme Tea")["id"]  # the key's creator is in both
    key = herald.created_api_key(owner, own, ["posts:read"])
    secret = key["key"]
    failures: list[str] = []

    for name, (client, path) in groups.items():
        expectations: list[tuple[str, Response, tuple[int, object]]] = [
            (
                "no X-Workspace-Id",
                client.get(path, headers=bearer(secret)),
                (200, None),
            ),
            (
                "its own workspace named",
                client.get(path, headers={**bearer(secret), "X-Workspace-Id": own}),
                (200, None),
            ),
            (
                "another workspace named",
                client.get(path, headers={**bearer(secret), "X-Workspace-Id": other}),
                (404, f"Workspace {other} was not found."),
            ),
            (
                "a scope it lacks",
                client.get(f"{path}/webhooks", headers=bearer(secret)),
                (403, "This API key lacks the `webhooks:write` scope."),
            ),
            (
                "a people-only route",
                client.get(f"{path}/people", headers=bearer(secret)),
                (403, MEMBERS_ONLY),
            ),
            (
                "an unknown key",
                client.get(path, headers=bearer("hk_" + "A" * 43)),
                (401, NOT_VALID),
            ),
            # Control: the owner's own token does reach the other workspace, so the 404 above
            # comes from the key's binding, not from the workspace.
            (
                "the owner's token, other workspace",
                client.get(path, headers={**owner.headers, "X-Workspace-Id": other}),
                (200, None),
            ),
        ]
        for what, response, expected in expectations:
            if problem(response) != expected:
                failures.append(f"{name}, {what}: {response.status_code} {response.text}")
            elif expected[0] == 401 and not response.headers["www-authenticate"].startswith(
                "Bearer"
            ):
                failures.append(f"{name}, {what}: no Bearer challenge")
        answer = client.get(path, headers=bearer(secret)).json()
        if answer != {"workspace_id": own, "actor": f"api_key:{key['id']}"}:
            failures.append(f"{name}: acted as {answer}")

    assert failures == [], "\n".join(failures)


def test_a_revoked_key_stops_working_on_its_very_next_request(
    herald: Herald, owner: Account, groups: dict[str, tuple[TestClient, str]]
) -> None:
    workspace_id = herald.create_workspace(owner)["id"]
    key = herald.created_api_key(owner, workspace_id, ["posts:read", "workspace:read"])
    assert set(answers_on_every_group(groups, key["key"]).values()) == {(200, None)}

    revoked = herald.client.delete(
        f"/v1/workspaces/{workspace_id}/api-keys/{key['id']}", headers=owner.headers
    )

    assert revoked.status_code == 204
    assert answers_on_every_group(groups, key["key"]) == {
        group.name: (401, NOT_VALID) for group in GROUPS
    }
    own = herald.client.get(f"/v1/workspaces/{workspace_id}", headers=bearer(key["key"]))
    assert problem(own) == (401, NOT_VALID)
    listed = herald.client.get(f"/v1/workspaces/{workspace_id}/api-keys", headers=owner.headers)
    assert listed.json()["items"] == []
    again = herald.client.delete(
        f"/v1/workspaces/{workspace_id}/api-keys/{key['id']}", headers=owner.headers
    )
    assert problem(again) == (404, f"API key {key['id']} was not found.")


def test_an_expired_key_stops_working_at_its_expiry(
    herald: Herald, owner: Account, groups: dict[str, tuple[TestClient, str]]
) -> None:
    workspace_id = herald.create_workspace(owner)["id"]
    expiry = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    key = herald.created_api_key(owner, workspace_id, ["posts:read"], expires_at=expiry.isoformat())

    assert datetime.fromisoformat(key["expires_at"]) == expiry
    with time_machine.travel(expiry - timedelta(seconds=5), tick=True):
        assert set(answers_on_every_group(groups, key["key"]).values()) == {(200, None)}
    with time_machine.travel(expiry + timedelta(seconds=1), tick=True):
        assert answers_on_every_group(groups, key["key"]) == {
            group.name: (401, EXPIRED) for group in GROUPS
        }


@pytest.mark.parametrize(
    "expires_at",
    [
        pytest.param((datetime.now(UTC) - timedelta(minutes=1)).isoformat(), id="in the past"),
        pytest.param(
            (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat(),
            id="no UTC offset",
        ),
    ],
)
def test_a_key_cannot_be_created_already_expired_or_with_a_floating_expiry(
    herald: Herald, owner: Account, expires_at: str
) -> None:
    workspace_id = herald.create_workspace(owner)["id"]

    response = herald.request_api_key(owner, workspace_id, ["posts:read"], expires_at=expires_at)

    assert problem(response) == (422, "The expiry must be a future time with a UTC offset.")
    assert [error["pointer"] for error in response.json()["errors"]] == ["/body/expires_at"]


@pytest.mark.parametrize("expires_at", [1900000000, "2030-03-17", "2030-03-17 17:46:40Z"])
def test_an_expiry_is_rfc_3339_text_only(
    herald: Herald, owner: Account, expires_at: object
) -> None:
    """Pydantic alone reads 1900000000 as 2030-03-17T17:46:40Z and a bare date as midnight."""
    workspace_id = herald.create_workspace(owner)["id"]

    response = herald.request_api_key(owner, workspace_id, ["posts:read"], expires_at=expires_at)

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "pointer": "/body/expires_at",
            "detail": "must be an RFC 3339 date-time such as 2030-03-01T09:00:00+01:00",
            "code": "rfc3339_date_time",
        }
    ]


# The identity group's own workspace routes, as a key holding every scope calls them.
KEY_ALLOWED = {
    ("GET", "/v1/workspaces/{workspace_id}"): Scope.WORKSPACE_READ,
    ("GET", "/v1/workspaces/{workspace_id}/members"): Scope.WORKSPACE_READ,
    ("GET", "/v1/workspaces/{workspace_id}/activity"): Scope.ACTIVITY_READ,
}
ME = "01JD5W3X8F2Q9Y7K6T4M2N1P0R"  # stands for the owner's id in member paths
PEOPLE_ONLY_ROUTES: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("PATCH", "/v1/workspaces/{workspace_id}"): ("", {"name": "Renamed by a key"}),
    ("DELETE", "/v1/workspaces/{workspace_id}"): ("", None),
    ("POST", "/v1/workspaces/{workspace_id}/default"): ("/default", None),
    ("PATCH", "/v1/workspaces/{workspace_id}/members/{user_id}"): (
        f"/members/{ME}",
        {"role": "viewer"},
    ),
    ("DELETE", "/v1/workspaces/{workspace_id}/members/{user_id}"): (f"/members/{ME}", None),
    ("POST", "/v1/workspaces/{workspace_id}/invites"): (
        "/invites",
        {"email": "someone@example.com", "role": "owner"},
    ),
    ("GET", "/v1/workspaces/{workspace_id}/invites"): ("/invites", None),
    ("DELETE", "/v1/workspaces/{workspace_id}/invites/{invite_id}"): (f"/invites/{ME}", None),
    ("POST", "/v1/workspaces/{workspace_id}/api-keys"): (
        "/api-keys",
        {"name": "Escalation", "scopes": [scope.value for scope in Scope]},
    ),
    ("GET", "/v1/workspaces/{workspace_id}/api-keys"): ("/api-keys", None),
    ("DELETE", "/v1/workspaces/{workspace_id}/api-keys/{key_id}"): (f"/api-keys/{ME}", None),
}


def workspace_routes() -> set[tuple[str, str]]:
    from functions.auth.app import app

    return {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        for method in route.methods or ()
        if route.path is not None and route.path.startswith("/v1/workspaces/{workspace_id}")
    }


def test_every_workspace_route_is_classified_for_keys() -> None:
    assert workspace_routes() == KEY_ALLOWED.keys() | PEOPLE_ONLY_ROUTES.keys()


@pytest.fixture
def keyed_workspace(herald: Herald, owner: Account) -> tuple[str, str]:
    workspace_id = herald.create_workspace(owner)["id"]
    return workspace_id, herald.created_api_key(owner, workspace_id, [s.value for s in Scope])[
        "key"
    ]


def test_a_key_cannot_call_people_only_routes_even_holding_every_scope(
    herald: Herald, owner: Account, keyed_workspace: tuple[str, str]
) -> None:
    """Members, invites, API keys, settings and deletion are for people: a key (even one with
    every scope) gets 403 there and changes nothing; it cannot mint itself a new key."""
    workspace_id, secret = keyed_workspace
    base = f"/v1/workspaces/{workspace_id}"
    # An invite and the owner's real id, so that the refusals are not mere 404s.
    invite = herald.client.post(
        f"{base}/invites", json={"email": unique_email(), "role": "viewer"}, headers=owner.headers
    )
    assert invite.status_code == 201
    before = herald.client.get(f"{base}/activity", headers=owner.headers).json()
    failures: list[str] = []

    for (method, path), (suffix, body) in PEOPLE_ONLY_ROUTES.items():
        suffix = suffix.replace(f"/members/{ME}", f"/members/{owner.user_id}").replace(
            f"/invites/{ME}", f"/invites/{invite.json()['id']}"
        )
        response = herald.client.request(method, base + suffix, json=body, headers=bearer(secret))
        if problem(response) != (403, MEMBERS_ONLY):
            failures.append(f"{method} {path}: {response.status_code} {response.text}")
    for method, path in KEY_ALLOWED:
        url = path.replace("{workspace_id}", workspace_id)
        response = herald.client.request(method, url, headers=bearer(secret))
        if response.status_code != 200:
            failures.append(f"{method} {path}: {response.status_code} {response.text}")

    assert failures == [], "\n".join(failures)
    assert herald.client.get(f"{base}/activity", headers=owner.headers).json() == before
    keys = herald.client.get(f"{base}/api-keys", headers=owner.headers).json()["items"]
    assert len(keys) == 1


def test_a_key_needs_the_scope_each_readable_route_names(herald: Herald, owner: Account) -> None:
    workspace_id = herald.create_workspace(owner)["id"]
    secret = herald.created_api_key(owner, workspace_id, ["posts:read"])["key"]
    failures: list[str] = []

    for (method, path), scope in KEY_ALLOWED.items():
        url = path.replace("{workspace_id}", workspace_id)
        response = herald.client.request(method, url, headers=bearer(secret))
        if problem(response) != (403, f"This API key lacks the `{scope}` scope."):
            failures.append(f"{method} {path}: {response.status_code} {response.text}")

    assert failures == [], "\n".join(failures)
