"""Tenant isolation across every route of posts and templates.

Bob's workspace holds a scheduled post, a template, a sandbox account with its own queue slots,
a library asset and approval turned on. Alice, owner of another workspace, aims every route at
it: naming Bob's workspace (with her token, and with her workspace's API key) she gets 404 for the
workspace; in her own workspace, Bob's post, template and account ids are not found either, and
routes naming no object answer about her workspace only. Afterwards not one of Bob's items or
schedules has changed. Routes are found by walking the publish app, so a new route under
/v1/posts or /v1/templates without a case here fails `test_every_route_has_an_isolation_case`.

OWASP API Security Top 10 (2023) API1, Broken Object Level Authorization; DESIGN section 3: a
request for another workspace's object answers 404, never 403.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from httpx import Response

from functions.shared.access import Scope
from functions.shared.settings import get_settings
from tests.publish.posts_world import post_routes
from tests.publish.studio import Studio
from tests.support.snapshots import workspace_items


@dataclass
class World:
    alice_headers: dict[str, str]  # Alice's token, her own workspace named
    alice_key: str
    alice_workspace: str
    alice_post: str
    bob_workspace: str
    bob_post: str
    bob_template: str
    bob_account: str
    bob_asset: str


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    body: Any = None
    csv: str | None = None


Check = Callable[[World, Response], str | None]


@dataclass(frozen=True)
class Case:
    """The request aimed at Bob's objects from Alice's own workspace, and what she must get."""

    request: Callable[[World], Request]
    status: int
    detail: Callable[[World], str] | None = None
    check: Check | None = None


def _later() -> str:
    return (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0).isoformat()


def _post_not_found(world: World) -> str:
    return f"Post {world.bob_post} was not found."


def _template_not_found(world: World) -> str:
    return f"Template {world.bob_template} was not found."


def _account_not_found(world: World) -> str:
    return f"Account {world.bob_account} was not found."


def _bobs_post(path: str = "", body: Any = None, method: str = "POST") -> Case:
    return Case(
        lambda w: Request(method, f"/v1/posts/{w.bob_post}{path}", body), 404, _post_not_found
    )


def _bobs_template(path: str = "", body: Any = None, method: str = "GET") -> Case:
    return Case(
        lambda w: Request(method, f"/v1/templates/{w.bob_template}{path}", body),
        404,
        _template_not_found,
    )


def _no_bob_posts(world: World, response: Response) -> str | None:
    ids = {post["id"] for post in response.json()["items"]}
    return f"lists Bob's post: {ids}" if world.bob_post in ids else None


def _no_bob_templates(world: World, response: Response) -> str | None:
    ids = {template["id"] for template in response.json()["items"]}
    return f"lists Bob's template: {ids}" if world.bob_template in ids else None


def _bob_s_account_and_media_unknown(world: World, response: Response) -> str | None:
    checked = response.json()["preflight"]
    (target,) = checked["targets"]
    codes = [problem["code"] for problem in target["problems"]]
    return None if codes == ["account_not_found"] else f"preflight saw Bob's account: {codes}"


def _alice_s_own_setting(world: World, response: Response) -> str | None:
    return (
        None
        if response.json() == {"approval_required": False, "tracked_links": False}
        else "shows Bob's setting"
    )


def _bulk_row_unknown_account(world: World, response: Response) -> str | None:
    (row,) = response.json()["rows"]
    codes = [problem["code"] for problem in row["problems"]]
    return None if codes == ["account_not_found"] else f"row: {row}"


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/v1/posts"): Case(lambda w: Request("GET", "/v1/posts"), 200, check=_no_bob_posts),
    ("POST", "/v1/posts"): Case(
        lambda w: Request(
            "POST",
            "/v1/posts",
            {"text": "Mine", "targets": [{"account_id": w.bob_account, "media": [w.bob_asset]}]},
        ),
        201,
        check=_bob_s_account_and_media_unknown,
    ),
    ("GET", "/v1/posts/calendar"): Case(
        lambda w: Request(
            "GET", "/v1/posts/calendar?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z"
        ),
        200,
        check=_no_bob_posts,
    ),
    ("GET", "/v1/posts/settings"): Case(
        lambda w: Request("GET", "/v1/posts/settings"), 200, check=_alice_s_own_setting
    ),
    ("PUT", "/v1/posts/settings"): Case(
        lambda w: Request("PUT", "/v1/posts/settings", {"approval_required": False}),
        200,
        check=_alice_s_own_setting,
    ),
    ("GET", "/v1/posts/queue/slots"): Case(
        lambda w: Request("GET", f"/v1/posts/queue/slots?account_id={w.bob_account}"),
        404,
        _account_not_found,
    ),
    ("PUT", "/v1/posts/queue/slots"): Case(
        lambda w: Request(
            "PUT", f"/v1/posts/queue/slots?account_id={w.bob_account}", {"slots": []}
        ),
        404,
        _account_not_found,
    ),
    ("POST", "/v1/posts/queue/slots/best-times"): Case(
        lambda w: Request(
            "POST", "/v1/posts/queue/slots/best-times", {"account_id": w.bob_account}
        ),
        404,
        _account_not_found,
    ),
    ("POST", "/v1/posts/bulk"): Case(
        lambda w: Request(
            "POST", "/v1/posts/bulk", csv=f"text,accounts,at\nMine,{w.bob_account},{_later()}\n"
        ),
        200,
        check=_bulk_row_unknown_account,
    ),
    ("GET", "/v1/posts/{post_id}"): _bobs_post(method="GET"),
    ("PATCH", "/v1/posts/{post_id}"): _bobs_post(body={"text": "Mine now"}, method="PATCH"),
    ("DELETE", "/v1/posts/{post_id}"): _bobs_post(method="DELETE"),
    ("POST", "/v1/posts/{post_id}/duplicate"): _bobs_post("/duplicate"),
    ("GET", "/v1/posts/{post_id}/versions"): _bobs_post("/versions", method="GET"),
    ("POST", "/v1/posts/{post_id}/validate"): _bobs_post("/validate"),
    ("POST", "/v1/posts/{post_id}/schedule"): _bobs_post("/schedule", {"at": _later()}),
    ("DELETE", "/v1/posts/{post_id}/schedule"): _bobs_post("/schedule", method="DELETE"),
    ("POST", "/v1/posts/{post_id}/publish"): _bobs_post("/publish"),
    ("POST", "/v1/posts/{post_id}/queue"): _bobs_post("/queue"),
    ("POST", "/v1/posts/{post_id}/retry"): _bobs_post("/retry"),
    ("POST", "/v1/posts/{post_id}/submit"): _bobs_post("/submit"),
    ("POST", "/v1/posts/{post_id}/approve"): _bobs_post("/approve"),
    ("POST", "/v1/posts/{post_id}/reject"): _bobs_post("/reject", {"comment": "No"}),
    ("GET", "/v1/templates"): Case(
        lambda w: Request("GET", "/v1/templates"), 200, check=_no_bob_templates
    ),
    ("POST", "/v1/templates"): Case(
        lambda w: Request(
            "POST",
            "/v1/templates",
            {"name": "Mine", "content": {"targets": [{"account_id": w.bob_account}]}},
        ),
        201,
    ),
    ("GET", "/v1/templates/{template_id}"): _bobs_template(),
    ("PATCH", "/v1/templates/{template_id}"): _bobs_template(body={"name": "Mine"}, method="PATCH"),
    ("DELETE", "/v1/templates/{template_id}"): _bobs_template(method="DELETE"),
    ("POST", "/v1/templates/{template_id}/use"): _bobs_template("/use", method="POST"),
}


def test_every_route_has_an_isolation_case() -> None:
    routes = post_routes()

    assert routes - CASES.keys() == set(), "routes without an isolation case"
    assert CASES.keys() - routes == set(), "cases for routes that no longer exist"


def build_world(studio: Studio) -> World:
    """Bob is the studio's owner; Alice signs up with a workspace of her own."""
    bob_account = studio.sandbox("Bob's account")
    bob_asset = studio.asset(width=1080, height=1080)
    bob_post = studio.create(text="Bob's news", targets=[{"account_id": bob_account}])["id"]
    studio.schedule(bob_post, _later())
    template = studio.client.post(
        "/v1/templates", json={"name": "Bob's", "content": {"text": "Hi"}}, headers=studio.headers
    )
    slots = studio.client.put(
        f"/v1/posts/queue/slots?account_id={bob_account}",
        json={"slots": [{"weekday": 0, "time": "09:00"}]},
        headers=studio.headers,
    )
    settings = studio.client.put(
        "/v1/posts/settings", json={"approval_required": True}, headers=studio.headers
    )
    assert (template.status_code, slots.status_code, settings.status_code) == (201, 200, 200)

    herald = studio.herald
    alice = herald.sign_up("alice")
    alice_workspace = herald.create_workspace(alice, "Alice Bakery")["id"]
    alice_headers = alice.headers | {"X-Workspace-Id": alice_workspace}
    key = herald.client.post(
        f"/v1/workspaces/{alice_workspace}/api-keys",
        json={"name": "Alice's bot", "scopes": [scope.value for scope in Scope]},
        headers=alice.headers,
    )
    assert key.status_code == 201, key.text
    alice_post = studio.client.post("/v1/posts", json={"text": "Alice's"}, headers=alice_headers)
    assert alice_post.status_code == 201, alice_post.text
    return World(
        alice_headers=alice_headers,
        alice_key=key.json()["key"],
        alice_workspace=alice_workspace,
        alice_post=alice_post.json()["id"],
        bob_workspace=studio.workspace_id,
        bob_post=bob_post,
        bob_template=template.json()["id"],
        bob_account=bob_account,
        bob_asset=bob_asset,
    )


