"""Workspaces (the dashboard's brands): create, list, read, change, default, delete, activity."""

from typing import Any

import httpx
import pytest
from ulid import ULID

from functions.auth.adapters.items import InviteLookupItem, UserWorkspaceItem
from functions.shared.auth import digest
from functions.shared.identity_items import ApiKeyLookupItem, MembershipItem
from functions.shared.tables import key
from tests.support.auth_world import Account, Herald, emails_to, link_token, unique_email

ID = r"^[0-9A-HJKMNP-TV-Z]{26}$"


def get(herald: Herald, account: Account, path: str, **params: Any) -> httpx.Response:
    response: httpx.Response = herald.client.get(path, headers=account.headers, params=params)
    return response


def all_pages(herald: Herald, account: Account, path: str, limit: int) -> list[list[Any]]:
    """Every page of a list, following `next_cursor` to the end."""
    pages: list[list[Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = get(herald, account, path, **params)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "the cursor does not advance"


def test_creating_a_workspace_makes_me_its_owner_and_my_default(herald: Herald) -> None:
    owner = herald.sign_up("owner")

    response = herald.client.post(
        "/v1/workspaces", json={"name": "Acme Coffee — Paris!"}, headers=owner.headers
    )

    assert response.status_code == 201, response.text
    workspace = response.json()
    assert workspace == {
        "id": workspace["id"],
        "name": "Acme Coffee — Paris!",
        "slug": "acme-coffee-paris",
        "timezone": "UTC",
        "logo_url": None,
        "role": "owner",
        "default": True,
        "created_at": workspace["created_at"],
    }
    assert get(herald, owner, "/v1/me").json()["default_workspace_id"] == workspace["id"]
    members = get(herald, owner, f"/v1/workspaces/{workspace['id']}/members").json()["items"]
    assert [(m["user_id"], m["role"]) for m in members] == [(owner.user_id, "owner")]
    # A second workspace does not take the default over.
    second = herald.create_workspace(owner, "Acme Tea")
    assert (second["role"], second["default"]) == ("owner", False)
    assert get(herald, owner, "/v1/me").json()["default_workspace_id"] == workspace["id"]


def test_creating_a_workspace_with_bad_fields_is_422_with_pointers(herald: Herald) -> None:
    owner = herald.sign_up("owner")

    response = herald.client.post(
        "/v1/workspaces",
        json={
            "name": " ",
            "slug": "Not A Slug",
            "timezone": "Europe/Atlantis",
            "logo_url": "http://example.com/logo.png",
            "plan": "enterprise",
        },
        headers=owner.headers,
    )

    assert response.status_code == 422
    assert sorted((e["pointer"], e["code"]) for e in response.json()["errors"]) == [
        ("/body/logo_url", "string_pattern_mismatch"),
        ("/body/name", "string_too_short"),
        ("/body/plan", "extra_forbidden"),
        ("/body/slug", "string_pattern_mismatch"),
        ("/body/timezone", "value_error"),
    ]
    assert get(herald, owner, "/v1/workspaces").json()["items"] == []


def test_my_workspaces_list_with_my_role_in_each_page_by_page(herald: Herald) -> None:
    owner = herald.sign_up("owner")
    shared = herald.create_workspace(owner, "Shared Brand")
    editor = herald.sign_up("editor")
    herald.add_member(owner, shared["id"], editor, "editor")
    own = herald.create_workspace(editor, "Own Brand")

    pages = all_pages(herald, editor, "/v1/workspaces", limit=1)

    assert all(len(page) <= 1 for page in pages)
    listed = [workspace for page in pages for workspace in page]
    assert sorted((w["id"], w["name"], w["role"], w["default"]) for w in listed) == sorted(
        [
            # The first workspace joined becomes the default.
            (shared["id"], "Shared Brand", "editor", True),
            (own["id"], "Own Brand", "owner", False),
        ]
    )
    first = get(herald, editor, "/v1/workspaces", limit=1).json()
    assert len(first["items"]) == 1
    assert first["next_cursor"] is not None
    # The owner sees only the shared workspace, as its owner.
    mine = get(herald, owner, "/v1/workspaces").json()
    assert [(w["id"], w["role"]) for w in mine["items"]] == [(shared["id"], "owner")]
    assert mine["next_cursor"] is None


def test_a_cursor_from_another_users_list_is_refused(herald: Herald) -> None:
    """A cursor is bound to the partition it came from (here: whose workspaces)."""
    owner = herald.sign_up("owner")
    herald.create_workspace(owner, "One")
    herald.create_workspace(owner, "Two")
    stranger = herald.sign_up("stranger")
    cursor = get(herald, owner, "/v1/workspaces", limit=1).json()["next_cursor"]

    response = get(herald, stranger, "/v1/workspaces", limit=1, cursor=cursor)

    assert (response.status_code, response.json()["detail"]) == (
        400,
        "The cursor is not one this API issued.",
    )


def test_reading_a_workspace_needs_membership(herald: Herald) -> None:
    """DESIGN section 3: another workspace's object answers 404, so ids cannot be probed."""
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    stranger = herald.sign_up("stranger")

    mine = get(herald, owner, f"/v1/workspaces/{workspace['id']}")
    theirs = get(herald, stranger, f"/v1/workspaces/{workspace['id']}")
    nowhere_id = str(ULID())
    nowhere = get(herald, owner, f"/v1/workspaces/{nowhere_id}")

    assert mine.status_code == 200
    assert mine.json() == workspace
    assert (theirs.status_code, theirs.json()["detail"]) == (
        404,
        f"Workspace {workspace['id']} was not found.",
    )
    assert (nowhere.status_code, nowhere.json()["detail"]) == (
        404,
        f"Workspace {nowhere_id} was not found.",
    )


def test_patching_a_workspace_changes_only_the_given_fields(herald: Herald) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    path = f"/v1/workspaces/{workspace['id']}"

    response = herald.client.patch(
        path,
        json={
            "name": "Acme Roasters",
            "slug": "acme-roasters",
            "timezone": "Europe/Paris",
            "logo_url": "https://cdn.example.com/acme.png",
        },
        headers=owner.headers,
    )
    renamed_only = herald.client.patch(path, json={"name": "Acme"}, headers=owner.headers)

    assert response.status_code == 200, response.text
    assert response.json() == workspace | {
        "name": "Acme Roasters",
        "slug": "acme-roasters",
        "timezone": "Europe/Paris",
        "logo_url": "https://cdn.example.com/acme.png",
    }
    assert renamed_only.json() == response.json() | {"name": "Acme"}
    assert get(herald, owner, path).json() == renamed_only.json()


def test_patching_a_workspace_with_a_bad_timezone_is_422_and_changes_nothing(
    herald: Herald,
) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    path = f"/v1/workspaces/{workspace['id']}"

    response = herald.client.patch(
        path, json={"name": "Renamed", "timezone": "Mars/Olympus_Mons"}, headers=owner.headers
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "pointer": "/body/timezone",
            "detail": "Value error, is not an IANA time zone name (for example Europe/Paris)",
            "code": "value_error",
        }
    ]
    assert get(herald, owner, path).json() == workspace


def test_a_workspace_name_with_a_line_break_is_422_and_invites_still_go_out(
    herald: Herald,
) -> None:
    """The name goes into the invitation's Subject header: "\r\nBcc:" would add a recipient."""
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    path = f"/v1/workspaces/{workspace['id']}"

    response = herald.client.patch(
        path, json={"name": "Acme\r\nBcc: victim@example.com"}, headers=owner.headers
    )
    invited = herald.client.post(
        f"{path}/invites",
        json={"email": unique_email("guest"), "role": "editor"},
        headers=owner.headers,
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "pointer": "/body/name",
            "detail": "must be a single line without control characters",
            "code": "control_character",
        }
    ]
    assert get(herald, owner, path).json() == workspace
    assert invited.status_code == 201, invited.text


