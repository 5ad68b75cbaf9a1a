"""Tenant isolation across every route of the identity group.

For every endpoint of this group: a user of workspace A asking for any object of workspace B gets
404, and a missing, expired, tampered, `alg: none`, wrong-`kid` or revoked token gets 401.

One world serves the whole check: Alice owns workspace A (and holds an API key of it); Bob owns
workspace B, which has a member (Mia), a pending invite, an API key, an avatar upload of Bob's and
an activity log. Every route of the auth app is found by walking the app's routes, so a route
added without a case below fails `test_every_route_has_an_isolation_case`.

OWASP API Security Top 10 (2023) API1, Broken Object Level Authorization: every object is looked
up within the caller's own workspace or account, and an outsider learns nothing (404, never 403,
so that workspace ids cannot be probed; DESIGN section 3). OWASP ASVS 4.0.3 V4.2.1 (IDOR).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from fastapi.routing import iter_route_contexts
from httpx import Response

from functions.shared.access import Scope
from functions.shared.auth import digest
from functions.shared.settings import get_settings
from tests.auth.forged_tokens import (
    EXPIRED,
    INVALID,
    INVALID_TOKEN_CHALLENGE,
    MISSING,
    SESSION_ENDED,
    UNKNOWN_KEY,
    WRONG_ALGORITHM,
    foreign_signed,
    herald_claims,
    herald_kid,
    herald_signed,
    hmac_keyed_with_public_key,
    tampered,
    token_claims,
    unsigned,
)
from tests.support.auth_world import PASSWORD, Account, Herald, emails_to, link_token, unique_email

# Routes anyone may call: they name no workspace object and need no token.
PUBLIC = frozenset(
    {
        ("GET", "/v1/auth/health"),
        ("GET", "/v1/auth/openapi.json"),
        ("HEAD", "/v1/auth/openapi.json"),
        ("GET", "/v1/auth/.well-known/jwks.json"),
        ("POST", "/v1/auth/register"),
        ("POST", "/v1/auth/email/verify"),
        ("POST", "/v1/auth/email/verify/resend"),
        ("POST", "/v1/auth/login"),
        ("POST", "/v1/auth/refresh"),
        ("POST", "/v1/auth/password/reset"),
        ("POST", "/v1/auth/password/reset/confirm"),
    }
)

USERS_ONLY = "API keys cannot do this; sign in as a user."
ALL_SCOPES = [scope.value for scope in Scope]


def auth_app_routes() -> set[tuple[str, str]]:
    from functions.auth.app import app

    return {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        for method in route.methods or ()
        if route.path is not None
    }


@dataclass
class World:
    alice: Account
    alice_workspace: str
    alice_key: str
    bob: Account
    bob_session: str
    bob_workspace: str
    mia: Account
    invite_id: str
    invite_token: str
    key_id: str
    key: str
    upload_id: str
    upload_key: str


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    body: dict[str, Any] | None = None


def send(herald: Herald, request: Request, token: str | None) -> Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response: Response = herald.client.request(
        request.method, request.url, json=request.body, headers=headers
    )
    return response


# What Alice gets when she aims a route at Bob's objects: a status, and the exact detail (or a
# check of the answer when the route acts on the caller's own account and names no object).
Check = Callable[[World, Response], str | None]


@dataclass(frozen=True)
class Case:
    request: Callable[[World], Request]
    status: int
    detail: Callable[[World], str] | None = None
    check: Check | None = None
    # Routes that end Alice's own sessions run last (after the bad-token sweep).
    ends_alice_sessions: bool = False


def _ws(world: World) -> str:
    return f"/v1/workspaces/{world.bob_workspace}"


def _workspace_gone(world: World) -> str:
    return f"Workspace {world.bob_workspace} was not found."


def _workspace_case(request: Callable[[World], Request]) -> Case:
    return Case(request, 404, _workspace_gone)


def _about_alice_only(world: World, response: Response) -> str | None:
    body = response.json()
    return None if body.get("id") == world.alice.user_id else f"answered about {body.get('id')}"


def _alice_sessions_only(world: World, response: Response) -> str | None:
    ids = {session["id"] for session in response.json()}
    return f"lists Bob's session {world.bob_session}" if world.bob_session in ids else None


def _alice_workspaces_only(world: World, response: Response) -> str | None:
    ids = {workspace["id"] for workspace in response.json()["items"]}
    return None if world.bob_workspace not in ids else "lists Bob's workspace"


def _alice_upload(world: World, response: Response) -> str | None:
    key = response.json()["fields"]["key"]
    return None if f"/{world.alice.user_id}/" in key else f"presigned under another user: {key}"


def _created_for_alice(world: World, response: Response) -> str | None:
    return None if response.json()["role"] == "owner" else "not created for its caller"


NEW_PASSWORD = PASSWORD + "-and-more"

CASES: dict[tuple[str, str], Case] = {
    # Workspace-scoped routes, aimed at workspace B and its objects: 404 for an outsider.
    ("GET", "/v1/workspaces/{workspace_id}"): _workspace_case(lambda w: Request("GET", _ws(w))),
    ("PATCH", "/v1/workspaces/{workspace_id}"): _workspace_case(
        lambda w: Request("PATCH", _ws(w), {"name": "Owned by Alice"})
    ),
    ("DELETE", "/v1/workspaces/{workspace_id}"): _workspace_case(
        lambda w: Request("DELETE", _ws(w))
    ),
    ("POST", "/v1/workspaces/{workspace_id}/default"): _workspace_case(
        lambda w: Request("POST", f"{_ws(w)}/default")
    ),
    ("GET", "/v1/workspaces/{workspace_id}/members"): _workspace_case(
        lambda w: Request("GET", f"{_ws(w)}/members")
    ),
    ("PATCH", "/v1/workspaces/{workspace_id}/members/{user_id}"): _workspace_case(
        lambda w: Request("PATCH", f"{_ws(w)}/members/{w.mia.user_id}", {"role": "viewer"})
    ),
    ("DELETE", "/v1/workspaces/{workspace_id}/members/{user_id}"): _workspace_case(
        lambda w: Request("DELETE", f"{_ws(w)}/members/{w.mia.user_id}")
    ),
    ("POST", "/v1/workspaces/{workspace_id}/invites"): _workspace_case(
        lambda w: Request("POST", f"{_ws(w)}/invites", {"email": w.alice.email, "role": "owner"})
    ),
    ("GET", "/v1/workspaces/{workspace_id}/invites"): _workspace_case(
        lambda w: Request("GET", f"{_ws(w)}/invites")
    ),
    ("DELETE", "/v1/workspaces/{workspace_id}/invites/{invite_id}"): _workspace_case(
        lambda w: Request("DELETE", f"{_ws(w)}/invites/{w.invite_id}")
    ),
    ("POST", "/v1/workspaces/{workspace_id}/api-keys"): _workspace_case(
        lambda w: Request("POST", f"{_ws(w)}/api-keys", {"name": "Mine", "scopes": ALL_SCOPES})
    ),
    ("GET", "/v1/workspaces/{workspace_id}/api-keys"): _workspace_case(
        lambda w: Request("GET", f"{_ws(w)}/api-keys")
    ),
    ("DELETE", "/v1/workspaces/{workspace_id}/api-keys/{key_id}"): _workspace_case(
        lambda w: Request("DELETE", f"{_ws(w)}/api-keys/{w.key_id}")
    ),
    ("GET", "/v1/workspaces/{workspace_id}/activity"): _workspace_case(
        lambda w: Request("GET", f"{_ws(w)}/activity")
    ),
    # Personal routes naming an object of Bob's: 404 as well.
    ("DELETE", "/v1/auth/sessions/{session_id}"): Case(
        lambda w: Request("DELETE", f"/v1/auth/sessions/{w.bob_session}"),
        404,
        lambda w: f"Session {w.bob_session} was not found.",
    ),
    ("POST", "/v1/me/avatar/{upload_id}/complete"): Case(
        lambda w: Request("POST", f"/v1/me/avatar/{w.upload_id}/complete"),
        404,
        lambda w: (
            f"No avatar upload {w.upload_id} is waiting to be completed: start one with "
            "POST /v1/me/avatar and upload the file to the URL it returns before completing it "
            "(each upload can be completed once)."
        ),
    ),
    # An invitation is named by the secret in its link, not by an id. Even holding Bob's link
    # (a forwarded or intercepted email), Alice cannot join with it: it is bound to its address.
    ("POST", "/v1/invites/{token}/accept"): Case(
        lambda w: Request("POST", f"/v1/invites/{w.invite_token}/accept"),
        403,
        lambda _: "This invitation was sent to another email address; sign in with that address.",
    ),
    # Personal routes naming no object: they act on the caller's own account, never on Bob's.
    ("GET", "/v1/me"): Case(lambda _: Request("GET", "/v1/me"), 200, check=_about_alice_only),
    ("PATCH", "/v1/me"): Case(
        lambda _: Request("PATCH", "/v1/me", {"name": "Alice Again"}),
        200,
        check=_about_alice_only,
    ),
    ("POST", "/v1/me/avatar"): Case(
        lambda _: Request("POST", "/v1/me/avatar", {"content_type": "image/png"}),
        201,
        check=_alice_upload,
    ),
    ("DELETE", "/v1/me/avatar"): Case(lambda _: Request("DELETE", "/v1/me/avatar"), 204),
    ("GET", "/v1/auth/sessions"): Case(
        lambda _: Request("GET", "/v1/auth/sessions"), 200, check=_alice_sessions_only
    ),
    ("GET", "/v1/workspaces"): Case(
        lambda _: Request("GET", "/v1/workspaces"), 200, check=_alice_workspaces_only
    ),
    ("POST", "/v1/workspaces"): Case(
        lambda _: Request("POST", "/v1/workspaces", {"name": "Alice Two"}),
        201,
        check=_created_for_alice,
    ),
    ("POST", "/v1/auth/password/change"): Case(
        lambda _: Request(
            "POST",
            "/v1/auth/password/change",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        ),
        204,
        ends_alice_sessions=True,
    ),
    ("POST", "/v1/auth/logout"): Case(
        lambda _: Request("POST", "/v1/auth/logout"), 204, ends_alice_sessions=True
    ),
    ("POST", "/v1/auth/logout-all"): Case(
        lambda _: Request("POST", "/v1/auth/logout-all"), 204, ends_alice_sessions=True
    ),
}

# The object ids of Bob's that a route takes besides the workspace: aimed at Alice's own
# workspace, they must not be found there either (no id works across workspaces).
CROSSED_IDS: dict[tuple[str, str], Callable[[World], tuple[str, str]]] = {
    ("PATCH", "/v1/workspaces/{workspace_id}/members/{user_id}"): lambda w: (
        f"members/{w.mia.user_id}",
        f"Member {w.mia.user_id} was not found in this workspace.",
    ),
    ("DELETE", "/v1/workspaces/{workspace_id}/members/{user_id}"): lambda w: (
        f"members/{w.mia.user_id}",
        f"Member {w.mia.user_id} was not found in this workspace.",
    ),
    ("DELETE", "/v1/workspaces/{workspace_id}/invites/{invite_id}"): lambda w: (
        f"invites/{w.invite_id}",
        f"Invite {w.invite_id} was not found.",
    ),
    ("DELETE", "/v1/workspaces/{workspace_id}/api-keys/{key_id}"): lambda w: (
        f"api-keys/{w.key_id}",
        f"API key {w.key_id} was not found.",
    ),
}


def test_every_route_has_an_isolation_case() -> None:
    routes = auth_app_routes()

    assert routes - PUBLIC - CASES.keys() == set(), "routes without an isolation case"
    assert (PUBLIC | CASES.keys()) - routes == set(), "cases for routes that no longer exist"
    assert CROSSED_IDS.keys() == {
        (method, path)
        for method, path in CASES
        if path.startswith("/v1/workspaces/{workspace_id}/") and path.count("{") == 2
    }


# The world


def _created(response: Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def build_world(herald: Herald) -> World:
    settings = get_settings()
    s3 = boto3.client("s3", region_name=settings.region)
    s3.create_bucket(Bucket=settings.media_bucket)

    alice = herald.sign_up("alice")
    alice_workspace = herald.create_workspace(alice, "Alice Bakery")["id"]
    bob = herald.sign_up("bob")
    bob_workspace = herald.create_workspace(bob, "Bob Books")["id"]
    mia = herald.sign_up("mia")
    herald.add_member(bob, bob_workspace, mia, "editor")
    invitee = unique_email("ivan")
    invite = _created(
        herald.client.post(
            f"/v1/workspaces/{bob_workspace}/invites",
            json={"email": invitee, "role": "viewer"},
            headers=bob.headers,
        )
    )
    bob_key = herald.created_api_key(bob, bob_workspace, ALL_SCOPES)
    upload = _created(
        herald.client.post("/v1/me/avatar", json={"content_type": "image/png"}, headers=bob.headers)
    )
    s3.put_object(
        Bucket=settings.media_bucket, Key=upload["fields"]["key"], Body=b"\x89PNG not really"
    )
    return World(
        alice=alice,
        alice_workspace=alice_workspace,
        alice_key=herald.create_api_key(alice, alice_workspace, ALL_SCOPES),
        bob=bob,
        bob_session=token_claims(bob.access_token)["sid"],
        bob_workspace=bob_workspace,
        mia=mia,
        invite_id=invite["id"],
        invite_token=link_token(emails_to(invitee)[-1]),
        key_id=bob_key["id"],
        key=bob_key["key"],
        upload_id=upload["upload_id"],
        upload_key=upload["fields"]["key"],
    )


def bobs_items(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    """Every table item of Bob's, Mia's and workspace B's, exactly as stored."""
    table = boto3.resource("dynamodb", region_name=get_settings().region).Table(
        get_settings().table_name
    )
    partitions = {
        f"WS#{world.bob_workspace}",
        f"USER#{world.bob.user_id}",
        f"USER#{world.mia.user_id}",
        f"EMAIL#{world.bob.email}",
        f"EMAIL#{world.mia.email}",
        f"APIKEY#{digest(world.key)}",
        f"INVITE#{digest(world.invite_token)}",
    }
    items: list[dict[str, Any]] = []
    scan: dict[str, Any] = {"ConsistentRead": True}
    while True:
        page = table.scan(**scan)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return {
        (item["PK"], item["SK"]): item
        for item in items
        if item["PK"] in partitions or item.get("workspace_id") == world.bob_workspace
    }


