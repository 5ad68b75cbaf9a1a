"""On time, to the second: a post's schedule fires a minute early and the worker waits out the
rest, so the platform is called at the post's time whatever Scheduler's delay.

EventBridge Scheduler's documentation promises no precision below the minute for a one-time
schedule with `FlexibleTimeWindow` off (https://docs.aws.amazon.com/scheduler/latest/UserGuide/
managing-schedule-flexible-time-windows.html describes only the flexible window), and deliveries
are seen up to about a minute after the schedule's time. The worker's sleep is replaced by
moving the test clock, so every wait is measured exactly and nothing really sleeps. X's create
endpoint is faked with respx (https://docs.x.com/x-api/posts/create-or-edit-post).
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
import respx
import time_machine

from functions.publish.domain import publishing
from functions.publish.domain.schedule_arming import FIRE_LEAD
from functions.shared.settings import get_settings
from infra.local.runtime import InProcessLambdas, LocalFunction
from infra.local.scheduler import LocalScheduler
from tests.publish.posts_world import X_TWEETS
from tests.publish.studio import WORKER_NAME, Studio, armed_time, run_worker, run_worker_at

X_USER = "2244994945"


@pytest.fixture
def x_account(studio: Studio) -> str:
    return studio.connect("x", X_USER)


def scheduled(studio: Studio, account_id: str) -> tuple[datetime, str, datetime, dict[str, Any]]:
    """A post scheduled ten minutes ahead, to the second: its time, id, schedule time and the
    event its schedule delivers."""
    at = (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)
    created = studio.create(text="On time", targets=[{"account_id": account_id}])
    studio.schedule(created["id"], at.isoformat())
    armed, event = schedule_event(studio, created["id"])
    return at, created["id"], armed, event


class PlatformClock:
    """X's create endpoint, recording the (test) time of each call."""

    def __init__(self, platforms: respx.MockRouter) -> None:
        self.called_at: list[datetime] = []
        self.route = platforms.post(X_TWEETS).mock(side_effect=self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.called_at.append(datetime.now(UTC))
        number = len(self.called_at)
        return httpx.Response(201, json={"data": {"id": str(9000 + number), "text": "On time"}})


@pytest.fixture
def platform() -> Iterator[PlatformClock]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as platforms:
        yield PlatformClock(platforms)


def schedule_event(studio: Studio, post_id: str) -> tuple[datetime, dict[str, Any]]:
    schedule = studio.stored_schedule(post_id)
    event: dict[str, Any] = json.loads(schedule["Target"]["Input"])
    return armed_time(schedule), event


def test_the_schedule_is_armed_a_lead_before_the_requested_time(
    studio: Studio, x_account: str
) -> None:
    at, post_id, armed, _ = scheduled(studio, x_account)
    assert timedelta(seconds=60) == FIRE_LEAD
    assert armed == at - FIRE_LEAD
    # The post itself still says the requested second.
    assert studio.post(post_id)["scheduled_at"] == at.isoformat()


def test_a_firing_at_the_armed_time_waits_exactly_the_rest_then_publishes(
    studio: Studio, x_account: str, platform: PlatformClock
) -> None:
    at, post_id, armed, event = scheduled(studio, x_account)

    result, slept = run_worker_at(armed, event)

    assert result["result"]["outcome"] == "published"
    assert slept == [60.0]
    assert platform.called_at == [at]
    assert studio.post(post_id)["status"] == "published"


def test_a_firing_delayed_by_scheduler_waits_only_what_is_left(
    studio: Studio, x_account: str, platform: PlatformClock
) -> None:
    at, _, armed, event = scheduled(studio, x_account)

    result, slept = run_worker_at(armed + timedelta(seconds=42, microseconds=500_000), event)

    assert result["result"]["outcome"] == "published"
    assert slept == [17.5]
    assert platform.called_at == [at]


def test_a_firing_after_the_time_publishes_at_once(
    studio: Studio, x_account: str, platform: PlatformClock
) -> None:
    at, _, _, event = scheduled(studio, x_account)

    result, slept = run_worker_at(at + timedelta(seconds=30), event)

    assert result["result"]["outcome"] == "published"
    assert slept == []
    assert platform.called_at == [at + timedelta(seconds=30)]


def test_a_firing_earlier_than_the_lead_publishes_nothing_and_the_sweeper_publishes_without_waiting(
    studio: Studio, x_account: str, platform: PlatformClock
) -> None:
    at, post_id, _, event = scheduled(studio, x_account)

    result, slept = run_worker_at(at - timedelta(minutes=5), event)

    assert result["result"] == {"outcome": "early", "targets": {}}
    assert slept == []
    assert platform.called_at == []
    assert studio.post(post_id)["status"] == "scheduled"

    # The sweeper finds the post two minutes after its time and publishes it there and then.
    swept_at = at + timedelta(minutes=2, seconds=5)
    swept, slept = run_worker_at(swept_at, {"herald": "sweep"})
    assert swept["result"]["posts_fired"] == 1
    assert slept == []
    assert platform.called_at == [swept_at]
    assert studio.post(post_id)["status"] == "published"


def test_a_duplicate_firing_publishes_once_with_or_without_the_idempotency_layer(
    studio: Studio, x_account: str, platform: PlatformClock
) -> None:
    at, post_id, armed, event = scheduled(studio, x_account)

    first, _ = run_worker_at(armed, event)
    again, slept = run_worker_at(armed + timedelta(seconds=30), event)
    # Without the idempotency layer the conditional claim alone refuses the second firing.
    with time_machine.travel(at + timedelta(seconds=40), tick=False):
        bare = publishing.fire_post(studio.workspace_id, post_id, event["fire_id"])

    assert first["result"]["outcome"] == "published"
    assert again["result"]["outcome"] == "published"  # the stored result of the first
    assert slept == []
    assert bare.outcome == "stale"
    assert platform.called_at == [at]


def test_a_firing_for_a_moved_post_does_nothing(
    studio: Studio, x_account: str, platform: PlatformClock
) -> None:
    at, post_id, old_armed, old_event = scheduled(studio, x_account)
    moved_to = at + timedelta(hours=1)
    studio.schedule(post_id, moved_to.isoformat())

    result, slept = run_worker_at(old_armed, old_event)

    assert result["result"]["outcome"] == "stale"
    assert slept == []
    assert platform.called_at == []
    # Its own schedule publishes it at the new time.
    new_armed, new_event = schedule_event(studio, post_id)
    assert new_armed == moved_to - FIRE_LEAD
    run_worker_at(new_armed, new_event)
    assert platform.called_at == [moved_to]


def test_a_post_moved_while_its_firing_waits_is_not_published(
    studio: Studio, x_account: str, platform: PlatformClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, post_id, armed, event = scheduled(studio, x_account)
    moved_to = at + timedelta(hours=1)

    with time_machine.travel(armed, tick=False) as clock:

        def rescheduled_meanwhile(seconds: float) -> None:
            studio.schedule(post_id, moved_to.isoformat())
            clock.shift(seconds)

        monkeypatch.setattr(publishing, "sleep", rescheduled_meanwhile)
        result = run_worker(event)

    assert result["result"]["outcome"] == "stale"
    assert platform.called_at == []
    assert studio.post(post_id)["scheduled_at"] == moved_to.isoformat()


def test_the_local_scheduler_fires_at_the_armed_time_and_the_post_goes_out_on_time(
    studio: Studio, x_account: str, platform: PlatformClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, post_id, armed, _ = scheduled(studio, x_account)
    region = get_settings().region
    worker = LocalFunction(
        name=WORKER_NAME,
        arn=get_settings().publish_worker_arn,
        handler="functions.publish.workers.publisher.handler",
        timeout_seconds=900,
    )

    def clients(service: str) -> Any:
        return boto3.client(service, region_name=region)  # type: ignore[call-overload]

    scheduler = LocalScheduler(clients, InProcessLambdas([worker]))

    with time_machine.travel(armed - timedelta(seconds=1), tick=False) as clock:
        monkeypatch.setattr(publishing, "sleep", clock.shift)
        assert scheduler.tick(armed - timedelta(seconds=1)) == []
        clock.shift(1)
        assert len(scheduler.tick(armed)) == 1

    assert platform.called_at == [at]
    assert studio.post(post_id)["status"] == "published"
