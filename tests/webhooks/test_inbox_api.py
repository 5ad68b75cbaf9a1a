"""The inbox API: listing with filters and cursors, an item with its thread, read and unread,
assigning, bulk actions and saved replies, with the roles each needs."""

from datetime import UTC, datetime, timedelta
from typing import Any

from ulid import ULID

from tests.webhooks.inbox_world import Inbox, inbox

__all__ = ["inbox"]


def listed(world: Inbox, query: str = "", headers: dict[str, str] | None = None) -> list[str]:
    response = world.client.get(f"/v1/inbox{query}", headers=headers or world.headers)
    assert response.status_code == 200, response.text
    return [entry["id"] for entry in response.json()["items"]]


def test_the_list_is_newest_first_and_pages_with_cursors(inbox: Inbox) -> None:
    ids = [inbox.arrive(text=f"comment {n}") for n in range(5)]

    first = inbox.client.get("/v1/inbox?limit=2", headers=inbox.headers).json()
    second = inbox.client.get(
        f"/v1/inbox?limit=2&cursor={first['next_cursor']}", headers=inbox.headers
    ).json()
    third = inbox.client.get(
        f"/v1/inbox?limit=2&cursor={second['next_cursor']}", headers=inbox.headers
    ).json()

    seen = [entry["id"] for page in (first, second, third) for entry in page["items"]]
    assert seen == list(reversed(ids))
    assert first["items"][0]["author"] == {
        "id": "u-maria",
        "name": "maria",
        "handle": "maria",
        "avatar_url": None,
    }
    assert first["items"][0]["status"] == "new"


def test_filters_narrow_the_list(inbox: Inbox) -> None:
    other_account = inbox.add_account(inbox.headers)
    member = inbox.hooks.herald.sign_up("editor")
    inbox.hooks.herald.add_member(inbox.hooks.owner, inbox.hooks.workspace_id, member, "editor")
    long_ago = datetime.now(UTC) - timedelta(days=30)
    old = inbox.arrive(text="Old news", received_at=long_ago)
    coffee = inbox.arrive(text="Best COFFEE in town", post_id=str(ULID()))
    elsewhere = inbox.arrive(text="On the other account", account_id=other_account)
    assigned = inbox.arrive(text="Needs an answer")
    response = inbox.client.patch(
        f"/v1/inbox/{assigned}", json={"assignee": member.user_id}, headers=inbox.headers
    )
    assert response.status_code == 200, response.text
    inbox.client.post(f"/v1/inbox/{old}/read", headers=inbox.headers)
    coffee_post = inbox.item(coffee)["post_id"]

    assert listed(inbox, "?q=coffee") == [coffee]
    assert listed(inbox, f"?account_id={other_account}") == [elsewhere]
    assert listed(inbox, f"?post_id={coffee_post}") == [coffee]
    assert listed(inbox, f"?assignee={member.user_id}") == [assigned]
    assert listed(inbox, "?status=read") == [old]
    assert listed(inbox, "?platform=sandbox") == [assigned, elsewhere, coffee, old]
    assert listed(inbox, "?platform=x") == []
    until = (long_ago + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert listed(inbox, f"?received_to={until}") == [old]
    since = (long_ago + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert listed(inbox, f"?received_from={since}&status=new&q=other") == [elsewhere]


def test_bad_filters_are_problems(inbox: Inbox) -> None:
    for query, pointer in [
        ("?status=spam", "/query/status"),
        ("?account_id=nope", "/query/account_id"),
        ("?q=" + "x" * 101, "/query/q"),
        ("?received_from=1700000000", "/query/received_from"),
        (
            "?received_from=2030-01-02T00:00:00Z&received_to=2030-01-01T00:00:00Z",
            "/query/received_from",
        ),
    ]:
        response = inbox.client.get(f"/v1/inbox{query}", headers=inbox.headers)
        assert response.status_code == 422, query
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["pointer"] == pointer, query


def test_an_item_comes_with_its_thread(inbox: Inbox) -> None:
    root = inbox.arrive(text="Do you ship to Lyon?")
    root_platform_id = inbox.item(root)["platform_item_id"]
    answer = inbox.arrive(
        text="Following!", kind="reply", thread_id=root_platform_id, parent_id=root_platform_id
    )
    inbox.arrive(text="An unrelated comment")

    found = inbox.item(answer)

    assert [entry["id"] for entry in found["thread"]] == [root, answer]
    assert found["thread_truncated"] is False
    assert [entry["id"] for entry in inbox.item(root)["thread"]] == [root, answer]


def test_read_and_unread(inbox: Inbox) -> None:
    item_id = inbox.arrive()
    read = inbox.client.post(f"/v1/inbox/{item_id}/read", headers=inbox.headers)
    assert read.status_code == 200
    assert read.json()["status"] == "read"
    unread = inbox.client.post(f"/v1/inbox/{item_id}/unread", headers=inbox.headers)
    assert unread.status_code == 200
    assert unread.json()["status"] == "new"


def test_the_assignee_must_be_a_member(inbox: Inbox) -> None:
    item_id = inbox.arrive()
    stranger = inbox.hooks.herald.sign_up("stranger")

    response = inbox.client.patch(
        f"/v1/inbox/{item_id}", json={"assignee": stranger.user_id}, headers=inbox.headers
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"pointer": "/body/assignee", "detail": "Not a member.", "code": "not_a_member"}
    ]
    assert inbox.item(item_id)["assignee"] is None
    unassign = inbox.client.patch(
        f"/v1/inbox/{item_id}", json={"assignee": None}, headers=inbox.headers
    )
    assert unassign.status_code == 200
    assert unassign.json()["assignee"] is None


def test_bulk_read_and_assign_report_each_item(inbox: Inbox) -> None:
    first, second = inbox.arrive(), inbox.arrive()
    missing = str(ULID())

    response = inbox.client.post(
        "/v1/inbox/bulk",
        json={
            "action": "assign",
            "item_ids": [first, missing, second],
            "assignee": inbox.hooks.owner.user_id,
        },
        headers=inbox.headers,
    )

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        (first, 200),
        (missing, 404),
        (second, 200),
    ]
    assert inbox.item(first)["assignee"] == inbox.hooks.owner.user_id
    read = inbox.client.post(
        "/v1/inbox/bulk",
        json={"action": "read", "item_ids": [first, second]},
        headers=inbox.headers,
    )
    assert [r["item"]["status"] for r in read.json()["results"]] == ["read", "read"]


