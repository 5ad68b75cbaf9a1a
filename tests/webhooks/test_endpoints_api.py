"""The endpoints API: managing endpoints, URL rules, secrets and rotation, test sends, manual
retries and replays, roles and API-key scopes, and tenant isolation on every route.

Signatures are checked with the Standard Webhooks reference library `standardwebhooks`
(https://www.standardwebhooks.com/); isolation follows DESIGN section 3 (another workspace's
objects answer 404) like tests/publish/test_posts_isolation.py.
"""

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
import time_machine
from fastapi.routing import iter_route_contexts
from standardwebhooks.webhooks import Webhook
from ulid import ULID

from functions.webhooks.app import app
from tests.support.snapshots import workspace_items
from tests.webhooks.hooks_world import Hooks, envelope, pinned

URL = "https://hooks.example.com/herald"


def test_endpoints_are_created_listed_edited_and_deleted(hooks: Hooks) -> None:
    created = hooks.create_endpoint(URL, description="Orders", event_types=["post.failed"])
    assert created["secret"].startswith("whsec_")
    assert 24 <= len(base64.b64decode(created["secret"].removeprefix("whsec_"))) <= 64
    assert (created["url"], created["event_types"], created["enabled"]) == (
        URL,
        ["post.failed"],
        True,
    )
    second = hooks.create_endpoint("https://other.example.com/x")
    assert second["event_types"] == "all"
    listed = hooks.client.get("/v1/webhooks/endpoints", params={"limit": 1}, headers=hooks.headers)
    rest = hooks.client.get(
        "/v1/webhooks/endpoints",
        params={"cursor": listed.json()["next_cursor"]},
        headers=hooks.headers,
    )
    ids = [e["id"] for e in listed.json()["items"] + rest.json()["items"]]
    assert ids == [created["id"], second["id"]]
    assert all("secret" not in e for e in listed.json()["items"] + rest.json()["items"])

    patched = hooks.client.patch(
        f"/v1/webhooks/endpoints/{created['id']}",
        json={"event_types": "all", "enabled": False, "description": "All"},
        headers=hooks.headers,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["event_types"], patched.json()["enabled"]) == ("all", False)
    deleted = hooks.client.delete(f"/v1/webhooks/endpoints/{created['id']}", headers=hooks.headers)
    assert deleted.status_code == 204
    gone = hooks.client.get(f"/v1/webhooks/endpoints/{created['id']}", headers=hooks.headers)
    assert gone.status_code == 404
    assert gone.json()["detail"] == f"Webhook endpoint {created['id']} was not found."


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/x", "only https"),
        ("https://hooks.example.com:8443/x", "standard https port"),
        ("https://user:pw@hooks.example.com/x", "user name or password"),
        ("https://10.0.0.7/x", "private network"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://127.0.0.1/x", "loopback"),
        ("http://127.0.0.1:9000/x", "only https"),  # local http needs the local-mode setting
        ("https://nowhere.example.com/x", "could not be found"),
    ],
)
def test_urls_that_could_reach_herald_s_network_are_refused(
    hooks: Hooks, url: str, reason: str
) -> None:
    response = hooks.client.post("/v1/webhooks/endpoints", json={"url": url}, headers=hooks.headers)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/body/url", "url_refused")
    assert reason in error["detail"]


def test_unknown_event_types_and_too_many_endpoints_are_refused(hooks: Hooks) -> None:
    from functions.webhooks.domain.endpoints import MAX_ENDPOINTS_PER_WORKSPACE

    unknown = hooks.client.post(
        "/v1/webhooks/endpoints",
        json={"url": URL, "event_types": ["post.exploded"]},
        headers=hooks.headers,
    )
    assert unknown.status_code == 422
    for _ in range(MAX_ENDPOINTS_PER_WORKSPACE):
        hooks.create_endpoint(URL)
    one_more = hooks.client.post("/v1/webhooks/endpoints", json={"url": URL}, headers=hooks.headers)
    assert one_more.status_code == 409


