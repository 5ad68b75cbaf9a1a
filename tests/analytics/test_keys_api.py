"""Tracking keys: who manages them (admins and owners, never API keys), what they look like, and
isolation between workspaces (another workspace's key answers 404, DESIGN section 3), and their
lookups gone with a deleted workspace."""

import pytest

from functions.shared.auth import digest
from functions.shared.tracking_keys import TrackingKeyLookupItem
from tests.analytics.tracking_world import SITE, Tracking, event


def test_admins_create_list_and_revoke_keys_whose_secret_is_shown_once(tracking: Tracking) -> None:
    write = tracking.create_key("write")
    server = tracking.create_key("server")
    assert write["key"].startswith("hwk_")
    assert server["key"].startswith("hsk_")
    assert write["allowed_origins"] == [SITE]
    assert server["allowed_origins"] == []
    assert write["hint"] == write["key"][:10]
    first = tracking.client.get("/v1/analytics/keys", params={"limit": 1}, headers=tracking.headers)
    rest = tracking.client.get(
        "/v1/analytics/keys",
        params={"cursor": first.json()["next_cursor"]},
        headers=tracking.headers,
    )
    listed = first.json()["items"] + rest.json()["items"]
    assert [k["id"] for k in listed] == [write["id"], server["id"]]
    assert all("key" not in k for k in listed)

    revoked = tracking.client.delete(f"/v1/analytics/keys/{write['id']}", headers=tracking.headers)
    assert revoked.status_code == 204
    refused = tracking.send(write["key"], [event()])
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    again = tracking.client.delete(f"/v1/analytics/keys/{write['id']}", headers=tracking.headers)
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": "Site", "kind": "write"}, "/body"),
        ({"name": "Site", "kind": "server", "allowed_origins": [SITE]}, "/body"),
        (
            {"name": "Site", "kind": "write", "allowed_origins": ["https://shop.example/path"]},
            "/body/allowed_origins/0",
        ),
        (
            {"name": "Site", "kind": "write", "allowed_origins": ["javascript:alert(1)"]},
            "/body/allowed_origins/0",
        ),
        ({"name": "Site", "kind": "read", "allowed_origins": [SITE]}, "/body/kind"),
        ({"name": "Si\nte", "kind": "server"}, "/body/name"),
    ],
)
def test_malformed_keys_are_refused(
    tracking: Tracking, body: dict[str, object], pointer: str
) -> None:
    response = tracking.client.post("/v1/analytics/keys", json=body, headers=tracking.headers)
    assert response.status_code == 422, response.text
    assert pointer in [error["pointer"] for error in response.json()["errors"]]


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_members_below_admin_cannot_manage_keys(tracking: Tracking, role: str) -> None:
    headers = tracking.as_member(role)
    listed = tracking.client.get("/v1/analytics/keys", headers=headers)
    created = tracking.client.post(
        "/v1/analytics/keys", json={"name": "x", "kind": "server"}, headers=headers
    )
    assert (listed.status_code, created.status_code) == (403, 403)
    assert "admin role" in listed.json()["detail"]


def test_admins_may_and_api_keys_may_not_manage_keys(tracking: Tracking) -> None:
    admin = tracking.as_member("admin")
    assert tracking.create_key("server", headers=admin)["kind"] == "server"
    api_key = tracking.herald.create_api_key(
        tracking.owner, tracking.workspace_id, ["analytics:read", "workspace:read"]
    )
    response = tracking.client.get(
        "/v1/analytics/keys", headers={"Authorization": f"Bearer {api_key}"}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "API keys cannot do this; sign in as a workspace member."


def test_another_workspace_s_keys_answer_404(tracking: Tracking) -> None:
    key = tracking.create_key("server")
    stranger = tracking.herald.sign_up("stranger")
    elsewhere = tracking.herald.create_workspace(stranger, name="Elsewhere")
    theirs = stranger.headers | {"X-Workspace-Id": elsewhere["id"]}
    revoked = tracking.client.delete(f"/v1/analytics/keys/{key['id']}", headers=theirs)
    assert revoked.status_code == 404
    assert tracking.client.get("/v1/analytics/keys", headers=theirs).json()["items"] == []
    # Naming our workspace from outside it is a 404 as well.
    outside = stranger.headers | {"X-Workspace-Id": tracking.workspace_id}
    assert tracking.client.get("/v1/analytics/keys", headers=outside).status_code == 404
    assert tracking.send(key["key"], [event()]).status_code == 401  # a server key is no write key


def test_deleting_the_workspace_deletes_its_key_lookups(tracking: Tracking) -> None:
    """The lookups live outside the workspace's partition (`TRACKKEY#<digest>`): the purge finds
    each through its key item, without a scan."""
    keys = [tracking.create_key("write")["key"], tracking.create_key("server")["key"]]
    lookups = [TrackingKeyLookupItem.keys(digest(key)) for key in keys]
    assert all(TrackingKeyLookupItem.find_key(*lookup) for lookup in lookups)
    deleted = tracking.herald.client.delete(
        f"/v1/workspaces/{tracking.workspace_id}", headers=tracking.owner.headers
    )
    assert deleted.status_code == 204, deleted.text
    assert [TrackingKeyLookupItem.find_key(*lookup) for lookup in lookups] == [None, None]
    assert tracking.send(keys[0], [event()]).status_code == 401
    server = tracking.client.post(
        "/v1/analytics/events",
        json={"events": [event()]},
        headers={"Authorization": f"Bearer {keys[1]}"},
    )
    assert server.status_code == 401