def bobs_state(world: World) -> tuple[dict[tuple[str, str], Any], list[dict[str, Any]]]:
    """Every item of Bob's workspace partition, exactly as stored, and the schedules."""
    settings = get_settings()
    scheduler = boto3.client("scheduler", region_name=settings.region)
    schedules: list[dict[str, Any]] = []
    for entry in scheduler.list_schedules(GroupName=settings.schedule_group)["Schedules"]:
        stored = scheduler.get_schedule(Name=entry["Name"], GroupName=settings.schedule_group)
        schedules.append({key: value for key, value in stored.items() if key != "ResponseMetadata"})
    return workspace_items(world.bob_workspace), schedules


def send(studio: Studio, request: Request, headers: dict[str, str]) -> Response:
    if request.csv is not None:
        response: Response = studio.client.post(
            request.url,
            content=request.csv.encode(),
            headers=headers | {"Content-Type": "text/csv"},
        )
        return response
    answer: Response = studio.client.request(
        request.method, request.url, json=request.body, headers=headers
    )
    return answer


def _detail(response: Response) -> object:
    try:
        return response.json().get("detail")
    except (ValueError, AttributeError):
        return None


def test_an_outsider_reaches_nothing_of_another_workspace_on_any_route(studio: Studio) -> None:
    world = build_world(studio)
    before = bobs_state(world)
    failures: list[str] = []
    workspace_gone = f"Workspace {world.bob_workspace} was not found."
    alice_in_bobs = world.alice_headers | {"X-Workspace-Id": world.bob_workspace}
    key_in_bobs = {
        "Authorization": f"Bearer {world.alice_key}",
        "X-Workspace-Id": world.bob_workspace,
    }

    for (method, path), case in CASES.items():
        request = case.request(world)
        # 1. Naming Bob's workspace, with her token or her key: the workspace is not found.
        for who, headers in (("Alice", alice_in_bobs), ("Alice's key", key_in_bobs)):
            response = send(studio, request, headers)
            if (response.status_code, _detail(response)) != (404, workspace_gone):
                failures.append(
                    f"{who} in Bob's workspace, {method} {path}: "
                    f"{response.status_code} {_detail(response)!r}"
                )
        # 2. In her own workspace, aimed at Bob's objects.
        response = send(studio, request, world.alice_headers)
        if response.status_code != case.status:
            failures.append(
                f"Alice {method} {path}: {response.status_code} {_detail(response)!r}, "
                f"expected {case.status}"
            )
        elif case.detail is not None and _detail(response) != case.detail(world):
            failures.append(f"Alice {method} {path}: detail {_detail(response)!r}")
        elif case.check is not None and (problem := case.check(world, response)):
            failures.append(f"Alice {method} {path}: {problem}")

    # Her own post, queued on Bob's account's slots.
    queued = studio.client.post(
        f"/v1/posts/{world.alice_post}/queue",
        json={"account_id": world.bob_account},
        headers=world.alice_headers,
    )
    if (queued.status_code, _detail(queued)) != (404, _account_not_found(world)):
        failures.append(f"Alice queues on Bob's account: {queued.status_code} {queued.text}")

    assert failures == [], "\n".join(failures)
    after = bobs_state(world)
    assert after[0] == before[0], "an item of Bob's workspace changed"
    assert json.dumps(after[1], default=str) == json.dumps(before[1], default=str)
