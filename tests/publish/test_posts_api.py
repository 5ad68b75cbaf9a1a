"""Posts over HTTP: compose, preflight on create and edit, version history, duplicate, delete,
list with filters and cursors, publish now and retry, and who may do what."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from functions.publish.adapters.post_items import PostItem
from functions.publish.domain import post_store
from tests.publish.posts_world import (
    activity_actions,
    error_codes,
    problem,
    sandbox_published,
    schedule_exists,
    set_timezone,
    table_keys,
)
from tests.publish.studio import Studio


def in_minutes(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


def api_key(studio: Studio, *scopes: str) -> dict[str, str]:
    response = studio.herald.client.post(
        f"/v1/workspaces/{studio.workspace_id}/api-keys",
        json={"name": "Scheduler bot", "scopes": list(scopes)},
        headers=studio.owner.headers,
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}


def test_a_post_is_composed_edited_with_history_duplicated_and_deleted(studio: Studio) -> None:
    x = studio.connect("x", "2244994945")
    sandbox = studio.sandbox()
    photo = studio.asset(width=1600, height=900)
    body = {
        "text": "Fresh bread every morning",
        "media": [photo],
        "labels": ["bakery", "daily"],
        "targets": [
            {"account_id": x, "options": {"reply_settings": "following"}},
            {
                "account_id": sandbox,
                "text": "Fresh bread, sandbox edition",
                "media": [],
                "first_comment": "Open 7-19",
                "thread": [{"text": "And croissants"}],
            },
        ],
    }
    created = studio.create(**body)

    assert (created["status"], created["revision"]) == ("draft", 1)
    assert (created["text"], created["media"], created["labels"]) == (
        "Fresh bread every morning",
        [photo],
        ["bakery", "daily"],
    )
    assert created["targets"][1]["thread"] == [{"text": "And croissants", "media": []}]
    assert created["preflight"]["ok"] is True, created["preflight"]
    assert [t["content_type"] for t in created["preflight"]["targets"]] == ["post", "post"]
    assert created["created_by"] == f"user:{studio.owner.user_id}"
    fetched = studio.post(created["id"])
    assert {**fetched, "preflight": created["preflight"]} == created

    edited = studio.client.patch(
        f"/v1/posts/{created['id']}",
        json={"text": "Fresh bread from 7", "labels": ["bakery"], "revision": 1},
        headers=studio.headers,
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["revision"], edited.json()["labels"]) == (2, ["bakery"])
    assert edited.json()["targets"] == created["targets"]  # what the edit left out stays
    stale = studio.client.patch(
        f"/v1/posts/{created['id']}", json={"text": "Mine", "revision": 1}, headers=studio.headers
    )
    assert problem(stale, 409)["detail"] == (
        f"Post {created['id']} was edited meanwhile: revision 2 is current."
    )
    unchanged = studio.client.patch(
        f"/v1/posts/{created['id']}", json={"text": "Fresh bread from 7"}, headers=studio.headers
    )
    assert unchanged.json()["revision"] == 2

    versions = studio.client.get(f"/v1/posts/{created['id']}/versions", headers=studio.headers)
    assert [(v["revision"], v["text"], v["labels"]) for v in versions.json()["items"]] == [
        (2, "Fresh bread from 7", ["bakery"]),
        (1, "Fresh bread every morning", ["bakery", "daily"]),
    ]
    first_page = studio.client.get(
        f"/v1/posts/{created['id']}/versions", params={"limit": 1}, headers=studio.headers
    ).json()
    second_page = studio.client.get(
        f"/v1/posts/{created['id']}/versions",
        params={"limit": 1, "cursor": first_page["next_cursor"]},
        headers=studio.headers,
    ).json()
    assert [v["revision"] for v in first_page["items"] + second_page["items"]] == [2, 1]

    duplicate = studio.client.post(f"/v1/posts/{created['id']}/duplicate", headers=studio.headers)
    assert duplicate.status_code == 201, duplicate.text
    copy = duplicate.json()
    assert copy["id"] != created["id"]
    assert (copy["status"], copy["revision"], copy["text"]) == ("draft", 1, "Fresh bread from 7")
    assert copy["targets"] == created["targets"]

    deleted = studio.client.delete(f"/v1/posts/{created['id']}", headers=studio.headers)
    assert deleted.status_code == 204
    for url in (f"/v1/posts/{created['id']}", f"/v1/posts/{created['id']}/versions"):
        gone = studio.client.get(url, headers=studio.headers)
        assert problem(gone, 404)["detail"] == f"Post {created['id']} was not found."
    assert table_keys(studio.workspace_id, f"POSTVER#{created['id']}") == []
    assert studio.post(copy["id"])["text"] == "Fresh bread from 7"
    assert activity_actions(studio)[:4] == [
        "post.deleted",
        "post.duplicated",
        "post.updated",
        "post.created",
    ]


def test_preflight_runs_on_create_edit_and_validate_and_guards_scheduled_posts(
    studio: Studio,
) -> None:
    x = studio.connect("x", "2244994945")
    portrait = studio.asset(
        "video",
        "video/mp4",
        width=1080,
        height=1920,
        duration_seconds=200.0,
        frame_rate=30.0,
        video_codec="h264",
        audio_codec="aac",
    )
    # A draft may be incomplete: it is saved, and its preflight says what is wrong.
    draft = studio.create(text="Watch this", media=[portrait], targets=[{"account_id": x}])
    (target,) = draft["preflight"]["targets"]
    assert draft["preflight"]["ok"] is False
    assert [(p["code"], p["field"]) for p in target["problems"]] == [
        ("media_too_long", "media/0"),
        ("media_dimensions", "media/0"),
    ]
    assert target["problems"][1]["fix"] == {
        "description": "Make a copy with the media studio's `x_landscape` preset.",
        "media_preset": "x_landscape",
    }
    validated = studio.client.post(f"/v1/posts/{draft['id']}/validate", headers=studio.headers)
    assert validated.json() == draft["preflight"]
    # It cannot be scheduled until it passes.
    refused = studio.client.post(
        f"/v1/posts/{draft['id']}/schedule", json={"at": in_minutes(30)}, headers=studio.headers
    )
    body = problem(refused, 422)
    assert body["type"] == "urn:herald:problem:preflight"
    assert error_codes(body) == {
        (f"/preflight/targets/{x}/media/0", "media_too_long"),
        (f"/preflight/targets/{x}/media/0", "media_dimensions"),
    }
    assert not schedule_exists(draft["id"])

    fixed = studio.client.patch(
        f"/v1/posts/{draft['id']}", json={"media": []}, headers=studio.headers
    )
    assert fixed.json()["preflight"]["ok"] is True
    studio.schedule(draft["id"], in_minutes(30))
    # An edit that would break a scheduled post is refused and changes nothing.
    breaking = studio.client.patch(
        f"/v1/posts/{draft['id']}", json={"text": "x" * 281}, headers=studio.headers
    )
    assert error_codes(problem(breaking, 422)) == {
        (f"/preflight/targets/{x}/text", "text_too_long")
    }
    after = studio.post(draft["id"])
    assert (after["status"], after["text"], after["revision"]) == ("scheduled", "Watch this", 2)


def test_posts_are_listed_newest_first_filtered_and_paged(studio: Studio) -> None:
    cafe, bakery = studio.sandbox("Cafe"), studio.sandbox("Bakery")
    start = datetime.now(UTC)
    made: list[str] = []
    specs: list[tuple[str, list[str]]] = [
        (cafe, ["menu"]),
        (bakery, ["menu", "news"]),
        (cafe, []),
        (bakery, ["news"]),
    ]
    for minutes, (account, labels) in enumerate(specs):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            made.append(
                studio.create(text="Hi", targets=[{"account_id": account}], labels=labels)["id"]
            )
    studio.schedule(made[1], in_minutes(60))

    def listed(**params: Any) -> list[str]:
        response = studio.client.get("/v1/posts", params=params, headers=studio.headers)
        assert response.status_code == 200, response.text
        return [post["id"] for post in response.json()["items"]]

    assert listed() == made[::-1]
    assert listed(status="scheduled") == [made[1]]
    assert listed(status="draft") == [made[3], made[2], made[0]]
    assert listed(account_id=cafe) == [made[2], made[0]]
    assert listed(label="news") == [made[3], made[1]]
    assert listed(label="menu", account_id=bakery) == [made[1]]
    since = (start + timedelta(minutes=1)).isoformat()
    until = (start + timedelta(minutes=2, seconds=30)).isoformat()
    assert listed(**{"from": since, "to": until}) == [made[2], made[1]]
    # Without an offset, the bounds are wall times of the workspace's timezone.
    set_timezone(studio, "Asia/Tokyo")
    tokyo = ZoneInfo("Asia/Tokyo")
    wall_since = (start + timedelta(minutes=1)).astimezone(tokyo).replace(tzinfo=None)
    assert listed(**{"from": wall_since.isoformat()}) == [made[3], made[2], made[1]]

    pages: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = studio.client.get("/v1/posts", params=params, headers=studio.headers).json()
        pages.extend(post["id"] for post in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == made[::-1]


def test_publish_now_and_retry_of_failed_targets(studio: Studio) -> None:
    working = studio.sandbox("Works")
    failing = studio.sandbox("Refuses", fail_with="permanent")
    post = studio.create(
        text="Right now", targets=[{"account_id": working}, {"account_id": failing}]
    )

    started = studio.client.post(f"/v1/posts/{post['id']}/publish", headers=studio.headers)
    assert started.status_code == 202, started.text
    done = studio.wait_for(post["id"], "published", "partially_failed", "failed")

    assert done["status"] == "partially_failed"
    states = {t["account_id"]: t for t in done["publishing"]}
    assert states[working]["state"] == "published"
    assert states[failing]["state"] == "failed"
    assert states[failing]["error"]["failure_class"] == "permanent"
    assert sandbox_published(studio, working) == ["Right now"]
    # A finished post is history: it is duplicated, not edited or rescheduled.
    edit = studio.client.patch(
        f"/v1/posts/{post['id']}", json={"text": "Later"}, headers=studio.headers
    )
    assert problem(edit, 409)["detail"] == (
        f"Post {post['id']} is partially failed; duplicate it to make a new one."
    )
    again = studio.client.post(
        f"/v1/posts/{post['id']}/schedule", json={"at": in_minutes(5)}, headers=studio.headers
    )
    assert problem(again, 409)["detail"] == f"Post {post['id']} is partially failed."

    retried = studio.client.post(f"/v1/posts/{post['id']}/retry", headers=studio.headers)
    assert retried.status_code == 202, retried.text
    assert retried.json()["retried"] == [failing]
    final = studio.wait_for(post["id"], "partially_failed", "published")
    final_states = {t["account_id"]: t for t in final["publishing"]}
    assert final_states[failing]["attempts"] == 1
    assert final_states[working]["attempts"] == 1  # the published target was left alone
    assert sandbox_published(studio, working) == ["Right now"]

    fresh = studio.create(text="Not failed", targets=[{"account_id": working}])
    nothing = studio.client.post(f"/v1/posts/{fresh['id']}/retry", headers=studio.headers)
    assert problem(nothing, 409)["detail"] == (
        f"Post {fresh['id']} has no failed targets to retry (draft)."
    )


# --- who may do what -----------------------------------------------------------------------------


def test_viewers_read_editors_write_and_admins_approve(studio: Studio) -> None:
    sandbox = studio.sandbox()
    post = studio.create(text="Roles", targets=[{"account_id": sandbox}])
    template = studio.client.post(
        "/v1/templates", json={"name": "T", "content": {}}, headers=studio.headers
    ).json()
    viewer, editor = studio.as_member("viewer"), studio.as_member("editor")
    pid, tid = post["id"], template["id"]
    at = {"at": in_minutes(30)}

    Call = tuple[str, str, dict[str, Any] | None]
    reads: list[Call] = [
        ("GET", "/v1/posts", None),
        ("GET", f"/v1/posts/{pid}", None),
        ("GET", f"/v1/posts/{pid}/versions", None),
        ("POST", f"/v1/posts/{pid}/validate", None),
        ("GET", "/v1/posts/calendar?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z", None),
        ("GET", "/v1/posts/settings", None),
        ("GET", "/v1/posts/queue/slots", None),
        ("GET", "/v1/templates", None),
        ("GET", f"/v1/templates/{tid}", None),
    ]
    writes: list[Call] = [
        ("POST", "/v1/posts", {"text": "Mine"}),
        ("PATCH", f"/v1/posts/{pid}", {"text": "Mine"}),
        ("POST", f"/v1/posts/{pid}/duplicate", None),
        ("POST", f"/v1/posts/{pid}/schedule", at),
        ("DELETE", f"/v1/posts/{pid}/schedule", None),
        ("POST", f"/v1/posts/{pid}/publish", None),
        ("POST", f"/v1/posts/{pid}/queue", None),
        ("POST", f"/v1/posts/{pid}/retry", None),
        ("POST", f"/v1/posts/{pid}/submit", None),
        ("PUT", "/v1/posts/queue/slots", {"slots": []}),
        ("DELETE", f"/v1/posts/{pid}", None),
        ("POST", "/v1/templates", {"name": "Mine", "content": {}}),
        ("PATCH", f"/v1/templates/{tid}", {"name": "Mine"}),
        ("POST", f"/v1/templates/{tid}/use", None),
        ("DELETE", f"/v1/templates/{tid}", None),
    ]
    admin_only: list[Call] = [
        ("PUT", "/v1/posts/settings", {"approval_required": True}),
        ("POST", f"/v1/posts/{pid}/approve", None),
        ("POST", f"/v1/posts/{pid}/reject", {"comment": "No"}),
    ]

    for method, url, body in reads:
        response = studio.client.request(method, url, json=body, headers=viewer)
        assert response.status_code == 200, (method, url, response.text)
    for method, url, body in writes + admin_only:
        response = studio.client.request(method, url, json=body, headers=viewer)
        assert problem(response, 403)["detail"] == (
            "This needs the editor role or above; yours is viewer."
            if (method, url, body) in writes
            else "This needs the admin role or above; yours is viewer."
        ), (method, url)
    for method, url, body in admin_only:
        response = studio.client.request(method, url, json=body, headers=editor)
        assert problem(response, 403)["detail"] == (
            "This needs the admin role or above; yours is editor."
        ), (method, url)
    # What the refusals did not do: the post and template are as they were.
    assert studio.post(pid)["revision"] == 1
    assert studio.client.get(f"/v1/templates/{tid}", headers=viewer).json()["name"] == "T"
    # An editor writes.
    edited = studio.client.patch(f"/v1/posts/{pid}", json={"text": "Edited"}, headers=editor)
    assert edited.status_code == 200


def test_api_keys_act_within_their_scopes_and_never_approve(studio: Studio) -> None:
    sandbox = studio.sandbox()
    reader = api_key(studio, "posts:read")
    writer = api_key(studio, "posts:read", "posts:write")
    unrelated = api_key(studio, "media:read")
    post = studio.create(text="Keys", targets=[{"account_id": sandbox}])

    assert studio.client.get(f"/v1/posts/{post['id']}", headers=reader).status_code == 200
    assert studio.client.get("/v1/templates", headers=reader).status_code == 200
    refused = studio.client.post("/v1/posts", json={"text": "Bot"}, headers=reader)
    assert problem(refused, 403)["detail"] == "This API key lacks the `posts:write` scope."
    no_read = studio.client.get("/v1/posts", headers=unrelated)
    assert problem(no_read, 403)["detail"] == "This API key lacks the `posts:read` scope."
    template = studio.client.post(
        "/v1/templates", json={"name": "Bot", "content": {}}, headers=reader
    )
    assert problem(template, 403)["detail"] == "This API key lacks the `posts:write` scope."

    created = studio.client.post(
        "/v1/posts", json={"text": "Bot", "targets": [{"account_id": sandbox}]}, headers=writer
    )
    assert created.status_code == 201, created.text
    assert created.json()["created_by"].startswith("api_key:")
    scheduled = studio.client.post(
        f"/v1/posts/{created.json()['id']}/schedule", json={"at": in_minutes(30)}, headers=writer
    )
    assert scheduled.json()["status"] == "scheduled"
    for method, url, body in [
        ("PUT", "/v1/posts/settings", {"approval_required": False}),
        ("POST", f"/v1/posts/{post['id']}/approve", None),
        ("POST", f"/v1/posts/{post['id']}/reject", {"comment": "No"}),
    ]:
        response = studio.client.request(method, url, json=body, headers=writer)
        assert problem(response, 403)["detail"] == (
            "API keys cannot do this; sign in as a workspace member."
        )


def test_an_api_key_s_schedule_waits_for_approval_when_approval_is_on(studio: Studio) -> None:
    sandbox = studio.sandbox()
    writer = api_key(studio, "posts:write")
    studio.client.put(
        "/v1/posts/settings", json={"approval_required": True}, headers=studio.headers
    )
    created = studio.client.post(
        "/v1/posts", json={"text": "Bot", "targets": [{"account_id": sandbox}]}, headers=writer
    ).json()

    scheduled = studio.client.post(
        f"/v1/posts/{created['id']}/schedule", json={"at": in_minutes(30)}, headers=writer
    )

    assert scheduled.json()["status"] == "pending_approval"
    assert not schedule_exists(created["id"])


def test_a_write_that_loses_a_race_answers_409_and_changes_nothing(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = studio.sandbox()
    draft = studio.create(text="Raced", targets=[{"account_id": sandbox}])
    scheduled = studio.create(text="Raced too", targets=[{"account_id": sandbox}])
    studio.schedule(scheduled["id"], in_minutes(30))
    read = post_store.find_post

    def read_then_someone_else_writes(workspace_id: str, post_id: str) -> PostItem:
        item = read(workspace_id, post_id)
        # Another request (or the worker) saves the post between this read and its write.
        other = read(workspace_id, post_id)
        other.update(actions=[PostItem.updated_at.set(datetime.now(UTC))])
        return item

    monkeypatch.setattr(post_store, "find_post", read_then_someone_else_writes)
    attempts = [
        ("PATCH", f"/v1/posts/{draft['id']}", {"text": "Mine"}, draft["id"]),
        ("POST", f"/v1/posts/{draft['id']}/schedule", {"at": in_minutes(20)}, draft["id"]),
        ("DELETE", f"/v1/posts/{scheduled['id']}", None, scheduled["id"]),
        ("DELETE", f"/v1/posts/{scheduled['id']}/schedule", None, scheduled["id"]),
    ]
    for method, url, body, post_id in attempts:
        response = studio.client.request(method, url, json=body, headers=studio.headers)
        assert problem(response, 409)["detail"] == (
            f"Post {post_id} changed meanwhile; reload it and retry."
        ), (method, url)
    monkeypatch.undo()

    assert (studio.post(draft["id"])["status"], studio.post(draft["id"])["text"]) == (
        "draft",
        "Raced",
    )
    assert not schedule_exists(draft["id"])
    assert studio.post(scheduled["id"])["status"] == "scheduled"
    assert schedule_exists(scheduled["id"])