def test_only_admins_and_owners_patch_a_workspace(herald: Herald) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    editor = herald.sign_up("editor")
    herald.add_member(owner, workspace["id"], editor, "editor")

    response = herald.client.patch(
        f"/v1/workspaces/{workspace['id']}", json={"name": "Mine now"}, headers=editor.headers
    )

    assert (response.status_code, response.json()["detail"]) == (
        403,
        "This needs the admin role or above; yours is editor.",
    )


def test_setting_the_default_workspace(herald: Herald) -> None:
    owner = herald.sign_up("owner")
    first = herald.create_workspace(owner, "First")
    second = herald.create_workspace(owner, "Second")

    response = herald.client.post(f"/v1/workspaces/{second['id']}/default", headers=owner.headers)

    assert response.status_code == 200
    assert response.json() == second | {"default": True}
    assert get(herald, owner, "/v1/me").json()["default_workspace_id"] == second["id"]
    listed = {w["id"]: w["default"] for w in get(herald, owner, "/v1/workspaces").json()["items"]}
    assert listed == {first["id"]: False, second["id"]: True}


def test_deleting_a_workspace_ends_all_access_at_once_and_purges_what_it_held(
    herald: Herald,
) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    workspace_id = workspace["id"]
    editor = herald.sign_up("editor")
    herald.add_member(owner, workspace_id, editor, "editor")
    api_key = herald.created_api_key(owner, workspace_id, ["workspace:read"])
    pending = unique_email("pending")
    invited = herald.client.post(
        f"/v1/workspaces/{workspace_id}/invites",
        json={"email": pending, "role": "viewer"},
        headers=owner.headers,
    )
    assert invited.status_code == 201
    invite_token = link_token(emails_to(pending)[-1])
    key_header = {"Authorization": f"Bearer {api_key['key']}"}
    assert herald.client.get(f"/v1/workspaces/{workspace_id}", headers=key_header).is_success
    # Only the owner may delete.
    refused = herald.client.delete(f"/v1/workspaces/{workspace_id}", headers=editor.headers)
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "This needs the owner role or above; yours is editor.",
    )

    response = herald.client.delete(f"/v1/workspaces/{workspace_id}", headers=owner.headers)

    assert response.status_code == 204
    gone = f"Workspace {workspace_id} was not found."
    for account in (owner, editor):
        answer = get(herald, account, f"/v1/workspaces/{workspace_id}")
        assert (answer.status_code, answer.json()["detail"]) == (404, gone)
        assert get(herald, account, "/v1/workspaces").json()["items"] == []
    with_key = herald.client.get(f"/v1/workspaces/{workspace_id}", headers=key_header)
    assert (with_key.status_code, with_key.json()["detail"]) == (
        401,
        "The API key is not valid; it may have been revoked.",
    )
    # The lookups that pointed into the workspace are gone, and so is everything it held but
    # the tombstone every access check reads.
    assert InviteLookupItem.find_key(*InviteLookupItem.keys(digest(invite_token))) is None
    assert ApiKeyLookupItem.find(digest(api_key["key"])) is None
    for user_id in (owner.user_id, editor.user_id):
        assert UserWorkspaceItem.find_key(*UserWorkspaceItem.keys(user_id, workspace_id)) is None
    left = MembershipItem.query(key("WS", workspace_id), consistent_read=True)
    assert [item.sk for item in left] == ["WORKSPACE"]
    # Deleting again finds nothing.
    again = herald.client.delete(f"/v1/workspaces/{workspace_id}", headers=owner.headers)
    assert again.status_code == 404