def test_after_a_rotation_both_secrets_sign_for_24_hours(hooks: Hooks) -> None:
    endpoint = hooks.create_endpoint(URL)
    rotated = hooks.client.post(
        f"/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret", headers=hooks.headers
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"]
    with respx.mock() as web:
        route = web.post(pinned(URL)).respond(200)
        hooks.publish(envelope(hooks.workspace_id))
        hooks.pump()
        with time_machine.travel(datetime.now(UTC) + timedelta(hours=24, seconds=5)):
            hooks.publish(envelope(hooks.workspace_id))
            hooks.pump()
    during, after = (call.request for call in route.calls)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint["secret"], new_secret):
        Webhook(secret).verify(during.content, dict(during.headers))
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    with time_machine.travel(datetime.fromtimestamp(int(after.headers["webhook-timestamp"]), UTC)):
        Webhook(new_secret).verify(after.content, dict(after.headers))


def test_a_test_event_goes_to_that_endpoint_only(hooks: Hooks) -> None:
    endpoint = hooks.create_endpoint(URL)
    hooks.create_endpoint("https://other.example.com/x")
    with respx.mock(assert_all_called=False) as web:
        route = web.post(pinned(URL)).respond(200)
        other = web.post(pinned("https://other.example.com/x")).respond(200)
        sent = hooks.client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/test", headers=hooks.headers
        )
        assert sent.status_code == 202, sent.text
        hooks.pump()
    assert (route.call_count, other.call_count) == (1, 0)
    payload = Webhook(endpoint["secret"]).verify(
        route.calls[0].request.content, dict(route.calls[0].request.headers)
    )
    assert payload["type"] == "webhook.test"
    assert payload["data"]["workspace_id"] == hooks.workspace_id
    assert hooks.deliveries(endpoint["id"])[0]["status"] == "delivered"


def test_a_manual_retry_keeps_the_webhook_id(hooks: Hooks) -> None:
    endpoint = hooks.create_endpoint(URL)
    event = envelope(hooks.workspace_id)
    with respx.mock() as web:
        route = web.post(pinned(URL))
        route.side_effect = [httpx.Response(400), httpx.Response(200)]
        hooks.publish(event)
        hooks.pump()
        (failed,) = hooks.deliveries(endpoint["id"])
        assert failed["status"] == "failed"
        retried = hooks.client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries/{failed['id']}/retry",
            headers=hooks.headers,
        )
        assert retried.status_code == 202, retried.text
        hooks.pump()
    assert [call.request.headers["webhook-id"] for call in route.calls] == [event["id"]] * 2
    (delivery,) = hooks.deliveries(endpoint["id"])
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 2)


def test_a_replay_resends_the_subscribed_events_since_a_time(hooks: Hooks) -> None:
    start = datetime.now(UTC)
    with time_machine.travel(start - timedelta(hours=2), tick=False):
        old = envelope(hooks.workspace_id)
    hooks.create_endpoint("https://other.example.com/x")  # was there all along
    hooks.publish(old)
    recent = [envelope(hooks.workspace_id), envelope(hooks.workspace_id, "media.job.failed")]
    for event in recent:
        hooks.publish(event)
    hooks.queued()
    endpoint = hooks.create_endpoint(URL, event_types=["post.published"])  # came later
    since = (start - timedelta(minutes=1)).isoformat()
    with respx.mock() as web:
        route = web.post(pinned(URL)).respond(200)
        replayed = hooks.client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/replay",
            json={"since": since},
            headers=hooks.headers,
        )
        assert replayed.status_code == 202, replayed.text
        assert replayed.json() == {"queued": 1, "resume_since": None}
        hooks.pump()
    assert [call.request.headers["webhook-id"] for call in route.calls] == [recent[0]["id"]]
    no_offset = hooks.client.post(
        f"/v1/webhooks/endpoints/{endpoint['id']}/replay",
        json={"since": "2030-01-01T00:00:00"},
        headers=hooks.headers,
    )
    assert no_offset.status_code == 422


def test_admins_and_keys_with_the_webhooks_scopes_manage_endpoints(hooks: Hooks) -> None:
    body = {"url": URL}
    for role, status in (("viewer", 403), ("editor", 403), ("admin", 201)):
        headers = hooks.as_member(role)
        created = hooks.client.post("/v1/webhooks/endpoints", json=body, headers=headers)
        assert created.status_code == status, (role, created.text)
        listed = hooks.client.get("/v1/webhooks/endpoints", headers=headers)
        assert listed.status_code == (200 if status == 201 else 403)
    reader = hooks.herald.create_api_key(hooks.owner, hooks.workspace_id, ["webhooks:read"])
    writer = hooks.herald.create_api_key(
        hooks.owner, hooks.workspace_id, ["webhooks:read", "webhooks:write"]
    )
    posts = hooks.herald.create_api_key(hooks.owner, hooks.workspace_id, ["posts:write"])
    bearer = {key: {"Authorization": f"Bearer {key}"} for key in (reader, writer, posts)}
    assert hooks.client.get("/v1/webhooks/endpoints", headers=bearer[reader]).status_code == 200
    assert (
        hooks.client.post("/v1/webhooks/endpoints", json=body, headers=bearer[reader]).status_code
        == 403
    )
    assert (
        hooks.client.post("/v1/webhooks/endpoints", json=body, headers=bearer[writer]).status_code
        == 201
    )
    assert hooks.client.get("/v1/webhooks/endpoints", headers=bearer[posts]).status_code == 403