def test_bulk_is_bounded_and_refuses_duplicates(inbox: Inbox) -> None:
    too_many = [str(ULID()) for _ in range(26)]
    response = inbox.client.post(
        "/v1/inbox/bulk", json={"action": "read", "item_ids": too_many}, headers=inbox.headers
    )
    assert response.status_code == 422
    item_id = str(ULID())
    twice = inbox.client.post(
        "/v1/inbox/bulk",
        json={"action": "read", "item_ids": [item_id, item_id]},
        headers=inbox.headers,
    )
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["code"] == "duplicate"


def test_saved_replies_crud_and_bounds(inbox: Inbox) -> None:
    body = {"title": "Opening hours", "text": "We're open 7am to 6pm."}
    created = inbox.client.post("/v1/inbox/saved-replies", json=body, headers=inbox.headers)
    assert created.status_code == 201, created.text
    saved_id = created.json()["id"]
    changed = inbox.client.patch(
        f"/v1/inbox/saved-replies/{saved_id}", json={"title": "Hours"}, headers=inbox.headers
    )
    assert changed.json()["title"] == "Hours"
    assert changed.json()["text"] == body["text"]
    listed_ = inbox.client.get("/v1/inbox/saved-replies", headers=inbox.headers).json()
    assert [entry["id"] for entry in listed_["items"]] == [saved_id]
    for bad in (
        {"title": "a\nb", "text": "x"},
        {"title": "t", "text": ""},
        {"title": "t", "text": "x" * 10_001},
        {"title": "t" * 101, "text": "x"},
    ):
        assert (
            inbox.client.post(
                "/v1/inbox/saved-replies", json=bad, headers=inbox.headers
            ).status_code
            == 422
        )
    deleted = inbox.client.delete(f"/v1/inbox/saved-replies/{saved_id}", headers=inbox.headers)
    assert deleted.status_code == 204
    gone = inbox.client.get(f"/v1/inbox/saved-replies/{saved_id}", headers=inbox.headers)
    assert gone.status_code == 404


def test_a_workspace_keeps_at_most_100_saved_replies(inbox: Inbox) -> None:
    for n in range(100):
        response = inbox.client.post(
            "/v1/inbox/saved-replies", json={"title": f"r{n}", "text": "x"}, headers=inbox.headers
        )
        assert response.status_code == 201
    one_more = inbox.client.post(
        "/v1/inbox/saved-replies", json={"title": "one more", "text": "x"}, headers=inbox.headers
    )
    assert one_more.status_code == 409


def _status(inbox: Inbox, method: str, path: str, headers: dict[str, str], body: Any = None) -> int:
    status: int = inbox.client.request(method, path, json=body, headers=headers).status_code
    return status


def test_viewers_read_editors_reply_admins_moderate(inbox: Inbox) -> None:
    viewer, editor, admin = (inbox.hooks.as_member(role) for role in ("viewer", "editor", "admin"))
    item_id = inbox.arrive()
    reply = {"text": "Thank you!"}

    assert _status(inbox, "GET", "/v1/inbox", viewer) == 200
    assert _status(inbox, "GET", f"/v1/inbox/{item_id}", viewer) == 200
    assert _status(inbox, "GET", "/v1/inbox/saved-replies", viewer) == 200
    assert _status(inbox, "POST", f"/v1/inbox/{item_id}/read", viewer) == 403
    assert _status(inbox, "POST", f"/v1/inbox/{item_id}/reply", viewer, reply) == 403
    assert _status(inbox, "POST", f"/v1/inbox/{item_id}/reply", editor, reply) == 200
    assert _status(inbox, "POST", f"/v1/inbox/{item_id}/hide", editor) == 403
    assert _status(inbox, "DELETE", f"/v1/inbox/{item_id}", editor) == 403
    bulk_hide = {"action": "hide", "item_ids": [item_id]}
    assert _status(inbox, "POST", "/v1/inbox/bulk", editor, bulk_hide) == 403
    assert _status(inbox, "POST", f"/v1/inbox/{item_id}/hide", admin) == 200
    assert _status(inbox, "DELETE", f"/v1/inbox/{item_id}", admin) == 200


def test_api_keys_need_the_inbox_scopes(inbox: Inbox) -> None:
    herald, owner, workspace = inbox.hooks.herald, inbox.hooks.owner, inbox.hooks.workspace_id
    item_id = inbox.arrive()
    reader = {"Authorization": f"Bearer {herald.create_api_key(owner, workspace, ['inbox:read'])}"}
    writer = {"Authorization": f"Bearer {herald.create_api_key(owner, workspace, ['inbox:write'])}"}

    assert _status(inbox, "GET", "/v1/inbox", reader) == 200
    assert _status(inbox, "POST", f"/v1/inbox/{item_id}/read", reader) == 403
    assert _status(inbox, "GET", "/v1/inbox", writer) == 403
    assert _status(inbox, "POST", f"/v1/inbox/{item_id}/hide", writer) == 200
