"""The media group's events: an execution that ends without its workflow recording it fails its
job (never left running); a deleted workspace's files are deleted.

The handler receives EventBridge's "Step Functions Execution Status Change" events of the media
job state machine (the rule is tested in tests/infra/test_media_jobs.py). Event shape:
https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
"""

import json
from typing import Any

import boto3
import pytest

from functions.media.adapters import job_items
from functions.media.adapters.job_items import JobStatus
from functions.media.workers import events as media_events
from functions.shared.settings import get_settings
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
    events = bus_listener("media.job.failed")
    state = new_job(
        WORKSPACE, {"type": "reframe", "asset_id": "01JC0000000000000000ASSET1", "preset": "story"}
    )
    assert job_items.enter_step(WORKSPACE, state["job_id"], "process", percent=40)

    media_events.handler(status_change(state, status), None)

    job = job_of(state)
    assert (job.status, job.error) == ("failed", message)
    assert job.step is None
    assert job.finished_at is not None
    [event] = received(events)
    assert (event["source"], event["detail-type"]) == ("herald.media", "media.job.failed")
    assert event["detail"]["workspace_id"] == WORKSPACE
    assert event["detail"]["data"] == {
        "job_id": state["job_id"],
        "operation": "reframe",
        "error": message,
    }


@pytest.mark.parametrize("ended", ["failed", "cancelled", "succeeded"])
def test_a_job_that_has_ended_is_left_as_it_is(media_bucket: str, ended: JobStatus) -> None:
    """RecordFailure, a cancel or success came first: the event (even delivered twice) changes
    nothing and announces nothing."""
    events = bus_listener("media.job.failed")
    state = new_job(
        WORKSPACE, {"type": "reframe", "asset_id": "01JC0000000000000000ASSET1", "preset": "story"}
    )
    assert job_items.finish(WORKSPACE, state["job_id"], ended, error="Clip 1 is damaged.")
    before = job_of(state).attribute_values

    media_events.handler(status_change(state, "FAILED"), None)
    media_events.handler(status_change(state, "ABORTED"), None)

    assert job_of(state).attribute_values == before
    assert received(events) == []


def workspace_deleted(workspace_id: str) -> dict[str, Any]:
    """Auth's event as Herald's bus delivers it (functions/auth/domain/workspaces.py)."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "workspace.deleted",
        "source": "herald.auth",
        "account": "123456789012",
        "time": "2026-12-04T16:40:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "id": "evt_01JC000000000000000000EVT1",
            "type": "workspace.deleted",
            "version": 1,
            "workspace_id": workspace_id,
            "occurred_at": "2026-12-04T16:40:00Z",
            "data": {"deleted_by": "user:01JC00000000000000000USER"},
        },
    }


def test_a_deleted_workspaces_files_are_all_deleted_and_no_other(media_bucket: str) -> None:
    s3 = boto3.client("s3", region_name=get_settings().region)
    other = "01JC0000000000000000000WS2"
    mine = [
        f"workspaces/{WORKSPACE}/uploads/01JC0000000000000000UPLOAD",
        *(f"workspaces/{WORKSPACE}/media/01JC00000000000000ASSET{n:03}/original" for n in range(3)),
        f"workspaces/{WORKSPACE}/media/01JC00000000000000ASSET000/thumbnail.jpg",
    ]
    kept = [f"workspaces/{other}/media/01JC00000000000000ASSET000/original"]
    for key in mine + kept:
        s3.put_object(Bucket=media_bucket, Key=key, Body=b"bytes")

    media_events.handler(workspace_deleted(WORKSPACE), None)
    media_events.handler(workspace_deleted(WORKSPACE), None)  # delivered twice: no harm

    listed = s3.list_objects_v2(Bucket=media_bucket).get("Contents", [])
    assert [found["Key"] for found in listed] == kept


def test_an_event_of_another_kind_is_refused(media_bucket: str) -> None:
    with pytest.raises(ValueError, match=r"takes no 'media\.job\.failed' event"):
        media_events.handler({"detail-type": "media.job.failed", "detail": {}}, None)
