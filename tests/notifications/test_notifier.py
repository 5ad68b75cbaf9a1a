"""The notifier: who receives each event (by role), once per event, honouring preferences."""

import boto3
import pytest

from functions.shared.settings import get_settings
from tests.notifications.notify_world import NotifyWorld, mails
from tests.support.snapshots import workspace_items

pytestmark = pytest.mark.usefixtures("notify_world")


def receivers(world: NotifyWorld) -> set[str]:
    return {
        role
        for role in ("owner", "admin", "editor", "viewer")
        if world.notifications(getattr(world, role))
    }


def test_an_approval_request_goes_to_admins_and_owners(notify_world: NotifyWorld) -> None:
    world = notify_world
    world.notify(
        world.event(
            "post.approval_requested",
            {"post_id": "01JB8X5Q0000000000000000AA", "actor": f"user:{world.editor.user_id}"},
        )
    )

    assert receivers(world) == {"owner", "admin"}
    (notification,) = world.notifications(world.admin)
    assert notification["event_type"] == "post.approval_requested"
    assert notification["link"]["post_id"] == "01JB8X5Q0000000000000000AA"
    assert notification["read_at"] is None


def test_a_failed_post_goes_to_its_author_and_the_admins(notify_world: NotifyWorld) -> None:
    world = notify_world
    for event_type in ("post.failed", "post.partially_failed"):
        world.notify(
            world.event(
                event_type,
                {
                    "post_id": "01JB8X5Q0000000000000000AB",
                    "created_by": f"user:{world.editor.user_id}",
                },
            )
        )

    assert receivers(world) == {"owner", "admin", "editor"}
    assert [n["event_type"] for n in world.notifications(world.editor)] == [
        "post.partially_failed",
        "post.failed",
    ]


def test_the_author_is_read_from_the_post_when_the_event_does_not_name_one(
    notify_world: NotifyWorld,
) -> None:
    world = notify_world
    boto3.client("dynamodb", region_name=get_settings().region).put_item(
        TableName=get_settings().table_name,
        Item={
            "PK": {"S": f"WS#{world.workspace_id}"},
            "SK": {"S": "POST#01JB8X5Q0000000000000000AC"},
            "created_by": {"S": f"user:{world.viewer.user_id}"},
        },
    )

    world.notify(world.event("post.approved", {"post_id": "01JB8X5Q0000000000000000AC"}))

    assert receivers(world) == {"viewer"}


def test_approval_decisions_go_to_the_author_only(notify_world: NotifyWorld) -> None:
    world = notify_world
    author = {"post_id": "01JB8X5Q0000000000000000AD", "created_by": f"user:{world.editor.user_id}"}
    world.notify(world.event("post.approved", author))
    world.notify(world.event("post.rejected", {**author, "comment": "Wrong logo"}))

    assert receivers(world) == {"editor"}
    rejected = world.notifications(world.editor)[0]
    assert rejected["event_type"] == "post.rejected"
    assert "Wrong logo" in rejected["body"]


def test_a_reconnect_goes_to_the_connector_and_the_admins(notify_world: NotifyWorld) -> None:
    world = notify_world
    boto3.client("dynamodb", region_name=get_settings().region).put_item(
        TableName=get_settings().table_name,
        Item={
            "PK": {"S": f"WS#{world.workspace_id}"},
            "SK": {"S": "ACCOUNT#01JB8X5Q0000000000000000AE"},
            "connected_by": {"S": f"user:{world.viewer.user_id}"},
        },
    )

    world.notify(
        world.event(
            "account.needs_reconnect",
            {"account_id": "01JB8X5Q0000000000000000AE", "reason": "token revoked"},
        )
    )

    assert receivers(world) == {"owner", "admin", "viewer"}


@pytest.mark.parametrize("event_type", ["member.joined", "member.removed"])
def test_membership_changes_go_to_the_admins_but_not_the_member(
    notify_world: NotifyWorld, event_type: str
) -> None:
    world = notify_world
    world.notify(world.event(event_type, {"user_id": world.admin.user_id, "role": "admin"}))

    assert receivers(world) == {"owner"}


def test_every_notified_type_is_a_catalogued_event() -> None:
    from functions.shared.event_catalogue import EVENT_TYPES
    from functions.webhooks.domain.notifications_rules import RULES

    assert set(RULES) <= set(EVENT_TYPES)


