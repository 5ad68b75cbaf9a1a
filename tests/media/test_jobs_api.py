"""The media jobs API over HTTP: inputs checked before anything starts, tenancy, roles, cancel.

The state machine is registered in moto, which records executions without running them (the
steps are tested in test_job_steps.py, the whole workflow in tests/e2e/test_media_jobs.py), so
each test sees exactly which executions the API started and stopped.
"""

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from ulid import ULID

from functions.media.adapters.job_items import MediaJobItem, finish
from functions.shared.media_items import MediaAssetItem
from functions.shared.settings import get_settings
from functions.shared.storage import workspace_key
from tests.support.auth_world import Account, Herald

VIDEO_PROBE: dict[str, Any] = {
    "container": "mov,mp4,m4a,3gp,3g2,mj2",
    "width": 1920,
    "height": 1080,
    "rotation": 0,
    "duration_seconds": 8.0,
    "frame_rate": 25.0,
    "video_codec": "h264",
    "audio_codec": "aac",
    "audio_channels": 2,
    "audio_sample_rate": 48_000,
    "bit_rate": 2_000_000,
    "faststart": True,
}
AUDIO_PROBE: dict[str, Any] = {
    "container": "mp3",
    "duration_seconds": 30.0,
    "audio_codec": "mp3",
    "audio_channels": 2,
    "audio_sample_rate": 44_100,
    "bit_rate": 192_000,
}
IMAGE_PROBE: dict[str, Any] = {"container": "JPEG", "width": 1080, "height": 1080}


def stepfunctions() -> Any:
    return boto3.client("stepfunctions", region_name=get_settings().region)


@pytest.fixture
def workflow(cloud: None) -> str:
    """The media job state machine at the ARN the settings name; its executions only wait."""
    arn = get_settings().media_jobs_state_machine_arn
    created = stepfunctions().create_state_machine(
        name=arn.rsplit(":", 1)[1],
        definition=json.dumps(
            {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}
        ),
        roleArn="arn:aws:iam::123456789012:role/media-jobs",
    )
    assert created["stateMachineArn"] == arn
    return arn


def executions(state_machine_arn: str) -> dict[str, dict[str, Any]]:
    """Every execution of the machine by name, with its status and input."""
    listed = stepfunctions().list_executions(stateMachineArn=state_machine_arn)["executions"]
    return {
        execution["name"]: stepfunctions().describe_execution(
            executionArn=execution["executionArn"]
        )
        for execution in listed
    }


@dataclass
class Studio:
    owner: Account
    workspace_id: str

    @property
    def headers(self) -> dict[str, str]:
        return as_member(self.owner, self.workspace_id)


def as_member(account: Account, workspace_id: str) -> dict[str, str]:
    return account.headers | {"X-Workspace-Id": workspace_id}


@pytest.fixture
def studio(herald: Herald) -> Studio:
    owner = herald.sign_up("owner")
    return Studio(owner, herald.create_workspace(owner)["id"])


def add_asset(workspace_id: str, kind: str = "video", **probe: Any) -> str:
    """An asset of the library as the upload flow leaves it, with what probing found."""
    asset_id = str(ULID())
    found = {"video": VIDEO_PROBE, "audio": AUDIO_PROBE, "image": IMAGE_PROBE}[kind] | probe
    suffix = {"video": "mp4", "audio": "mp3", "image": "jpg"}[kind]
    MediaAssetItem(
        *MediaAssetItem.keys(workspace_id, asset_id),
        asset_id=asset_id,
        workspace_id=workspace_id,
        kind=kind,
        name=f"beach.{suffix}",
        content_type={"video": "video/mp4", "audio": "audio/mpeg", "image": "image/jpeg"}[kind],
        size_bytes=1_000_000,
        object_key=workspace_key(workspace_id, "media", asset_id, f"beach.{suffix}"),
        created_by="user:01JBCDEFGHJKMNPQRSTVWXYZ00",
        **found,
    ).save()
    return asset_id


def reframe(asset_id: str) -> dict[str, Any]:
    return {"type": "reframe", "asset_id": asset_id, "preset": "story", "mode": "blur"}


