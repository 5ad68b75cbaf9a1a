"""The media job steps with real clips (made by FFmpeg in the test) through moto's S3 and table.

Each test calls the steps' Lambda handler as the state machine does: one step after the other,
each given what the previous one returned, and, when a step raises, RecordFailure given the
step's input with the error at `$.error`, shaped as Step Functions' Catch shapes it (the error
name is the exception's class, the cause the Python runtime's JSON of it).
"""

import io
import json
import os
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from pynamodb.exceptions import (
    CancellationReason,
    PutError,
    TransactWriteError,
    VerboseClientError,
)

from functions.media.adapters import asset_store, ffmpeg, job_files, job_items
from functions.media.adapters.asset_items import MediaUsageItem
from functions.media.adapters.job_items import MediaJobItem
from functions.media.domain import assets, job_workflow_steps, probing, quotas
from functions.media.domain.job_workflow_steps import JobEnded, JobState, ProgressWriter
from functions.media.domain.sniffing import HEAD_BYTES, sniff
from functions.media.workers import events as media_events
from functions.media.workers import job_steps
from functions.shared.activity import ActivityItem
from functions.shared.media_items import MediaAssetItem
from functions.shared.probed_media import ProbedMedia
from functions.shared.problems import ServiceUnavailable
from functions.shared.settings import get_settings
from tests.media.job_world import CREATOR, WORKSPACE, job_of, new_job
from tests.media.library_world import object_keys, read_object
from tests.support.event_bus import bus_listener, catalogued, received
from tests.support.ffmpeg_samples import make_video
from tests.support.snapshots import workspace_items

STEPS = ("probe", "process", "thumbnail", "finalize")


@pytest.fixture
def studio(media_bucket: str) -> str:
    """A workspace's partition and prefix in moto: the steps need no member, only its id."""
    return WORKSPACE


@pytest.fixture
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "clip": make_video(folder / "beach.mp4", size="320x240", seconds=2.0),
        "short": make_video(folder / "short.mp4", size="320x240", seconds=1.0, tone_hz=880),
    }


def add_clip(workspace_id: str, path: Path) -> str:
    """An asset made of the file the way a completed upload makes one."""
    with path.open("rb") as file:
        sniffed = sniff(file.read(HEAD_BYTES))
    assert sniffed is not None
    inspection = probing.inspect(path, sniffed)
    asset_id, created_at = assets.new_asset_id()
    key = asset_store.original_key(workspace_id, asset_id)
    asset_store.put_file(key, path, content_type=inspection.content_type)
    assets.new_asset_item(
        workspace_id,
        asset_id=asset_id,
        created_at=created_at,
        kind=inspection.kind,
        name=path.name,
        content_type=inspection.content_type,
        size_bytes=path.stat().st_size,
        object_key=key,
        thumbnail_key=None,
        created_by=CREATOR,
        probed=inspection.probed,
    ).save()
    return asset_id


def add_claimed(workspace_id: str, data: bytes, *, duration_seconds: float = 2.0) -> str:
    """An asset whose item claims a video the stored bytes are not (a damaged file)."""
    asset_id, created_at = assets.new_asset_id()
    key = asset_store.original_key(workspace_id, asset_id)
    asset_store.put_bytes(key, data, content_type="video/mp4")
    assets.new_asset_item(
        workspace_id,
        asset_id=asset_id,
        created_at=created_at,
        kind="video",
        name="damaged.mp4",
        content_type="video/mp4",
        size_bytes=len(data),
        object_key=key,
        thumbnail_key=None,
        created_by=CREATOR,
        probed=ProbedMedia(
            width=320,
            height=240,
            duration_seconds=duration_seconds,
            video_codec="h264",
            audio_codec="aac",
        ),
    ).save()
    return asset_id