def _detail(response: Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("detail") if isinstance(body, dict) else None


def _outcome(response: Response) -> str:
    return f"{response.status_code} {_detail(response)!r}"


def _judge(world: World, case: Case, response: Response) -> str | None:
    if response.status_code != case.status:
        return f"got {_outcome(response)}, expected {case.status}"
    if case.detail is not None and _detail(response) != case.detail(world):
        return f"got {_outcome(response)}, expected detail {case.detail(world)!r}"
    if case.check is not None:
        return case.check(world, response)
    return None


def bad_tokens(herald: Herald, world: World) -> dict[str, tuple[str | None, str]]:
    """Each kind of bad token, the forged ones all claiming Bob's live session."""
    now = int(datetime.now(UTC).timestamp())
    alice_sid = token_claims(world.alice.access_token)["sid"]
    as_bob = herald_claims(world.bob.user_id, world.bob_session)
    revoked = herald.login(world.alice.email)
    assert herald.client.post("/v1/auth/logout", headers=revoked.headers).status_code == 204
    return {
        "missing": (None, MISSING),
        "expired": (
            herald_signed(
                herald_claims(world.alice.user_id, alice_sid, iat=now - 1200, exp=now - 300)
            ),
            EXPIRED,
        ),
        "tampered (Alice's token made Bob's)": (
            tampered(world.alice.access_token, sub=world.bob.user_id, sid=world.bob_session),
            INVALID,
        ),
        "alg none": (unsigned(herald_signed(as_bob)), WRONG_ALGORITHM),
        "HS256 keyed with the public key": (
            hmac_keyed_with_public_key(herald_signed(as_bob)),
            WRONG_ALGORITHM,
        ),
        "wrong kid": (foreign_signed(as_bob, "someone-elses-key"), UNKNOWN_KEY),
        "foreign key under Herald's kid": (foreign_signed(as_bob, herald_kid()), INVALID),
        "revoked": (revoked.access_token, SESSION_ENDED),
    }


def test_an_outsider_reaches_nothing_of_another_workspace_on_any_route(herald: Herald) -> None:
    world = build_world(herald)
    before = bobs_items(world)
    failures: list[str] = []

    # 1. Alice aims every route at Bob's objects, with her token and then with her workspace's
    #    API key, which is no better: another workspace is not found, and personal routes are
    #    for people.
    for (method, path), case in CASES.items():
        request = case.request(world)
        if not case.ends_alice_sessions:
            response = send(herald, request, world.alice.access_token)
            if problem := _judge(world, case, response):
                failures.append(f"Alice {method} {path}: {problem}")
        workspace_scoped = case.status == 404 and path.startswith("/v1/workspaces/")
        key_expected = (404, _workspace_gone(world)) if workspace_scoped else (403, USERS_ONLY)
        response = send(herald, request, world.alice_key)
        if (response.status_code, _detail(response)) != key_expected:
            failures.append(f"Alice's key {method} {path}: got {_outcome(response)}")

    # 2. Bob's member, invite and API key ids, aimed at Alice's own workspace, are not found.
    for (method, path), crossed in CROSSED_IDS.items():
        suffix, detail = crossed(world)
        url = f"/v1/workspaces/{world.alice_workspace}/{suffix}"
        request = Request(method, url, CASES[method, path].request(world).body)
        response = send(herald, request, world.alice.access_token)
        if (response.status_code, _detail(response)) != (404, detail):
            failures.append(f"Alice {method} {url} (Bob's id): got {_outcome(response)}")

    # 3. Every protected route refuses every bad token with 401 and a Bearer challenge
    #    (RFC 6750 section 3; RFC 8725 sections 2.1 and 3.1).
    for kind, (token, detail) in bad_tokens(herald, world).items():
        for (method, path), case in CASES.items():
            response = send(herald, case.request(world), token)
            challenge = response.headers.get("www-authenticate", "")
            refused = (response.status_code, _detail(response)) == (401, detail)
            challenged = challenge.split(" ")[0] == "Bearer" and (
                token is None or challenge == INVALID_TOKEN_CHALLENGE
            )
            if not (refused and challenged):
                failures.append(f"{kind} token, {method} {path}: got {_outcome(response)}")

    # 4. The routes that end sessions end only Alice's: each runs in a new session of hers.
    password = PASSWORD
    for (method, path), case in CASES.items():
        if case.ends_alice_sessions:
            session = herald.login(world.alice.email, password)
            response = send(herald, case.request(world), session.access_token)
            if problem := _judge(world, case, response):
                failures.append(f"Alice {method} {path}: {problem}")
            if path == "/v1/auth/password/change" and response.status_code == 204:
                password = NEW_PASSWORD

    assert failures == [], "\n".join(failures)
    # Nothing of Bob's changed: not one attribute of one item, nor his upload.
    assert bobs_items(world) == before
    s3 = boto3.client("s3", region_name=get_settings().region)
    assert s3.head_object(Bucket=get_settings().media_bucket, Key=world.upload_key)
    # And Bob, Mia and Bob's key still get in.
    assert herald.client.get("/v1/me", headers=world.bob.headers).status_code == 200
    assert herald.client.get("/v1/me", headers=world.mia.headers).status_code == 200
    keyed = herald.client.get(
        f"/v1/workspaces/{world.bob_workspace}", headers={"Authorization": f"Bearer {world.key}"}
    )
    assert (keyed.status_code, keyed.json()["id"]) == (200, world.bob_workspace)


def test_public_routes_need_no_token(herald: Herald) -> None:
    """The routes listed as public answer without a token (never 401), so the list is honest."""
    answers = {
        (method, path): herald.client.request(
            method, path, json={} if method == "POST" else None
        ).status_code
        for method, path in sorted(PUBLIC)
    }

    assert {route for route, status in answers.items() if status == 401} == set(), answers