def start(media: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = media.post("/v1/media/jobs", json=body, headers=headers)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    return job


def job_items_of(workspace_id: str) -> list[MediaJobItem]:
    return list(MediaJobItem.query(f"WS#{workspace_id}", MediaJobItem.sk.startswith("JOB#")))


def activity(herald: Herald, studio: Studio) -> list[dict[str, Any]]:
    response = herald.client.get(
        f"/v1/workspaces/{studio.workspace_id}/activity", headers=studio.owner.headers
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_job_is_recorded_and_its_execution_started_under_the_jobs_id(
    herald: Herald, media: TestClient, studio: Studio, workflow: str
) -> None:
    video = add_asset(studio.workspace_id)

    job = start(media, studio.headers, reframe(video))

    assert job["status"] == "queued"
    assert job["percent"] == 0
    assert job["operation"] == reframe(video)
    assert job["input_asset_ids"] == [video]
    assert job["created_by"] == f"user:{studio.owner.user_id}"
    assert (job["error"], job["output_asset_id"], job["finished_at"]) == (None, None, None)
    [(name, execution)] = executions(workflow).items()
    assert name == job["id"]
    assert execution["status"] == "RUNNING"
    assert json.loads(execution["input"]) == {
        "workspace_id": studio.workspace_id,
        "job_id": job["id"],
    }
    [item] = job_items_of(studio.workspace_id)
    assert item.execution_arn == execution["executionArn"]
    read = media.get(f"/v1/media/jobs/{job['id']}", headers=studio.headers)
    assert read.status_code == 200
    assert read.json() == job | {"updated_at": read.json()["updated_at"]}
    [entry, *_] = activity(herald, studio)
    assert (entry["action"], entry["target"]) == ("media_job.created", f"media_job:{job['id']}")
    assert entry["details"] == {"type": "reframe", "inputs": [video]}


def test_every_operation_with_fitting_inputs_starts(
    media: TestClient, studio: Studio, workflow: str
) -> None:
    ws = studio.workspace_id
    video, second, music = add_asset(ws), add_asset(ws), add_asset(ws, "audio")
    bodies = [
        reframe(video),
        {"type": "merge", "asset_ids": [video, second, video]},
        {"type": "trim", "asset_id": video, "start_seconds": 1, "end_seconds": 8},
        {"type": "trim", "asset_id": music, "end_seconds": 10},
        {"type": "audio", "asset_id": music, "loudness_lufs": -14, "format": "aac"},
        {"type": "music", "asset_id": video, "music_asset_id": music, "mode": "replace"},
        {"type": "extract_audio", "asset_id": video, "format": "wav"},
        {"type": "thumbnail", "asset_id": video, "at_seconds": 7.5},
    ]

    jobs = [start(media, studio.headers, body) for body in bodies]

    assert [job["operation"]["type"] for job in jobs] == [body["type"] for body in bodies]
    assert set(executions(workflow)) == {job["id"] for job in jobs}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "missing asset",
            (
                "1 input cannot be used for this job.",
                [("/body/asset_id", "not_found", "is not in this workspace's library")],
            ),
        ),
        (
            "another workspace's asset",
            (
                "1 input cannot be used for this job.",
                [("/body/asset_id", "not_found", "is not in this workspace's library")],
            ),
        ),
        (
            "an image to reframe",
            (
                "1 input cannot be used for this job.",
                [("/body/asset_id", "wrong_kind", "is an image; a reframe job takes a video.")],
            ),
        ),
        (
            "an audio file among the clips to merge",
            (
                "2 inputs cannot be used for this job.",
                [
                    ("/body/asset_ids/1", "wrong_kind", "is an audio; a merge job takes a video."),
                    ("/body/asset_ids/2", "not_found", "is not in this workspace's library"),
                ],
            ),
        ),
        (
            "an image as the music",
            (
                "1 input cannot be used for this job.",
                [
                    (
                        "/body/music_asset_id",
                        "wrong_kind",
                        "is an image; a music job takes a video or an audio.",
                    )
                ],
            ),
        ),
        (
            "a trim past the end",
            ("This job cannot run: the trim end 12 s is after the clip's end 8.0 s.", []),
        ),
        (
            "sound from a silent video",
            ("This job cannot run: the file has no audio stream.", []),
        ),
        (
            "a thumbnail after the end",
            ("This job cannot run: the thumbnail time 9 s is after the video's end 8.0 s.", []),
        ),
    ],
)
def test_inputs_are_checked_before_anything_starts(
    herald: Herald,
    media: TestClient,
    studio: Studio,
    workflow: str,
    case: str,
    expected: tuple[str, list[tuple[str, str, str]]],
) -> None:
    ws = studio.workspace_id
    video, audio, image = add_asset(ws), add_asset(ws, "audio"), add_asset(ws, "image")
    silent = add_asset(ws, audio_codec=None, audio_channels=None, audio_sample_rate=None)
    other_owner = herald.sign_up("other")
    foreign = add_asset(herald.create_workspace(other_owner, "Other")["id"])
    body = {
        "missing asset": reframe(str(ULID())),
        "another workspace's asset": reframe(foreign),
        "an image to reframe": reframe(image),
        "an audio file among the clips to merge": {
            "type": "merge",
            "asset_ids": [video, audio, foreign],
        },
        "an image as the music": {"type": "music", "asset_id": video, "music_asset_id": image},
        "a trim past the end": {"type": "trim", "asset_id": video, "end_seconds": 12},
        "sound from a silent video": {"type": "extract_audio", "asset_id": silent},
        "a thumbnail after the end": {"type": "thumbnail", "asset_id": video, "at_seconds": 9},
    }[case]
    detail, errors = expected

    response = media.post("/v1/media/jobs", json=body, headers=studio.headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"] == detail
    found = [
        (error["pointer"], error["code"], error["detail"]) for error in problem.get("errors", [])
    ]
    assert [(pointer, code) for pointer, code, _ in found] == [(p, c) for p, c, _ in errors]
    for (_, _, said), (_, _, wanted) in zip(found, errors, strict=True):
        assert wanted in said
    assert job_items_of(ws) == []
    assert executions(workflow) == {}
    assert [entry["action"] for entry in activity(herald, studio)] == ["workspace.created"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"type": "sharpen", "asset_id": "x"}, "/body"),
        ({"type": "reframe", "asset_id": "x", "preset": "cinema"}, "/body/preset"),
        ({"type": "merge", "asset_ids": ["only-one"]}, "/body/asset_ids"),
        ({"type": "trim", "asset_id": "x", "start_seconds": 5, "end_seconds": 2}, "/body"),
    ],
)
def test_a_malformed_operation_is_a_422_naming_the_field(
    media: TestClient, studio: Studio, workflow: str, body: dict[str, Any], pointer: str
) -> None:
    response = media.post("/v1/media/jobs", json=body, headers=studio.headers)

    assert response.status_code == 422
    # The pointer leads into the request as sent: no union tag (`/body/reframe/preset`).
    assert [error["pointer"] for error in response.json()["errors"]] == [pointer]
    assert executions(workflow) == {}


