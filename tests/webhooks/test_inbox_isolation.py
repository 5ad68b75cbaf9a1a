"""Tenant isolation across every inbox route: Alice, owner of another workspace, aims each one
at Bob's inbox item and saved reply, from her own workspace and naming Bob's; every answer is
404 and not one of Bob's items changes (OWASP API1; DESIGN section 3)."""

from typing import Any

from fastapi.routing import APIRoute

from functions.webhooks.app import app
from tests.support.snapshots import workspace_items
from tests.webhooks.inbox_world import Inbox, inbox

__all__ = ["inbox"]


def requests(item: str, saved: str) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"/v1/inbox/{item}", None),
        ("PATCH", f"/v1/inbox/{item}", {"assignee": None}),
        ("POST", f"/v1/inbox/{item}/read", None),
        ("POST", f"/v1/inbox/{item}/unread", None),
        ("POST", f"/v1/inbox/{item}/reply", {"text": "Hello"}),
        ("POST", f"/v1/inbox/{item}/hide", None),
        ("POST", f"/v1/inbox/{item}/unhide", None),
        ("DELETE", f"/v1/inbox/{item}", None),
        ("GET", f"/v1/inbox/saved-replies/{saved}", None),
        ("PATCH", f"/v1/inbox/saved-replies/{saved}", {"title": "Mine now"}),
        ("DELETE", f"/v1/inbox/saved-replies/{saved}", None),
    ]


def test_every_inbox_route_answers_404_across_workspaces(inbox: Inbox) -> None:
    bob = inbox.hooks
    bob_item = inbox.arrive(text="Bob's customer asks")
    saved = inbox.client.post(
        "/v1/inbox/saved-replies", json={"title": "Hours", "text": "7 to 6"}, headers=bob.headers
    )
    bob_saved = saved.json()["id"]
    alice = bob.herald.sign_up("alice")
    alice_workspace = bob.herald.create_workspace(alice, "Alice Bakery")["id"]
    alice_own = alice.headers | {"X-Workspace-Id": alice_workspace}
    alice_in_bob = alice.headers | {"X-Workspace-Id": bob.workspace_id}
    before = workspace_items(bob.workspace_id)

    for method, path, body in requests(bob_item, bob_saved):
        for headers in (alice_own, alice_in_bob):
            response = inbox.client.request(method, path, json=body, headers=headers)
            assert response.status_code == 404, (method, path, response.text)
    bulk = {"action": "read", "item_ids": [bob_item]}
    answered = inbox.client.post("/v1/inbox/bulk", json=bulk, headers=alice_own)
    assert [r["status"] for r in answered.json()["results"]] == [404]
    assert inbox.client.post("/v1/inbox/bulk", json=bulk, headers=alice_in_bob).status_code == 404
    for path in ("/v1/inbox", "/v1/inbox/saved-replies"):
        assert inbox.client.get(path, headers=alice_own).json()["items"] == []
        assert inbox.client.get(path, headers=alice_in_bob).status_code == 404

    assert workspace_items(bob.workspace_id) == before
    assert inbox.calls == []


def test_every_inbox_route_has_an_isolation_case() -> None:
    covered = {
        (m, p.replace("ITEM", "{item_id}").replace("SAVED", "{saved_reply_id}"))
        for m, p, _ in requests("ITEM", "SAVED")
    }
    covered |= {
        ("POST", "/v1/inbox/bulk"),
        ("GET", "/v1/inbox"),
        ("GET", "/v1/inbox/saved-replies"),
        ("POST", "/v1/inbox/saved-replies"),
    }
    routes = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith("/v1/inbox")
        for method in route.methods or ()
    }
    assert routes <= covered