def step(name: str, state: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = job_steps.handler({"step": name, "job": state}, None)
    return result


def caught(error: Exception) -> dict[str, str]:
    """What a step's Catch puts at `$.error` for an exception the Python runtime reported."""
    cause = {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": []}
    return {"Error": type(error).__name__, "Cause": json.dumps(cause)}


def run_workflow(state: dict[str, Any]) -> tuple[dict[str, Any], Exception | None]:
    """Probe -> Process -> Thumbnail -> Finalize, or RecordFailure at the first error."""
    for name in STEPS:
        try:
            state = step(name, state)
        except Exception as error:
            return step("record_failure", state | {"error": caught(error)}), error
    return state, None


def crash_counts(capsys: pytest.CaptureFixture[str]) -> list[float]:
    """The `MediaJobCrashes` values of the metric documents printed so far (CloudWatch EMF)."""
    documents = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    return [value for document in documents for value in document.get(job_steps.CRASH_METRIC, [])]


def client_error(code: str, *, status: int) -> ClientError:
    """An AWS error response as botocore raises it, with its HTTP status."""
    response: Any = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "AnyOperation")


def ffprobe(path: Path) -> dict[str, Any]:
    """ffprobe's own report of a file, read apart from the code under test."""
    arguments = ["-v", "error", "-print_format", "json", "-show_streams", "-show_format"]
    result = subprocess.run(
        [ffmpeg.ffprobe_path(), *arguments, str(path)],
        capture_output=True,
        check=True,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def stored_file(key: str, folder: Path) -> Path:
    data, _ = read_object(key)
    path = folder / key.rsplit("/", 2)[-2]
    path.write_bytes(data)
    return path


@pytest.mark.ffmpeg
def test_a_reframe_job_runs_every_step_and_its_result_joins_the_library(
    studio: str, clips: dict[str, Path], tmp_path: Path
) -> None:
    events = bus_listener("media.job.succeeded")
    source = add_clip(studio, clips["clip"])
    state = new_job(studio, {"type": "reframe", "asset_id": source, "preset": "x_landscape"})

    probed = step("probe", state)
    assert (job_of(state).status, job_of(state).step) == ("running", "probe")
    [found] = probed["inputs"]
    assert (found["asset_id"], found["probe"]["width"], found["probe"]["height"]) == (
        source,
        320,
        240,
    )
    processed = step("process", probed)
    output = processed["output"]
    assert 0 < job_of(state).percent < 100  # FFmpeg's progress, as written while it ran
    assert output["key"] == asset_store.original_key(studio, output["asset_id"])
    assert output["name"] == "beach (x_landscape, fit_pad).mp4"
    thumbnailed = step("thumbnail", processed)
    finished = step("finalize", thumbnailed)

    job = job_of(state)
    assert (job.status, job.percent) == ("succeeded", 100)
    assert job.step is None
    assert job.error is None
    assert job.output_asset_id == output["asset_id"]
    assert job.finished_at is not None
    asset = MediaAssetItem.find(studio, output["asset_id"])
    assert asset is not None
    assert (asset.kind, asset.content_type, asset.source_asset_id, asset.created_by) == (
        "video",
        "video/mp4",
        source,
        CREATOR,
    )
    assert (asset.width, asset.height, asset.video_codec, asset.audio_codec) == (
        1280,
        720,
        "h264",
        "aac",
    )
    assert asset.faststart is True
    assert asset.duration_seconds == pytest.approx(2.0, abs=0.1)
    assert asset.object_key == output["key"]
    assert asset.thumbnail_key == asset_store.thumbnail_key(studio, output["asset_id"])
    assert finished["thumbnail_key"] == asset.thumbnail_key
    assert object_keys(studio) == {
        asset_store.original_key(studio, source),
        asset.object_key,
        asset.thumbnail_key,
    }
    # The stored result, read back by ffprobe itself.
    report = ffprobe(stored_file(asset.object_key, tmp_path))
    video = next(s for s in report["streams"] if s["codec_type"] == "video")
    audio = next(s for s in report["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 1280, 720)
    assert (video["pix_fmt"], audio["codec_name"]) == ("yuv420p", "aac")
    assert float(report["format"]["duration"]) == pytest.approx(2.0, abs=0.1)
    data, content_type = read_object(asset.object_key)
    assert content_type == "video/mp4"
    assert data.index(b"moov") < data.index(b"mdat")
    thumbnail, thumbnail_type = read_object(asset.thumbnail_key)
    assert (thumbnail[:3], thumbnail_type) == (b"\xff\xd8\xff", "image/jpeg")
    # Charged to the workspace's quota, recorded in its activity, announced on the bus.
    usage = MediaUsageItem.find(studio)
    assert usage is not None
    assert (usage.used_bytes, usage.asset_count) == (asset.size_bytes, 1)
    assert asset.size_bytes == len(data)
    [entry] = ActivityItem.query(f"WS#{studio}", ActivityItem.sk.startswith("ACTIVITY#"))
    assert (entry.action, entry.actor, entry.target) == (
        "media.made_by_job",
        CREATOR,
        f"asset:{asset.asset_id}",
    )
    [event] = received(events)
    assert (event["source"], event["detail-type"]) == ("herald.media", "media.job.succeeded")
    assert event["detail"]["workspace_id"] == studio
    assert event["detail"]["data"] == {
        "job_id": state["job_id"],
        "operation": "reframe",
        "input_asset_ids": [source],
        "asset_id": asset.asset_id,
    }


@pytest.mark.ffmpeg
def test_sound_taken_from_a_video_is_an_audio_asset_without_a_thumbnail(
    studio: str, clips: dict[str, Path]
) -> None:
    source = add_clip(studio, clips["clip"])
    state = new_job(studio, {"type": "extract_audio", "asset_id": source, "format": "mp3"})

    finished, error = run_workflow(state)

    assert error is None
    assert finished["thumbnail_key"] is None
    asset = MediaAssetItem.find(studio, job_of(state).output_asset_id or "")
    assert asset is not None
    assert (asset.kind, asset.content_type, asset.audio_codec) == ("audio", "audio/mpeg", "mp3")
    assert asset.video_codec is None
    assert asset.name == "beach (audio).mp3"
    assert asset.thumbnail_key is None


@pytest.mark.ffmpeg
def test_a_merge_of_two_clips_is_as_long_as_both(studio: str, clips: dict[str, Path]) -> None:
    first, second = add_clip(studio, clips["clip"]), add_clip(studio, clips["short"])
    state = new_job(studio, {"type": "merge", "asset_ids": [first, second]})

    _, error = run_workflow(state)

    assert error is None
    asset = MediaAssetItem.find(studio, job_of(state).output_asset_id or "")
    assert asset is not None
    assert asset.duration_seconds == pytest.approx(3.0, abs=0.15)
    assert asset.source_asset_id == first


@pytest.mark.ffmpeg
@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("a damaged file", "The file is not a video or audio file we can read."),
        ("a damaged second clip", "Clip 2: the file is not a video or audio file we can read."),
        ("a trim past the real end", "The trim end 5 s is after the clip's end 2.0 s."),
        ("an asset deleted since", "The clip ({asset}) was deleted from the library."),
    ],
)
def test_inputs_that_turn_out_unusable_fail_the_job_with_a_message_for_the_user(
    studio: str, clips: dict[str, Path], case: str, message: str
) -> None:
    events = bus_listener("media.job.failed")
    clip = add_clip(studio, clips["clip"])
    damaged = add_claimed(studio, b"This is a shopping list, not a video.\n" * 50)
    operations: dict[str, dict[str, Any]] = {
        "a damaged file": {"type": "reframe", "asset_id": damaged, "preset": "story"},
        "a damaged second clip": {"type": "merge", "asset_ids": [clip, damaged]},
        # The API checks the library's figures; the workflow checks the file's own.
        "a trim past the real end": {"type": "trim", "asset_id": clip, "end_seconds": 5},
        "an asset deleted since": {"type": "reframe", "asset_id": clip, "preset": "story"},
    }
    operation = operations[case]
    if case == "an asset deleted since":
        MediaAssetItem(*MediaAssetItem.keys(studio, clip)).delete(add_version_condition=False)
    before = object_keys(studio)
    state = new_job(studio, operation)

    failed, error = run_workflow(state)

    assert type(error).__name__ == "MediaRejected"
    job = job_of(state)
    assert (job.status, job.error) == ("failed", message.format(asset=clip))
    assert job.output_asset_id is None
    assert failed["error"]["Error"] == "MediaRejected"
    assert object_keys(studio) == before
    [event] = received(events)
    assert event["detail"]["workspace_id"] == studio
    assert event["detail"]["data"] == {
        "job_id": state["job_id"],
        "operation": operation["type"],
        "error": job.error,
    }


@pytest.mark.ffmpeg
def test_a_crash_records_a_generic_message_and_logs_the_detail(
    studio: str,
    clips: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    log_output: io.StringIO,
) -> None:
    def crash(*args: Any, **kwargs: Any) -> Path:
        raise OSError(28, "No space left on device: /tmp/secret-internal-path")

    monkeypatch.setattr(job_workflow_steps, "run_operation", crash)
    state = new_job(
        studio,
        {"type": "reframe", "asset_id": add_clip(studio, clips["clip"]), "preset": "story"},
    )

    _, error = run_workflow(state)

    assert isinstance(error, job_steps.StepCrashed)
    assert "secret-internal-path" not in str(error)
    job = job_of(state)
    assert (job.status, job.error) == ("failed", job_workflow_steps.CRASHED_MESSAGE)
    [logged] = [
        json.loads(line)
        for line in log_output.getvalue().splitlines()
        if '"media job step crashed"' in line
    ]
    assert logged["step"] == "process"
    assert "secret-internal-path" in logged["exception"]  # the detail is in the log only
    assert crash_counts(capsys) == [1]


@pytest.mark.parametrize(
    ("error_name", "message", "counted"),
    [
        ("Sandbox.Timedout", job_workflow_steps.TIMED_OUT_MESSAGE, True),
        ("TransientError", job_workflow_steps.CRASHED_MESSAGE, True),
        ("Lambda.ServiceException", job_workflow_steps.CRASHED_MESSAGE, True),
        ("StepCrashed", job_workflow_steps.CRASHED_MESSAGE, False),  # counted when it crashed
    ],
)
def test_failures_no_step_reported_are_recorded_and_counted(
    studio: str,
    capsys: pytest.CaptureFixture[str],
    error_name: str,
    message: str,
    counted: bool,
) -> None:
    state = new_job(studio, {"type": "thumbnail", "asset_id": "01JC00000000000000000ASSET"})
    cause = json.dumps({"errorMessage": "Task timed out after 900.00 seconds"})

    step("record_failure", state | {"error": {"Error": error_name, "Cause": cause}})

    assert (job_of(state).status, job_of(state).error) == ("failed", message)
    assert crash_counts(capsys) == ([1] if counted else [])


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ClientError({"Error": {"Code": "SlowDown"}}, "GetObject"), True),
        (ClientError({"Error": {"Code": "ThrottlingException"}}, "PutEvents"), True),
        (client_error("InternalError", status=500), True),
        (EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"), True),
        (ServiceUnavailable("The media library cannot be read right now."), True),
        (
            PutError(
                "Failed to put item",
                ClientError(
                    {"Error": {"Code": "ProvisionedThroughputExceededException"}}, "PutItem"
                ),
            ),
            True,
        ),
        (ClientError({"Error": {"Code": "AccessDenied"}}, "GetObject"), False),
        (ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject"), False),
        (ValueError("a bug"), False),
    ],
)
def test_transient_failures_are_told_apart_from_the_rest(error: Exception, transient: bool) -> None:
    assert job_steps.is_transient(error) is transient


def test_a_transaction_cancelled_by_a_conflict_is_transient() -> None:
    def cancelled(code: str) -> TransactWriteError:
        """A transaction DynamoDB cancelled, as PynamoDB reports it (one reason per item)."""
        cause = VerboseClientError(
            {"Error": {"Code": "TransactionCanceledException"}},
            "TransactWriteItems",
            cancellation_reasons=[None, CancellationReason(code=code)],
        )
        return TransactWriteError("Failed to write transaction items", cause)

    assert job_steps.is_transient(cancelled("TransactionConflict")) is True
    assert job_steps.is_transient(cancelled("ConditionalCheckFailed")) is False


@pytest.mark.ffmpeg
def test_a_storage_hiccup_is_reported_as_transient_for_step_functions_to_retry(
    studio: str, clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = new_job(
        studio,
        {"type": "reframe", "asset_id": add_clip(studio, clips["clip"]), "preset": "story"},
    )

    def slow_down(key: str) -> None:
        raise client_error("SlowDown", status=503)

    monkeypatch.setattr(asset_store, "stat", slow_down)

    with pytest.raises(job_steps.TransientError):
        step("probe", state)
    monkeypatch.undo()
    assert step("probe", state)["inputs"]  # the retry finds S3 well again


@pytest.mark.ffmpeg
def test_a_job_cancelled_before_a_step_does_nothing_more(
    studio: str, clips: dict[str, Path]
) -> None:
    state = new_job(
        studio,
        {"type": "reframe", "asset_id": add_clip(studio, clips["clip"]), "preset": "story"},
    )
    assert job_items.finish(studio, state["job_id"], "cancelled")
    before = object_keys(studio)

    _, error = run_workflow(state)

    assert isinstance(error, JobEnded)
    assert job_of(state).status == "cancelled"
    assert job_of(state).error is None
    assert object_keys(studio) == before


@pytest.mark.ffmpeg
@pytest.mark.parametrize("cancelled_before", ["thumbnail", "finalize"])
def test_a_job_cancelled_after_processing_keeps_nothing_it_made(
    studio: str, clips: dict[str, Path], cancelled_before: str
) -> None:
    events = bus_listener("media.job.failed")
    state = new_job(
        studio,
        {"type": "reframe", "asset_id": add_clip(studio, clips["clip"]), "preset": "story"},
    )
    before = object_keys(studio)
    state = step("process", step("probe", state))
    if cancelled_before == "finalize":
        state = step("thumbnail", state)
    assert object_keys(studio) > before  # the result (and thumbnail) are stored already
    assert job_items.finish(studio, state["job_id"], "cancelled")

    with pytest.raises(JobEnded):
        step(cancelled_before, state)
    step("record_failure", state | {"error": caught(JobEnded("cancelled"))})

    assert job_of(state).status == "cancelled"
    assert object_keys(studio) == before
    assert MediaAssetItem.find(studio, state["output"]["asset_id"]) is None
    assert MediaUsageItem.find(studio) is None
    assert received(events) == []


@pytest.mark.ffmpeg
def test_finalize_run_again_keeps_one_asset_and_announces_it_once(
    studio: str, clips: dict[str, Path]
) -> None:
    events = bus_listener("media.job.succeeded")
    state = new_job(studio, {"type": "thumbnail", "asset_id": add_clip(studio, clips["clip"])})
    state = step("thumbnail", step("process", step("probe", state)))

    step("finalize", state)
    step("finalize", state)  # Step Functions retried it after a transient error

    assets_kept = list(MediaAssetItem.query(f"WS#{studio}", MediaAssetItem.sk.startswith("ASSET#")))
    assert len(assets_kept) == 2  # the source and the one result
    usage = MediaUsageItem.find(studio)
    assert usage is not None
    assert usage.asset_count == 1
    assert [event["detail"]["data"]["asset_id"] for event in received(events)] == [
        state["output"]["asset_id"]
    ]
    asset = MediaAssetItem.find(studio, state["output"]["asset_id"])
    assert asset is not None
    assert (asset.kind, asset.content_type, asset.container) == ("image", "image/jpeg", "JPEG")


@pytest.mark.ffmpeg
def test_a_result_over_the_quota_fails_the_job_and_is_deleted(
    studio: str, clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = add_clip(studio, clips["clip"])
    before = object_keys(studio)
    monkeypatch.setattr(quotas, "quota_bytes", lambda: 1000)
    state = new_job(studio, {"type": "reframe", "asset_id": source, "preset": "story"})

    _, error = run_workflow(state)

    assert type(error).__name__ == "MediaRejected"
    job = job_of(state)
    assert job.status == "failed"
    assert job.error is not None
    assert job.error.startswith("The result (")
    assert "does not fit in the media library's 1000 bytes quota, which has 1000 bytes left" in (
        job.error
    )
    assert object_keys(studio) == before


@pytest.mark.ffmpeg
def test_a_result_over_the_quota_fails_the_process_step_before_it_is_stored(
    studio: str, clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = add_clip(studio, clips["clip"])
    before = object_keys(studio)
    monkeypatch.setattr(quotas, "quota_bytes", lambda: 1000)
    probed = step(
        "probe", new_job(studio, {"type": "reframe", "asset_id": source, "preset": "story"})
    )

    with pytest.raises(ffmpeg.MediaRejected, match="does not fit in the media library's"):
        step("process", probed)

    assert object_keys(studio) == before


def test_progress_is_written_every_two_seconds_at_most_and_stops_a_cancelled_job(
    studio: str,
) -> None:
    state = new_job(studio, {"type": "thumbnail", "asset_id": "01JC00000000000000000ASSET"})
    now = [100.0]
    writer = ProgressWriter(JobState.model_validate(state), clock=lambda: now[0])

    # FFmpeg's percent moves the job across the process step's share, 10 to 85.
    writer(0.0)
    assert job_of(state).percent == 10
    now[0] += 1.9
    writer(20.0)  # too soon: not written
    assert job_of(state).percent == 10
    now[0] += 0.2
    writer(30.0)
    assert job_of(state).percent == 32.5
    now[0] += 2.0
    writer(100.0)
    assert job_of(state).percent == 85
    assert job_items.finish(studio, state["job_id"], "cancelled")
    now[0] += 2.5
    with pytest.raises(JobEnded):
        writer(100.0)
    assert (job_of(state).status, job_of(state).percent) == ("cancelled", 85)


@pytest.mark.ffmpeg
def test_the_percent_moves_through_every_step_never_backwards(
    studio: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each step starts at its share of the job; FFmpeg's progress fills the process step's."""
    written: list[tuple[str, float]] = []
    enter_step, record_progress = job_items.enter_step, job_items.record_progress

    def entering(workspace_id: str, job_id: str, step: str, *, percent: float) -> bool:
        written.append((step, percent))
        return enter_step(workspace_id, job_id, step, percent=percent)

    def progressing(workspace_id: str, job_id: str, percent: float) -> bool:
        written.append(("ffmpeg", percent))
        return record_progress(workspace_id, job_id, percent)

    monkeypatch.setattr(job_items, "enter_step", entering)
    monkeypatch.setattr(job_items, "record_progress", progressing)
    monkeypatch.setattr(job_workflow_steps, "ProgressWriter", partial(ProgressWriter, interval=0))
    # Long enough for FFmpeg to report its progress a few times on the way.
    clip = make_video(tmp_path / "long.mp4", size="320x240", seconds=12.0)
    state = new_job(
        studio, {"type": "reframe", "asset_id": add_clip(studio, clip), "preset": "story"}
    )

    _, error = run_workflow(state)

    assert error is None
    entered = [(name, percent) for name, percent in written if name != "ffmpeg"]
    assert entered == [("probe", 0), ("process", 10), ("thumbnail", 85), ("finalize", 95)]
    during = [percent for name, percent in written if name == "ffmpeg"]
    assert len(set(during)) >= 3, during
    assert min(during) > 10
    assert max(during) == 85  # FFmpeg's end, as the process step's share ends
    percents = [percent for _, percent in written] + [job_of(state).percent]
    assert percents == sorted(percents)
    assert percents[-1] == 100


def test_scratch_folders_left_by_a_killed_step_are_removed() -> None:
    stale = Path(tempfile.mkdtemp(prefix=job_files.SCRATCH_PREFIX))
    (stale / "input-1").write_bytes(b"x" * 1024)
    recent = Path(tempfile.mkdtemp(prefix=job_files.SCRATCH_PREFIX))
    long_ago = time.time() - job_files.STALE_AFTER_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))

    with job_files.scratch_folder() as folder:
        assert folder.is_dir()
        assert not stale.exists()
        assert recent.exists()  # another step may be using it
    assert not folder.exists()
    recent.rmdir()


@pytest.mark.ffmpeg
def test_the_state_carries_probe_fields_named_as_the_adapter_names_them(
    studio: str, clips: dict[str, Path]
) -> None:
    clip = add_clip(studio, clips["clip"])
    state = step("probe", new_job(studio, {"type": "thumbnail", "asset_id": clip}))

    assert state["inputs"][0]["probe"] == ffmpeg.probe(clips["clip"]).model_dump(mode="json")


@pytest.mark.ffmpeg
def test_a_job_s_result_is_announced_ready_once_with_the_job_s_id(
    studio: str, clips: dict[str, Path]
) -> None:
    events = bus_listener("media.asset.ready")
    source = add_clip(studio, clips["clip"])
    state = new_job(studio, {"type": "thumbnail", "asset_id": source})
    state = step("thumbnail", step("process", step("probe", state)))

    step("finalize", state)
    step("finalize", state)  # retried by Step Functions: the asset is kept, and announced, once

    [event] = received(events)
    data = catalogued(event)
    assert (event["source"], data["asset_id"], data["job_id"]) == (
        "herald.media",
        state["output"]["asset_id"],
        state["job_id"],
    )
    assert (data["kind"], data["content_type"], data["source_asset_id"]) == (
        "image",
        "image/jpeg",
        source,
    )
    assert data["created_by"] == CREATOR
    assert data["width"] > 0


def delete_workspace(workspace_id: str) -> None:
    """What deleting a workspace does to a job's world: auth purges the partition (the job item
    with it), then the media group's events function deletes the workspace's files."""
    table = boto3.client("dynamodb", region_name=get_settings().region)
    for pk, sk in workspace_items(workspace_id):
        table.delete_item(
            TableName=get_settings().table_name, Key={"PK": {"S": pk}, "SK": {"S": sk}}
        )
    media_events.handler(
        {"detail-type": "workspace.deleted", "detail": {"workspace_id": workspace_id}}, None
    )


@pytest.mark.ffmpeg
@pytest.mark.parametrize("deleted_before", ["process", "thumbnail", "finalize"])
def test_a_job_of_a_deleted_workspace_stops_at_its_next_step_and_leaves_nothing(
    studio: str, clips: dict[str, Path], deleted_before: str
) -> None:
    """The media group need not stop a deleted workspace's executions: each step's first write
    is conditional on the job item, which is gone, so the step ends the workflow (`JobEnded`)
    and RecordFailure deletes what the job had stored after the workspace's files were."""
    events = bus_listener("media.job.failed")
    state = new_job(
        studio,
        {"type": "reframe", "asset_id": add_clip(studio, clips["clip"]), "preset": "story"},
    )
    for name in STEPS[: STEPS.index(deleted_before)]:
        state = step(name, state)
    delete_workspace(studio)
    if state.get("output"):
        # Stored after the media group deleted the prefix (the step was running meanwhile).
        asset_store.put_bytes(state["output"]["key"], b"result", content_type="video/mp4")

    with pytest.raises(JobEnded):
        step(deleted_before, state)
    step("record_failure", state | {"error": caught(JobEnded("gone"))})

    assert object_keys(studio) == set()
    assert workspace_items(studio) == {}  # no step wrote the job, asset or usage back
    assert received(events) == []


def test_ffmpeg_stops_within_two_seconds_once_the_workspace_is_deleted(studio: str) -> None:
    """The process step's progress writes are refused once the job item is purged, which stops
    FFmpeg (as a cancel does) rather than letting it run up to the step's 15 minutes."""
    state = new_job(studio, {"type": "thumbnail", "asset_id": "01JC00000000000000000ASSET"})
    now = [100.0]
    writer = ProgressWriter(JobState.model_validate(state), clock=lambda: now[0])
    writer(10.0)
    delete_workspace(studio)

    now[0] += 2.0
    with pytest.raises(JobEnded):
        writer(20.0)
    assert MediaJobItem.find(studio, state["job_id"]) is None