def test_a_job_on_a_full_library_is_refused_before_anything_starts(
    herald: Herald,
    media: TestClient,
    studio: Studio,
    workflow: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.media.adapters import asset_items
    from functions.media.domain import quotas
    from functions.shared.tables import transaction

    monkeypatch.setattr(quotas, "quota_bytes", lambda: 5_000_000)
    with transaction() as write:
        asset_items.charge(write, studio.workspace_id, 5_000_000, quota_bytes=5_000_000)
    video = add_asset(studio.workspace_id)

    response = media.post("/v1/media/jobs", json=reframe(video), headers=studio.headers)

    assert response.status_code == 403, response.text
    assert response.json()["type"] == "urn:herald:problem:quota"
    assert response.json()["detail"] == (
        "The media library is full (5000000 bytes used of its 5000000 bytes quota), so the "
        "job's result could not be kept. Delete assets you no longer need to make room."
    )
    assert job_items_of(studio.workspace_id) == []
    assert executions(workflow) == {}
    assert [entry["action"] for entry in activity(herald, studio)] == ["workspace.created"]


def test_a_workflow_that_cannot_start_leaves_no_job_behind(
    herald: Herald, media: TestClient, studio: Studio
) -> None:
    """No state machine at the configured ARN: Step Functions refuses, so nothing is kept."""
    video = add_asset(studio.workspace_id)

    response = media.post("/v1/media/jobs", json=reframe(video), headers=studio.headers)

    assert response.status_code == 503
    assert response.json()["detail"] == "The job could not be started; try again in a moment."
    assert job_items_of(studio.workspace_id) == []
    assert [entry["action"] for entry in activity(herald, studio)] == ["workspace.created"]


def test_cancel_stops_the_execution_and_a_finished_job_cannot_be_cancelled(
    herald: Herald, media: TestClient, studio: Studio, workflow: str
) -> None:
    job = start(media, studio.headers, reframe(add_asset(studio.workspace_id)))

    cancelled = media.delete(f"/v1/media/jobs/{job['id']}", headers=studio.headers)
    again = media.delete(f"/v1/media/jobs/{job['id']}", headers=studio.headers)

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["finished_at"] is not None
    assert executions(workflow)[job["id"]]["status"] == "ABORTED"
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"Job {job['id']} has already cancelled; only a queued or running job can be cancelled."
    )
    assert [entry["action"] for entry in activity(herald, studio)][:2] == [
        "media_job.cancelled",
        "media_job.created",
    ]

    done = start(media, studio.headers, reframe(add_asset(studio.workspace_id)))
    assert finish(studio.workspace_id, done["id"], "failed", error="Clip 1 has no video stream.")
    refused = media.delete(f"/v1/media/jobs/{done['id']}", headers=studio.headers)
    assert refused.status_code == 409
    assert media.get(f"/v1/media/jobs/{done['id']}", headers=studio.headers).json()["status"] == (
        "failed"
    )
    assert executions(workflow)[done["id"]]["status"] == "RUNNING"


