"""Posts from draft to published, through the schedule and the worker, with platforms faked at the
transport (respx). X: POST /2/tweets (https://docs.x.com/x-api/posts/create-or-edit-post)."""

import json
from datetime import UTC, datetime, timedelta

import respx

from functions.shared.settings import get_settings
from tests.publish.posts_world import X_TWEETS, later
from tests.publish.studio import Studio
from tests.support.event_bus import bus_listener, received


def test_a_post_goes_from_draft_to_published_on_every_target(studio: Studio) -> None:
    x = studio.connect("x", "2244994945", handle="heraldhq")
    sandbox = studio.sandbox()
    created = studio.create(
        text="Our spring menu is here",
        targets=[{"account_id": x}, {"account_id": sandbox}],
        labels=["launch"],
    )
    assert created["status"] == "draft"
    assert created["preflight"]["ok"] is True, created["preflight"]

    validated = studio.client.post(f"/v1/posts/{created['id']}/validate", headers=studio.headers)
    assert validated.json()["ok"] is True
    at = later()
    scheduled = studio.schedule(created["id"], at)
    assert scheduled["status"] == "scheduled"
    schedule = studio.stored_schedule(created["id"])
    # Armed a minute early: the worker waits for the post's second (see test_on_time.py).
    armed = datetime.fromisoformat(at).astimezone(UTC) - timedelta(minutes=1)
    assert schedule["ScheduleExpression"] == f"at({armed.strftime('%Y-%m-%dT%H:%M:%S')})"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == get_settings().publish_worker_arn
    assert schedule["Target"]["DeadLetterConfig"]["Arn"] == get_settings().scheduler_dead_letter_arn

    published_events = bus_listener("post.published")
    with respx.mock(assert_all_called=True) as platforms:
        tweet = platforms.post(X_TWEETS).respond(
            201, json={"data": {"id": "1445880548472328192", "text": "Our spring menu is here"}}
        )
        report = studio.fire(created["id"])

    assert report["result"]["outcome"] == "published"
    assert tweet.call_count == 1
    assert json.loads(tweet.calls.last.request.content) == {"text": "Our spring menu is here"}
    post = studio.post(created["id"])
    assert post["status"] == "published"
    states = {target["account_id"]: target for target in post["publishing"]}
    assert states[x]["state"] == "published"
    assert states[x]["platform_post_id"] == "1445880548472328192"
    assert states[sandbox]["state"] == "published"
    (event,) = received(published_events)
    assert event["detail-type"] == "post.published"
    assert event["detail"]["data"]["post_id"] == created["id"]
    assert {t["account_id"]: t["state"] for t in event["detail"]["data"]["targets"]} == {
        x: "published",
        sandbox: "published",
    }
