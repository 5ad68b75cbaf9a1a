"""The local scheduler fires due one-time schedules stored in moto into in-process functions."""

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto.core.config import default_user_config

from infra.local.cloud import ACCOUNT, REGION, LocalCloud
from infra.local.runtime import InProcessLambdas, LocalFunction
from infra.local.scheduler import LocalScheduler
from tests.integration import scheduled_targets

GROUP = "herald-test"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/scheduler"
RECORD = LocalFunction(
    name="record",
    arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:record",
    handler="tests.integration.scheduled_targets.record",
)
HOLD = LocalFunction(
    name="hold",
    arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:hold",
    handler="tests.integration.scheduled_targets.hold",
)
FAIL = LocalFunction(
    name="fail",
    arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fail",
    handler="tests.integration.scheduled_targets.fail",
)


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    cloud = LocalCloud().start()
    yield cloud
    cloud.stop()


@pytest.fixture
def scheduler(cloud: LocalCloud) -> LocalScheduler:
    cloud.reset()
    scheduled_targets.received.clear()
    scheduled_targets.released.clear()
    cloud.client("scheduler").create_schedule_group(Name=GROUP)
    return LocalScheduler(cloud.client, InProcessLambdas([RECORD, HOLD, FAIL]), interval=0.05)


def at(moment: datetime) -> str:
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def create_schedule(
    cloud: LocalCloud,
    name: str,
    expression: str,
    *,
    target: str = RECORD.arn,
    payload: Any = None,
    timezone: str = "UTC",
    after: str = "DELETE",
    **extra: Any,
) -> None:
    target_spec: dict[str, Any] = {"Arn": target, "RoleArn": ROLE_ARN, **extra.pop("Target", {})}
    if payload is not None:
        target_spec["Input"] = json.dumps(payload)
    cloud.client("scheduler").create_schedule(
        Name=name,
        GroupName=GROUP,
        ScheduleExpression=expression,
        ScheduleExpressionTimezone=timezone,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target_spec,
        ActionAfterCompletion=after,
        **extra,
    )


def schedule_names(cloud: LocalCloud) -> set[str]:
    schedules = cloud.client("scheduler").list_schedules(GroupName=GROUP)["Schedules"]
    return {schedule["Name"] for schedule in schedules}


