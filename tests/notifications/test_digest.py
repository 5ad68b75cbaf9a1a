"""The daily digest: one email per member and workspace with the day's unread notifications,
for those who chose it; sent once even when the schedule runs twice."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.notifications.notify_world import NotifyWorld, mails

pytestmark = pytest.mark.usefixtures("notify_world")
DAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def run_digest(at: datetime) -> dict[str, object]:
    from functions.webhooks.workers.digest import handler
    from tests.support.events import lambda_context

    # A scheduled event, as EventBridge sends it to a rule's target:
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
    event = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/herald-digest"],
        "detail": {},
    }
    result: dict[str, object] = handler(event, lambda_context("herald-digest"))
    return result


def test_the_digest_lists_the_days_unread_notifications_once(notify_world: NotifyWorld) -> None:
    world = notify_world
    digest = {"in_app": True, "email_instant": False, "email_digest": True}
    response = world.api.put(
        "/v1/notifications/preferences",
        headers=world.admin.headers,
        json={
            "event_types": [
                {"event_type": "post.approval_requested", **digest},
                {"event_type": "member.joined", **digest},
            ]
        },
    )
    assert response.status_code == 200
    for minutes, post in enumerate(("01JB8X5Q00000000000000000A", "01JB8X5Q00000000000000000B")):
        world.notify(
            world.event(
                "post.approval_requested",
                {"post_id": post},
                occurred_at=DAY + timedelta(minutes=minutes),
            )
        )
    world.notify(world.event("member.joined", {"user_id": world.viewer.user_id}, occurred_at=DAY))
    # The next day's event waits for the next digest.
    world.notify(
        world.event(
            "member.removed", {"user_id": world.viewer.user_id}, occurred_at=DAY + timedelta(days=1)
        )
    )
    read_one = next(
        notification["id"]
        for notification in world.notifications(world.admin, unread="true")
        if notification["event_type"] == "post.approval_requested"
    )
    world.api.post(f"/v1/notifications/{read_one}/read", headers=world.admin.headers)

    first = run_digest(DAY.replace(hour=7) + timedelta(days=1))
    again = run_digest(DAY.replace(hour=7, minute=5) + timedelta(days=1))

    assert first == {"day": "2026-12-01", "sent": 1}
    assert again == {"day": "2026-12-01", "sent": 0}
    (email,) = mails(world.admin, "notification_digest")
    body = email.get_content()
    assert email["Subject"].endswith(": 2 unread")
    assert body.count("A post is waiting for approval") == 1
    assert body.count("A member joined the workspace") == 1
    assert "A member left" not in body
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["List-Unsubscribe"].startswith("<http")
    # Digest is opt-in: the owner kept the defaults.
    assert mails(world.owner, "notification_digest") == []
