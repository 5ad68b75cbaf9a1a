"""A media job end to end through `make dev`'s stack: a real server process, moto's Step Functions
engine running the state machine synthesized from the CDK app, the steps in-process with the same
FFmpeg binary, and a clip uploaded the way a browser uploads it (presigned POST)."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ulid import ULID

from tests.e2e.local_stack import LocalServer, sign_up, upload
from tests.support.ffmpeg_samples import make_video

pytestmark = pytest.mark.ffmpeg

JOB_TIMEOUT_SECONDS = 180
FINISHED = {"succeeded", "failed", "cancelled"}


@pytest.fixture(scope="module")
def studio(server: LocalServer) -> Iterator[httpx.Client]:
    """A signed-up owner's client, acting in a workspace of their own."""
    with httpx.Client(base_url=server.base_url, timeout=60) as api:
        email = f"editor.{str(ULID()).lower()}@example.com"
        api.headers.update(sign_up(api, server, email, "Edith"))
        created = api.post("/v1/workspaces", json={"name": "Studio"})
        assert created.status_code == 201, created.text
        api.headers["X-Workspace-Id"] = created.json()["id"]
        yield api


def follow(api: httpx.Client, job_id: str) -> tuple[dict[str, Any], list[float]]:
    """Poll the job until it finishes; its last state and every percent seen on the way."""
    seen: list[float] = []
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        job: dict[str, Any] = api.get(f"/v1/media/jobs/{job_id}").json()
        seen.append(job["percent"])
        if job["status"] in FINISHED:
            return job, seen
        time.sleep(0.25)
    pytest.fail(f"job {job_id} still {job['status']} after {JOB_TIMEOUT_SECONDS} s: {job}")


def test_a_reframe_job_runs_through_the_local_state_machine(
    studio: httpx.Client, tmp_path: Path
) -> None:
    source = upload(studio, make_video(tmp_path / "beach.mp4", size="320x240", seconds=3.0))

    started = studio.post(
        "/v1/media/jobs",
        json={"type": "reframe", "asset_id": source["id"], "preset": "story", "mode": "blur"},
    )
    assert started.status_code == 202, started.text
    job, percents = follow(studio, started.json()["id"])

    assert job["status"] == "succeeded", job
    assert job["error"] is None
    assert percents == sorted(percents)
    assert percents[-1] == 100
    output = studio.get(f"/v1/media/{job['output_asset_id']}").json()
    assert output["kind"] == "video"
    assert output["source_asset_id"] == source["id"]
    assert output["name"] == "beach (story, blur).mp4"
    assert (output["width"], output["height"]) == (1080, 1920)
    assert (output["video_codec"], output["audio_codec"]) == ("h264", "aac")
    assert output["faststart"] is True
    assert output["duration_seconds"] == pytest.approx(3.0, abs=0.1)
    assert output["thumbnail_url"] is not None
    download = studio.get(f"/v1/media/{output['id']}/download").json()
    data = httpx.get(download["url"], timeout=60).content
    assert len(data) == output["size_bytes"]
    assert data.index(b"moov") < data.index(b"mdat")
    listed = studio.get("/v1/media/jobs").json()["items"]
    assert listed[0]["id"] == job["id"]


def test_a_job_cancelled_while_it_runs_stops_and_adds_nothing(
    server: LocalServer, studio: httpx.Client, tmp_path: Path
) -> None:
    source = upload(studio, make_video(tmp_path / "long.mp4", size="640x360", seconds=30.0))
    assets_before = {asset["id"] for asset in studio.get("/v1/media?limit=100").json()["items"]}
    started = studio.post(
        "/v1/media/jobs",
        json={"type": "reframe", "asset_id": source["id"], "preset": "story", "mode": "blur"},
    ).json()
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    running: dict[str, Any] = started
    while not (running["step"] == "process" and running["percent"] > 0):
        assert running["status"] not in FINISHED, running
        assert time.monotonic() < deadline, running
        time.sleep(0.2)
        running = studio.get(f"/v1/media/jobs/{started['id']}").json()

    cancelled = studio.delete(f"/v1/media/jobs/{started['id']}")
    # The process step stops FFmpeg when its next progress write is refused, and logs it.
    noticed = f'"step":"process","job_id":"{started["id"]}"'
    while not any(
        "media job ended meanwhile" in line and noticed in line
        for line in server.output().splitlines()
    ):
        assert time.monotonic() < deadline, "the running step never noticed the cancellation"
        time.sleep(0.2)
    job = studio.get(f"/v1/media/jobs/{started['id']}").json()
    again = studio.delete(f"/v1/media/jobs/{started['id']}")

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert (job["status"], job["output_asset_id"], job["error"]) == ("cancelled", None, None)
    assert job["percent"] < 100
    assert again.status_code == 409
    assets_after = {asset["id"] for asset in studio.get("/v1/media?limit=100").json()["items"]}
    assert assets_after == assets_before