def test_a_due_schedule_delivers_its_input_once_then_is_deleted(
    cloud: LocalCloud, scheduler: LocalScheduler
) -> None:
    payload = {"post_id": "01JD5W3X8F2Q9Y7K6T4M2N1P0R", "workspace_id": "w1"}
    create_schedule(cloud, "post-1", at(datetime.now(UTC) - timedelta(minutes=1)), payload=payload)

    fired = scheduler.tick()

    assert fired == [f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{GROUP}/post-1"]
    assert scheduled_targets.received == [(payload, "record")]
    assert schedule_names(cloud) == set()
    assert scheduler.tick() == []
    assert len(scheduled_targets.received) == 1


def test_a_schedule_fires_only_once_it_is_due(cloud: LocalCloud, scheduler: LocalScheduler) -> None:
    now = datetime.now(UTC)
    create_schedule(cloud, "later", at(now + timedelta(hours=1)), payload={"n": 1})

    assert scheduler.tick(now) == []
    assert scheduled_targets.received == []
    assert schedule_names(cloud) == {"later"}

    assert len(scheduler.tick(now + timedelta(hours=1, seconds=1))) == 1
    assert scheduled_targets.received == [({"n": 1}, "record")]


def test_a_schedule_kept_after_completion_fires_once_per_expression(
    cloud: LocalCloud, scheduler: LocalScheduler
) -> None:
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    create_schedule(cloud, "kept", at(now), payload={"n": 1}, after="NONE")

    scheduler.tick(now)
    scheduler.tick(now + timedelta(minutes=5))

    assert scheduled_targets.received == [({"n": 1}, "record")]
    assert schedule_names(cloud) == {"kept"}

    # Rescheduling (an update to a new time) makes it fire again, at the new time.
    cloud.client("scheduler").update_schedule(
        Name="kept",
        GroupName=GROUP,
        ScheduleExpression=at(now + timedelta(hours=1)),
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": RECORD.arn, "RoleArn": ROLE_ARN, "Input": json.dumps({"n": 2})},
        ActionAfterCompletion="NONE",
    )
    assert scheduler.tick(now + timedelta(minutes=30)) == []
    scheduler.tick(now + timedelta(hours=1))

    assert [event for event, _ in scheduled_targets.received] == [{"n": 1}, {"n": 2}]


def test_at_is_read_in_the_schedule_timezone(cloud: LocalCloud, scheduler: LocalScheduler) -> None:
    now = datetime(2030, 6, 1, 10, 0, tzinfo=UTC)
    # 11:30 in Paris (UTC+2 in June) is 09:30 UTC: due, though 11:30 UTC would not be.
    create_schedule(
        cloud, "paris", "at(2030-06-01T11:30:00)", timezone="Europe/Paris", payload={"city": "P"}
    )
    # 09:30 in New York (UTC-4 in June) is 13:30 UTC: not due, though 09:30 UTC would be.
    create_schedule(
        cloud,
        "new-york",
        "at(2030-06-01T09:30:00)",
        timezone="America/New_York",
        payload={"city": "NY"},
    )

    scheduler.tick(now)

    assert scheduled_targets.received == [({"city": "P"}, "record")]
    assert schedule_names(cloud) == {"new-york"}


def test_a_disabled_schedule_does_not_fire(cloud: LocalCloud, scheduler: LocalScheduler) -> None:
    create_schedule(cloud, "off", "at(2020-01-01T00:00:00)", payload={}, State="DISABLED")

    assert scheduler.tick() == []
    assert scheduled_targets.received == []


def test_a_failed_delivery_goes_to_the_dead_letter_queue_and_is_logged(
    cloud: LocalCloud, scheduler: LocalScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    sqs = cloud.client("sqs")
    dlq_url = sqs.create_queue(QueueName="scheduler-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    create_schedule(
        cloud,
        "doomed",
        "at(2020-01-01T00:00:00)",
        target=FAIL.arn,
        payload={"post_id": "p1"},
        Target={"DeadLetterConfig": {"Arn": dlq_arn}},
    )

    with caplog.at_level(logging.ERROR, logger="infra.local.scheduler"):
        scheduler.tick()

    messages = sqs.receive_message(
        QueueUrl=dlq_url, MessageAttributeNames=["All"], WaitTimeSeconds=0
    )["Messages"]
    assert [json.loads(message["Body"]) for message in messages] == [{"post_id": "p1"}]
    attributes = messages[0]["MessageAttributes"]
    assert attributes["ERROR_CODE"]["StringValue"] == "RuntimeError"
    assert attributes["ERROR_MESSAGE"]["StringValue"] == "the platform is down"
    assert "doomed" in caplog.text
    assert "the platform is down" in caplog.text
    # As in AWS, the schedule is complete after its final (here: only) attempt.
    assert schedule_names(cloud) == set()


def test_a_schedule_can_target_a_queue(cloud: LocalCloud, scheduler: LocalScheduler) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="work")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    create_schedule(cloud, "to-queue", "at(2020-01-01T00:00:00)", target=arn, payload={"q": 1})

    scheduler.tick()

    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)["Messages"]
    assert [json.loads(message["Body"]) for message in messages] == [{"q": 1}]


def test_recurring_schedules_are_reported_once_and_never_fired(
    cloud: LocalCloud, scheduler: LocalScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    create_schedule(cloud, "sweeper", "rate(5 minutes)", payload={}, after="NONE")

    with caplog.at_level(logging.WARNING, logger="infra.local.scheduler"):
        scheduler.tick()
        scheduler.tick()

    assert scheduled_targets.received == []
    reports = [r for r in caplog.records if "rate(5 minutes)" in r.getMessage()]
    assert len(reports) == 1


def test_the_background_thread_fires_due_schedules(
    cloud: LocalCloud, scheduler: LocalScheduler
) -> None:
    create_schedule(cloud, "soon", at(datetime.now(UTC)), payload={"t": 1})

    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not scheduled_targets.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()

    assert scheduled_targets.received == [({"t": 1}, "record")]
    assert schedule_names(cloud) == set()


def test_the_background_thread_does_not_wait_for_a_busy_target(
    cloud: LocalCloud, scheduler: LocalScheduler
) -> None:
    # A publish worker waits up to a minute for its post's second; a schedule due meanwhile
    # still fires on time, as Scheduler invokes its targets asynchronously.
    now = datetime.now(UTC)
    create_schedule(cloud, "busy", at(now), target=HOLD.arn)
    create_schedule(cloud, "next", at(now + timedelta(seconds=1)), payload={"t": 2})

    scheduler.start()
    try:
        deadline = time.monotonic() + 5
        while not scheduled_targets.received and time.monotonic() < deadline:
            time.sleep(0.05)
        delivered_while_busy = list(scheduled_targets.received)
    finally:
        scheduled_targets.released.set()
        scheduler.stop()

    assert delivered_while_busy == [({"t": 2}, "record")]


def test_the_cloud_enables_execution_only_while_it_runs() -> None:
    # moto's configuration is process-wide; later mock_aws tests must find it as it was.
    before = dict(default_user_config["stepfunctions"])
    cloud = LocalCloud().start()
    try:
        assert default_user_config["stepfunctions"]["execute_state_machine"] is True
    finally:
        cloud.stop()

    assert default_user_config["stepfunctions"] == before