def _routes() -> set[tuple[str, str]]:
    """(method, path) of every route of the endpoints API, as the webhooks app has them."""
    return {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        for method in route.methods or ()
        if route.path is not None and route.path.startswith("/v1/webhooks/endpoints")
    }


def _requests(endpoint: str, delivery: str) -> dict[tuple[str, str], tuple[str, Any]]:
    base = f"/v1/webhooks/endpoints/{endpoint}"
    return {
        ("GET", "/v1/webhooks/endpoints/{endpoint_id}"): (base, None),
        ("PATCH", "/v1/webhooks/endpoints/{endpoint_id}"): (base, {"enabled": False}),
        ("DELETE", "/v1/webhooks/endpoints/{endpoint_id}"): (base, None),
        ("POST", "/v1/webhooks/endpoints/{endpoint_id}/rotate-secret"): (
            f"{base}/rotate-secret",
            None,
        ),
        ("POST", "/v1/webhooks/endpoints/{endpoint_id}/test"): (f"{base}/test", None),
        ("GET", "/v1/webhooks/endpoints/{endpoint_id}/deliveries"): (f"{base}/deliveries", None),
        ("POST", "/v1/webhooks/endpoints/{endpoint_id}/deliveries/{delivery_id}/retry"): (
            f"{base}/deliveries/{delivery}/retry",
            None,
        ),
        ("POST", "/v1/webhooks/endpoints/{endpoint_id}/replay"): (
            f"{base}/replay",
            {"since": "2020-01-01T00:00:00Z"},
        ),
    }


def test_another_workspace_gets_404_on_every_route_and_changes_nothing(hooks: Hooks) -> None:
    bob_endpoint = hooks.create_endpoint(URL)
    with respx.mock() as web:
        web.post(pinned(URL)).respond(400)
        hooks.publish(envelope(hooks.workspace_id))
        hooks.pump()
    (bob_delivery,) = hooks.deliveries(bob_endpoint["id"])
    alice = hooks.herald.sign_up("alice")
    alice_workspace = hooks.herald.create_workspace(alice, name="Alice's")["id"]
    alice_headers = alice.headers | {"X-Workspace-Id": alice_workspace}
    before = workspace_items(hooks.workspace_id)

    requests = _requests(bob_endpoint["id"], bob_delivery["id"])
    for_collection = {
        ("GET", "/v1/webhooks/endpoints"): ("/v1/webhooks/endpoints", None),
        ("POST", "/v1/webhooks/endpoints"): ("/v1/webhooks/endpoints", {"url": URL}),
    }
    assert set(requests) | set(for_collection) == _routes()
    for (method, _), (url, body) in requests.items():
        answer = hooks.client.request(method, url, json=body, headers=alice_headers)
        assert answer.status_code == 404, (method, url, answer.text)
        assert answer.json()["detail"] == f"Webhook endpoint {bob_endpoint['id']} was not found."
    # Naming Bob's workspace gets 404 for the workspace itself.
    for (method, _), (url, body) in (requests | for_collection).items():
        answer = hooks.client.request(
            method, url, json=body, headers=alice.headers | {"X-Workspace-Id": hooks.workspace_id}
        )
        assert answer.status_code == 404, (method, url)
        assert answer.json()["detail"] == f"Workspace {hooks.workspace_id} was not found."
    listed = hooks.client.get("/v1/webhooks/endpoints", headers=alice_headers)
    assert listed.json()["items"] == []
    assert workspace_items(hooks.workspace_id) == before
    unknown = hooks.client.get(f"/v1/webhooks/endpoints/{ULID()}", headers=hooks.headers)
    assert unknown.status_code == 404