def test_the_list_is_newest_first_page_by_page(
    media: TestClient, studio: Studio, workflow: str
) -> None:
    video = add_asset(studio.workspace_id)
    started = [start(media, studio.headers, reframe(video))["id"] for _ in range(3)]

    first = media.get("/v1/media/jobs?limit=2", headers=studio.headers).json()
    second = media.get(
        f"/v1/media/jobs?limit=2&cursor={first['next_cursor']}", headers=studio.headers
    ).json()

    assert [job["id"] for job in first["items"] + second["items"]] == started[::-1]
    assert second["next_cursor"] is None


def test_other_workspaces_get_404_on_every_jobs_endpoint(
    herald: Herald, media: TestClient, studio: Studio, workflow: str
) -> None:
    video = add_asset(studio.workspace_id)
    job = start(media, studio.headers, reframe(video))
    stranger = herald.sign_up("stranger")
    elsewhere = herald.create_workspace(stranger, "Elsewhere")["id"]
    before = [item.attribute_values for item in job_items_of(studio.workspace_id)]

    # A stranger naming the studio's workspace: the workspace itself is not found.
    as_stranger_there = as_member(stranger, studio.workspace_id)
    answers = {
        "create": media.post("/v1/media/jobs", json=reframe(video), headers=as_stranger_there),
        "list": media.get("/v1/media/jobs", headers=as_stranger_there),
        "read": media.get(f"/v1/media/jobs/{job['id']}", headers=as_stranger_there),
        "cancel": media.delete(f"/v1/media/jobs/{job['id']}", headers=as_stranger_there),
    }
    # The stranger in their own workspace: the studio's job is not found there.
    at_home = as_member(stranger, elsewhere)
    from_home = {
        "read": media.get(f"/v1/media/jobs/{job['id']}", headers=at_home),
        "cancel": media.delete(f"/v1/media/jobs/{job['id']}", headers=at_home),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        answers, 404
    )
    assert {name: answer.json()["detail"] for name, answer in from_home.items()} == dict.fromkeys(
        from_home, f"Job {job['id']} was not found."
    )
    assert {name: answer.status_code for name, answer in from_home.items()} == dict.fromkeys(
        from_home, 404
    )
    assert media.get("/v1/media/jobs", headers=at_home).json()["items"] == []
    # Nothing of the studio's changed, and nothing more started.
    assert [item.attribute_values for item in job_items_of(studio.workspace_id)] == before
    assert list(executions(workflow)) == [job["id"]]
    assert executions(workflow)[job["id"]]["status"] == "RUNNING"


def test_viewers_read_and_editors_write(
    herald: Herald, media: TestClient, studio: Studio, workflow: str
) -> None:
    viewer, editor = herald.sign_up("viewer"), herald.sign_up("editor")
    herald.add_member(studio.owner, studio.workspace_id, viewer, "viewer")
    herald.add_member(studio.owner, studio.workspace_id, editor, "editor")
    as_viewer = as_member(viewer, studio.workspace_id)
    as_editor = as_member(editor, studio.workspace_id)
    video = add_asset(studio.workspace_id)

    job = start(media, as_editor, reframe(video))
    refused_start = media.post("/v1/media/jobs", json=reframe(video), headers=as_viewer)
    refused_cancel = media.delete(f"/v1/media/jobs/{job['id']}", headers=as_viewer)
    read = media.get(f"/v1/media/jobs/{job['id']}", headers=as_viewer)
    listed = media.get("/v1/media/jobs", headers=as_viewer)
    cancelled = media.delete(f"/v1/media/jobs/{job['id']}", headers=as_editor)

    for refused in (refused_start, refused_cancel):
        assert refused.status_code == 403
        assert refused.json()["detail"] == "This needs the editor role or above; yours is viewer."
    assert read.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [job["id"]]
    assert cancelled.json()["status"] == "cancelled"
    assert list(executions(workflow)) == [job["id"]]


def test_api_keys_need_media_read_to_read_and_media_write_to_write(
    herald: Herald, media: TestClient, studio: Studio, workflow: str
) -> None:
    def key(scopes: list[str]) -> dict[str, str]:
        response = herald.client.post(
            f"/v1/workspaces/{studio.workspace_id}/api-keys",
            json={"name": "Zapier", "scopes": scopes},
            headers=studio.owner.headers,
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['key']}"}

    reader, writer = key(["media:read"]), key(["media:write", "media:read"])
    video = add_asset(studio.workspace_id)

    job = start(media, writer, reframe(video))
    refused = media.post("/v1/media/jobs", json=reframe(video), headers=reader)
    read = media.get(f"/v1/media/jobs/{job['id']}", headers=reader)

    assert job["created_by"].startswith("api_key:")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This API key lacks the `media:write` scope."
    assert read.status_code == 200
