"""`/v1/notifications`: a member's own notifications, unread count, marking read, preferences;
API keys refused; another member's or another workspace's notification is not found."""

from datetime import UTC, datetime, timedelta

import pytest

from functions.shared.access import Scope
from tests.notifications.notify_world import NotifyWorld
from tests.support.snapshots import workspace_items

pytestmark = pytest.mark.usefixtures("notify_world")
EVENT_TIME = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def three_requests(world: NotifyWorld) -> None:
    for minutes in range(3):
        world.notify(
            world.event(
                "post.approval_requested",
                {"post_id": f"01JB8X5Q00000000000000000{minutes}"},
                occurred_at=EVENT_TIME + timedelta(minutes=minutes),
            )
        )


def test_list_newest_first_with_cursor_unread_filter_and_count(notify_world: NotifyWorld) -> None:
    world = notify_world
    three_requests(world)

    first = world.api.get("/v1/notifications", headers=world.admin.headers, params={"limit": 2})
    assert first.status_code == 200
    page = first.json()
    second = world.notifications(world.admin, limit=2, cursor=page["next_cursor"])
    listed = [n["link"]["post_id"] for n in page["items"] + second]
    assert listed == [f"01JB8X5Q00000000000000000{m}" for m in (2, 1, 0)]
    assert world.unread(world.admin) == 3

    oldest = page["items"][0]["id"]
    read = world.api.post(f"/v1/notifications/{oldest}/read", headers=world.admin.headers)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    again = world.api.post(f"/v1/notifications/{oldest}/read", headers=world.admin.headers)
    assert again.json()["read_at"] == read.json()["read_at"]
    assert world.unread(world.admin) == 2
    assert [n["id"] for n in world.notifications(world.admin, unread="true")] == [
        n["id"] for n in page["items"][1:] + second
    ]

    everything = world.api.post("/v1/notifications/read-all", headers=world.admin.headers)
    assert everything.json() == {"marked_read": 2}
    assert world.unread(world.admin) == 0
    assert world.notifications(world.admin, unread="true") == []
    assert all(n["read_at"] for n in world.notifications(world.admin))
    # The owner's are their own.
    assert world.unread(world.owner) == 3


def test_preferences_default_by_role_and_keep_what_is_not_listed(notify_world: NotifyWorld) -> None:
    world = notify_world

    def choices(member_headers: dict[str, str]) -> dict[str, dict[str, bool]]:
        response = world.api.get("/v1/notifications/preferences", headers=member_headers)
        assert response.status_code == 200, response.text
        return {e.pop("event_type"): e for e in response.json()["event_types"]}

    defaults = choices(world.editor.headers)
    assert defaults["post.failed"] == {"in_app": True, "email_instant": True, "email_digest": False}
    assert defaults["member.joined"] == {
        "in_app": True,
        "email_instant": False,
        "email_digest": False,
    }

    digest_only = {"in_app": False, "email_instant": False, "email_digest": True}
    put = world.api.put(
        "/v1/notifications/preferences",
        headers=world.editor.headers,
        json={"event_types": [{"event_type": "post.failed", **digest_only}]},
    )
    assert put.status_code == 200
    after = choices(world.editor.headers)
    assert after["post.failed"] == digest_only
    assert after["post.rejected"] == defaults["post.rejected"]
    assert choices(world.admin.headers)["post.failed"] == defaults["post.failed"]

    twice = world.api.put(
        "/v1/notifications/preferences",
        headers=world.editor.headers,
        json={"event_types": [{"event_type": "post.failed", **digest_only}] * 2},
    )
    unknown = world.api.put(
        "/v1/notifications/preferences",
        headers=world.editor.headers,
        json={"event_types": [{"event_type": "post.published", **digest_only}]},
    )
    assert (twice.status_code, unknown.status_code) == (422, 422)


def test_api_keys_cannot_read_notifications(notify_world: NotifyWorld) -> None:
    world = notify_world
    secret = world.herald.create_api_key(
        world.owner.account, world.workspace_id, [str(scope) for scope in Scope]
    )

    response = world.api.get("/v1/notifications", headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == 403


def test_another_members_or_workspaces_notification_is_not_found(
    notify_world: NotifyWorld,
) -> None:
    """OWASP API1 (BOLA): another member's notification and another workspace's answer 404,
    the same problem as an id that never existed, and nothing of the victim's changes."""
    world = notify_world
    three_requests(world)
    victim = world.notifications(world.admin)[0]["id"]
    alice = world.herald.sign_up("alice")
    alice_workspace = world.herald.create_workspace(alice, "Alice Tea")["id"]
    alice_headers = {**alice.headers, "X-Workspace-Id": alice_workspace}
    before = workspace_items(world.workspace_id)

    never = world.api.post(
        "/v1/notifications/01JB8X5Q0000000000000000ZZ/read", headers=alice_headers
    )
    same_workspace = world.api.post(f"/v1/notifications/{victim}/read", headers=world.owner.headers)
    other_workspace = world.api.post(f"/v1/notifications/{victim}/read", headers=alice_headers)
    naming_victims = world.api.get(
        "/v1/notifications",
        headers={**alice.headers, "X-Workspace-Id": world.workspace_id},
    )
    read_all = world.api.post("/v1/notifications/read-all", headers=alice_headers)
    cursor_of_victim = world.api.get(
        "/v1/notifications",
        headers=world.owner.headers,
        params={
            "cursor": world.api.get(
                "/v1/notifications", headers=world.admin.headers, params={"limit": 1}
            ).json()["next_cursor"]
        },
    )

    assert same_workspace.status_code == other_workspace.status_code == never.status_code == 404
    assert other_workspace.json()["detail"] == never.json()["detail"].replace(
        "01JB8X5Q0000000000000000ZZ", victim
    )
    assert naming_victims.status_code == 404
    assert read_all.json() == {"marked_read": 0}
    assert cursor_of_victim.status_code == 400
    assert workspace_items(world.workspace_id) == before
