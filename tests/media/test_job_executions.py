"""Executions that end without their workflow recording it: the job is failed, never left running.

The handler receives EventBridge's "Step Functions Execution Status Change" events of the media
job state machine (the rule is tested in tests/infra/test_media_jobs.py). Event shape:
https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
"""

import json
from typing import Any

import pytest

from functions.media.adapters import job_items
from functions.media.adapters.job_items import JobStatus
from functions.media.workers import job_executions
from tests.media.job_world import WORKSPACE, job_of, new_job
from tests.support.event_bus import bus_listener, received

STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:herald-test-media-jobs"


def status_change(state: dict[str, Any], status: str) -> dict[str, Any]:
    """The event as EventBridge delivers it (documented example, fields trimmed)."""
    execution = (
        f"arn:aws:states:us-east-1:123456789012:execution:herald-test-media-jobs:{state['job_id']}"
    )
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "123456789012",
        "time": "2026-12-04T16:40:00Z",
        "region": "us-east-1",
        "resources": [execution],
        "detail": {
            "executionArn": execution,
            "stateMachineArn": STATE_MACHINE,
            "name": state["job_id"],
            "status": status,
            "startDate": 1764866400000,
            "stopDate": 1764867300000,
            "input": json.dumps(state),
            "output": None,
            "inputDetails": {"included": True},
            "outputDetails": None,
        },
    }


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("TIMED_OUT", "The job ran out of time. Try a shorter clip."),
        ("ABORTED", "The job was stopped on our side before it finished; try again."),
        (
            "FAILED",
            "The job stopped because of an error on our side, not in your files. It has been "
            "logged; try again later.",
        ),
    ],
)
def test_a_job_still_running_when_its_execution_ends_is_failed_and_announced(
    media_bucket: str, status: str, message: str
) -> None:
    events = bus_listener("media.job_failed")
    state = new_job(
        WORKSPACE, {"type": "reframe", "asset_id": "01JC0000000000000000ASSET1", "preset": "story"}
    )
    assert job_items.enter_step(WORKSPACE, state["job_id"], "process", percent=40)

    job_executions.handler(status_change(state, status), None)

    job = job_of(state)
    assert (job.status, job.error) == ("failed", message)
    assert job.step is None
    assert job.finished_at is not None
    [event] = received(events)
    assert (event["source"], event["detail-type"]) == ("herald.media", "media.job_failed")
    assert event["detail"] == {
        "workspace_id": WORKSPACE,
        "job_id": state["job_id"],
        "operation": "reframe",
        "error": message,
    }


@pytest.mark.parametrize("ended", ["failed", "cancelled", "succeeded"])
def test_a_job_that_has_ended_is_left_as_it_is(media_bucket: str, ended: JobStatus) -> None:
    """RecordFailure, a cancel or success came first: the event (even delivered twice) changes
    nothing and announces nothing."""
    events = bus_listener("media.job_failed")
    state = new_job(
        WORKSPACE, {"type": "reframe", "asset_id": "01JC0000000000000000ASSET1", "preset": "story"}
    )
    assert job_items.finish(WORKSPACE, state["job_id"], ended, error="Clip 1 is damaged.")
    before = job_of(state).attribute_values

    job_executions.handler(status_change(state, "FAILED"), None)
    job_executions.handler(status_change(state, "ABORTED"), None)

    assert job_of(state).attribute_values == before
    assert received(events) == []