# The activity log


def test_the_activity_log_lists_who_did_what_newest_first_page_by_page(herald: Herald) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    workspace_id = workspace["id"]
    base = f"/v1/workspaces/{workspace_id}"
    member = herald.sign_up("member")
    herald.add_member(owner, workspace_id, member, "editor")
    pending = herald.client.get(f"{base}/invites", headers=owner.headers).json()["items"]
    assert pending == []  # an accepted invite leaves the list
    changed = herald.client.patch(
        f"{base}/members/{member.user_id}", json={"role": "viewer"}, headers=owner.headers
    )
    assert changed.status_code == 200
    api_key = herald.created_api_key(owner, workspace_id, ["workspace:read"])
    revoked = herald.client.delete(f"{base}/api-keys/{api_key['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    renamed = herald.client.patch(base, json={"name": "Acme Roasters"}, headers=owner.headers)
    assert renamed.status_code == 200
    removed = herald.client.delete(f"{base}/members/{member.user_id}", headers=owner.headers)
    assert removed.status_code == 204

    pages = all_pages(herald, owner, f"{base}/activity", limit=3)

    assert [len(page) for page in pages] == [3, 3, 2]
    entries = [entry for page in pages for entry in page]
    me, them = f"user:{owner.user_id}", f"user:{member.user_id}"
    invite_target = entries[6]["target"]
    assert invite_target.startswith("invite:")
    assert [(e["action"], e["actor"], e["target"]) for e in entries] == [
        ("member.removed", me, them),
        ("workspace.updated", me, f"workspace:{workspace_id}"),
        ("api_key.revoked", me, f"api_key:{api_key['id']}"),
        ("api_key.created", me, f"api_key:{api_key['id']}"),
        ("member.role_changed", me, them),
        ("invite.accepted", them, invite_target),
        ("invite.created", me, invite_target),
        ("workspace.created", me, f"workspace:{workspace_id}"),
    ]
    assert [e["details"] for e in entries] == [
        {"role": "viewer"},
        {"changed": ["name"]},
        {"name": "Zapier"},
        {"name": "Zapier", "scopes": ["workspace:read"]},
        {"from": "editor", "to": "viewer"},
        {"role": "editor"},
        {"email": member.email, "role": "editor"},
        {"name": "Acme Coffee"},
    ]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    assert len({e["id"] for e in entries}) == 8
    # A member who left no longer reads it.
    assert get(herald, member, f"{base}/activity").status_code == 404


def test_a_slug_belongs_to_one_workspace_until_it_is_changed_or_deleted(herald: Herald) -> None:
    owner = herald.sign_up("owner")
    rival = herald.sign_up("rival")
    first = herald.client.post(
        "/v1/workspaces", json={"name": "Acme", "slug": "acme"}, headers=owner.headers
    ).json()

    taken = herald.client.post(
        "/v1/workspaces", json={"name": "Other", "slug": "acme"}, headers=rival.headers
    )
    mine = herald.create_workspace(rival, "Rival")
    renamed_onto = herald.client.patch(
        f"/v1/workspaces/{mine['id']}", json={"slug": "acme"}, headers=rival.headers
    )

    assert (taken.status_code, taken.json()["detail"]) == (
        409,
        "The slug 'acme' is taken by another workspace; choose another.",
    )
    assert taken.headers["content-type"] == "application/problem+json"
    assert [w["id"] for w in get(herald, rival, "/v1/workspaces").json()["items"]] == [mine["id"]]
    assert renamed_onto.status_code == 409, renamed_onto.text
    assert get(herald, rival, f"/v1/workspaces/{mine['id']}").json() == mine
    # Keeping one's own slug is no change at all.
    same = herald.client.patch(
        f"/v1/workspaces/{first['id']}", json={"slug": "acme"}, headers=owner.headers
    )
    assert same.status_code == 200, same.text

    # Changing the slug frees the old one ...
    moved = herald.client.patch(
        f"/v1/workspaces/{first['id']}", json={"slug": "acme-roasters"}, headers=owner.headers
    )
    assert moved.json()["slug"] == "acme-roasters"
    claimed = herald.client.patch(
        f"/v1/workspaces/{mine['id']}", json={"slug": "acme"}, headers=rival.headers
    )
    assert (claimed.status_code, claimed.json()["slug"]) == (200, "acme")
    # ... and so does deleting the workspace.
    deleted = herald.client.delete(f"/v1/workspaces/{first['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    reused = herald.client.post(
        "/v1/workspaces", json={"name": "Roasters", "slug": "acme-roasters"}, headers=rival.headers
    )
    assert reused.status_code == 201, reused.text


def test_a_slug_derived_from_a_taken_name_is_numbered(herald: Herald) -> None:
    owner = herald.sign_up("owner")
    rival = herald.sign_up("rival")

    slugs = [
        herald.create_workspace(owner, "Acme Coffee")["slug"],
        herald.create_workspace(rival, "Acme Coffee!")["slug"],
        herald.create_workspace(owner, "ACME coffee")["slug"],
    ]

    assert slugs == ["acme-coffee", "acme-coffee-2", "acme-coffee-3"]


def test_a_derived_slug_lost_to_a_concurrent_creation_is_derived_again(
    herald: Herald, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.auth.adapters.items import WorkspaceSlugItem

    owner = herald.sign_up("owner")
    herald.create_workspace(owner, "Acme")
    real_batch_get = WorkspaceSlugItem.batch_get
    reads: list[int] = []

    def stale_once(*args: Any, **kwargs: Any) -> Any:
        # The first read misses the claim, as if "acme" were taken just after it.
        reads.append(1)
        return iter(()) if len(reads) == 1 else real_batch_get(*args, **kwargs)

    monkeypatch.setattr(WorkspaceSlugItem, "batch_get", stale_once)

    second = herald.create_workspace(owner, "Acme")

    assert (second["slug"], len(reads)) == ("acme-2", 2)
    assert [w["slug"] for w in get(herald, owner, "/v1/workspaces").json()["items"]] == [
        "acme",
        "acme-2",
    ]