def test_a_disabled_endpoint_goes_to_the_admins(notify_world: NotifyWorld) -> None:
    world = notify_world
    world.notify(
        world.event("webhook.endpoint_disabled", {"endpoint_id": "01JB8X5Q0000000000000000AF"})
    )

    assert receivers(world) == {"owner", "admin"}


def test_events_that_notify_nobody_change_nothing(notify_world: NotifyWorld) -> None:
    world = notify_world
    before = workspace_items(world.workspace_id)

    world.notify(world.event("post.published", {"post_id": "01JB8X5Q0000000000000000AG"}))
    world.notify(world.event("media.asset.ready", {"asset_id": "01JB8X5Q0000000000000000AH"}))

    assert workspace_items(world.workspace_id) == before


def test_the_same_event_twice_makes_one_notification_and_one_email(
    notify_world: NotifyWorld,
) -> None:
    """The contract: a relayed duplicate carries the same id; consumers deduplicate by it."""
    world = notify_world
    event = world.event("post.approval_requested", {"post_id": "01JB8X5Q0000000000000000AJ"})

    first = world.notify(event)
    items_after_first = workspace_items(world.workspace_id)
    second = world.notify(event)

    assert first == {"delivered": 2}
    assert second == {"delivered": 0}
    assert workspace_items(world.workspace_id) == items_after_first
    assert len(world.notifications(world.admin)) == 1
    assert world.unread(world.admin) == 1
    assert len(mails(world.admin)) == 1


def test_urgent_events_are_emailed_at_once_by_default(notify_world: NotifyWorld) -> None:
    world = notify_world
    world.notify(world.event("post.failed", {"created_by": f"user:{world.editor.user_id}"}))
    world.notify(world.event("member.joined", {"user_id": world.viewer.user_id}))

    (email,) = mails(world.editor)
    assert email["Subject"].startswith("A post failed to publish")
    assert len(mails(world.owner)) == 1  # the failure; member.joined stays in the app


def test_preferences_decide_the_channels(notify_world: NotifyWorld) -> None:
    world = notify_world
    off = {"in_app": False, "email_instant": False, "email_digest": False}
    response = world.api.put(
        "/v1/notifications/preferences",
        headers=world.admin.headers,
        json={"event_types": [{"event_type": "post.approval_requested", **off}]},
    )
    assert response.status_code == 200, response.text

    world.notify(world.event("post.approval_requested", {"post_id": "01JB8X5Q0000000000000000AK"}))

    assert receivers(world) == {"owner"}
    assert mails(world.admin) == []
    assert world.unread(world.admin) == 0


def test_an_account_wide_email_switch_off_stops_those_emails_in_every_workspace(
    notify_world: NotifyWorld,
) -> None:
    """`/v1/me`'s `notifications` switches are account-wide: off, no email of those events
    (in-app notifications stay, and other members' emails are untouched)."""
    world = notify_world
    response = world.herald.client.patch(
        "/v1/me", headers=world.editor.headers, json={"notifications": {"post_failed": False}}
    )
    assert response.status_code == 200, response.text

    world.notify(world.event("post.failed", {"created_by": f"user:{world.editor.user_id}"}))
    world.notify(
        world.event("post.partially_failed", {"created_by": f"user:{world.editor.user_id}"})
    )

    assert mails(world.editor) == []
    assert len(world.notifications(world.editor)) == 2
    assert len(mails(world.owner)) == 2


@pytest.mark.parametrize("event_type", ["comment.received", "mention.received"])
def test_inbox_arrivals_go_in_app_to_the_connector_and_the_admins(
    notify_world: NotifyWorld, event_type: str
) -> None:
    world = notify_world
    boto3.client("dynamodb", region_name=get_settings().region).put_item(
        TableName=get_settings().table_name,
        Item={
            "PK": {"S": f"WS#{world.workspace_id}"},
            "SK": {"S": "ACCOUNT#01JB8X5Q0000000000000000AE"},
            "connected_by": {"S": f"user:{world.editor.user_id}"},
        },
    )

    world.notify(
        world.event(
            event_type,
            {"item_id": "01JB8X5Q0000000000000000AJ", "account_id": "01JB8X5Q0000000000000000AE"},
        )
    )

    assert receivers(world) == {"owner", "admin", "editor"}
    assert mails(world.editor) == []
