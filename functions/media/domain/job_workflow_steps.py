"""The steps of the media job workflow, run by `functions/media/workers/job_steps.py`.

Probe -> Process -> Thumbnail -> Finalize; any error -> RecordFailure (the state machine is
infra/media_jobs.py; adapters/job_state_machine.py starts one execution of it per job).
Each step takes the job's state (what the steps before it found and made) and returns it with
its own part added; Step Functions carries it from one step to the next. Each step may run in a
fresh Lambda environment, so each downloads what it needs into a scratch folder of its own.

- Probe downloads and probes every input and checks the operation fits them (`MediaRejected`
  with the user's message otherwise), before any work is done.
- Process runs the operation, FFmpeg's progress written to the job every 2 seconds at most (as
  its share of the whole job, STEP_PERCENTS), and stores the result at its asset's key
  (asset_store.py): the step that made the file is the only one holding it. A result larger
  than the quota has left fails the job before it is stored.
- Thumbnail reads the result as a completed upload is read (probing.py): its probe fields, its
  type, and a thumbnail for anything with a picture.
- Finalize adds the asset to the library, charged to the workspace's quota, marks the job
  succeeded and announces `media.job.succeeded`, in one transaction.
- RecordFailure records the failure's message on the job (the user's own for `MediaRejected`, a
  generic one for our failures) with its `media.job.failed` event, and deletes what the job
  made.

The job item is what the user sees: every write to it is conditional on the job not having
ended, so a step that finds its job cancelled stops (`JobEnded`) and what it made is deleted.
"""

import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from functions.media.adapters import asset_items, asset_store, ffmpeg, job_files, job_items
from functions.media.adapters.ffmpeg import MediaRejected, Probe
from functions.media.adapters.ffmpeg_jobs import content_type_for, run_operation
from functions.media.adapters.job_items import UNFINISHED, MediaJobItem
from functions.media.domain import assets, probing, quotas
from functions.media.domain.job_operations import (
    JobOperation,
    ReframeOperation,
    ThumbnailOperation,
)
from functions.media.domain.job_validation import validate_inputs
from functions.media.domain.kinds import size_phrase
from functions.media.domain.models import Generation
from functions.media.domain.sniffing import HEAD_BYTES, sniff
from functions.shared.activity import activity_entry
from functions.shared.events import DomainEvent, write_event
from functions.shared.media_items import MediaAssetItem
from functions.shared.observability import logger
from functions.shared.probed_media import ProbedMedia
from functions.shared.tables import transaction, utc_now

OPERATION = TypeAdapter[JobOperation](JobOperation)
PROGRESS_INTERVAL_SECONDS = 2.0
# The share of the job's percent each step covers, (start, end): entering a step sets its start,
# and FFmpeg's own percent moves the job across the process step's share. Running FFmpeg takes
# most of a job; probe and thumbnail download whole files, finalize only writes items.
STEP_PERCENTS: dict[str, tuple[float, float]] = {
    "probe": (0.0, 10.0),
    "generate": (0.0, 85.0),  # a generated video: the endpoint's own progress
    "process": (10.0, 85.0),
    "thumbnail": (85.0, 95.0),
    "finalize": (95.0, 100.0),
}
# Step Functions' names for a step that ran out of time (Lambda's limit, or the state's).
TIMEOUTS = frozenset({"Sandbox.Timedout", "States.Timeout"})
CRASHED_MESSAGE = (
    "The job stopped because of an error on our side, not in your files. It has been logged; "
    "try again later."
)
TIMED_OUT_MESSAGE = (
    "The job ran out of time: each step may take 15 minutes at most. Try a shorter clip."
)


class JobEnded(Exception):
    """The job was cancelled (or has otherwise ended) while a step was about to work on it."""


class InputFile(BaseModel):
    asset_id: str
    key: str
    etag: str  # the file as probed: a later step reads exactly this version
    name: str
    probe: Probe


class OutputFile(BaseModel):
    asset_id: str
    key: str
    name: str
    content_type: str
    size_bytes: int
    kind: str | None = None  # what the Thumbnail step's inspection found
    # What probing found in it. The key stays `fields`: executions already running carry it.
    fields: ProbedMedia | None = None


class StepError(BaseModel):
    """What Step Functions' Catch puts at `$.error`."""

    error: str = Field(alias="Error")
    cause: str = Field("", alias="Cause")


class VideoProgress(BaseModel):
    """A video an AI endpoint renders for the job (video_generation.py)."""

    poll_seconds: int  # the Wait state's pause between two polls
    video_id: str | None = None
    deadline: float | None = None  # epoch seconds: past it, the job fails


class JobState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace_id: str
    job_id: str
    generation: VideoProgress | None = None
    inputs: list[InputFile] = []
    output: OutputFile | None = None
    thumbnail_key: str | None = None
    error: StepError | None = None


def _sentence(message: str) -> str:
    """FFmpeg's adapter words its messages as clauses ("clip 2 has no video stream")."""
    message = message.strip().rstrip(".")
    return message[:1].upper() + message[1:] + "."


def enter(state: JobState, step: str) -> MediaJobItem:
    """Mark the job as in `step`; JobEnded if it has ended (cancelled) meanwhile."""
    start, _ = STEP_PERCENTS[step]
    if not job_items.enter_step(state.workspace_id, state.job_id, step, percent=start):
        raise JobEnded(f"job {state.job_id} has ended; the {step} step does nothing")
    item = MediaJobItem.find(state.workspace_id, state.job_id)
    if item is None:
        raise JobEnded(f"job {state.job_id} is gone")
    return item


class ProgressWriter:
    """Writes FFmpeg's percent, as the job's percent within the process step's share, to the job
    at most every `interval` seconds.

    A refused write means the job was cancelled: raising stops FFmpeg (see run_ffmpeg).
    """

    def __init__(
        self,
        state: JobState,
        *,
        interval: float = PROGRESS_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._state = state
        self._interval = interval
        self._clock = clock
        self._last: float | None = None

    def __call__(self, percent: float) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            return
        self._last = now
        start, end = STEP_PERCENTS["process"]
        of_job = start + (end - start) * percent / 100
        if not job_items.record_progress(self._state.workspace_id, self._state.job_id, of_job):
            raise JobEnded(f"job {self._state.job_id} was cancelled while processing")


def _download(key: str, etag: str, destination: Path) -> Path:
    asset_store.download(key, etag, destination)
    return destination


def probe(state: JobState) -> JobState:
    """Download and probe every input, then check the operation fits them."""
    item = enter(state, "probe")
    operation = OPERATION.validate_python(item.operation)
    inputs: list[InputFile] = []
    many = len(item.input_asset_ids) > 1
    with job_files.scratch_folder() as folder:
        for number, asset_id in enumerate(item.input_asset_ids, start=1):
            label = f"clip {number}" if many else "the clip"
            asset = MediaAssetItem.find(state.workspace_id, asset_id)
            stored = asset_store.stat(asset.object_key) if asset is not None else None
            if asset is None or stored is None:
                raise MediaRejected(f"{label} ({asset_id}) was deleted from the library")
            local = _download(asset.object_key, stored.etag, folder / f"input-{number}")
            try:
                probed = ffmpeg.probe(local)
            except MediaRejected as rejected:
                if many:
                    raise MediaRejected(f"{label}: {rejected}") from None
                raise
            finally:
                local.unlink(missing_ok=True)
            inputs.append(
                InputFile(
                    asset_id=asset_id,
                    key=asset.object_key,
                    etag=stored.etag,
                    name=asset.name,
                    probe=probed,
                )
            )
    validate_inputs(operation, [file.probe for file in inputs])
    return state.model_copy(update={"inputs": inputs})


def _output_name(source: str, operation: JobOperation, suffix: str) -> str:
    """`beach (story, blur).mp4`: the first input's name and what the job did to it."""
    if isinstance(operation, ReframeOperation):
        what = f"{operation.preset}, {operation.mode}"
    elif isinstance(operation, ThumbnailOperation):
        what = f"frame at {operation.at_seconds:g} s"
    else:
        what = {
            "merge": "merged",
            "trim": "trimmed",
            "audio": "audio",
            "music": "with music",
            "extract_audio": "audio",
        }[operation.type]
    return f"{Path(source).stem[:100] or 'media'} ({what}){suffix}"


def process(state: JobState) -> JobState:
    """Run the operation with FFmpeg and store its result at its asset's key."""
    item = enter(state, "process")
    operation = OPERATION.validate_python(item.operation)
    with job_files.scratch_folder() as folder:
        paths = [
            _download(file.key, file.etag, folder / f"input-{number}")
            for number, file in enumerate(state.inputs, start=1)
        ]
        work = folder / "work"
        work.mkdir()
        result = run_operation(
            operation,
            paths,
            [file.probe for file in state.inputs],
            work,
            ProgressWriter(state),
        )
        # Checked again, atomically, when finalize charges it; failing here spares the upload.
        ensure_room(state.workspace_id, result.stat().st_size)
        asset_id, _ = assets.new_asset_id()
        key = asset_store.original_key(state.workspace_id, asset_id)
        content_type = content_type_for(result)
        asset_store.put_file(key, result, content_type=content_type)
        output = OutputFile(
            asset_id=asset_id,
            key=key,
            name=_output_name(state.inputs[0].name, operation, result.suffix),
            content_type=content_type,
            size_bytes=result.stat().st_size,
        )
    return state.model_copy(update={"output": output})


def thumbnail(state: JobState) -> JobState:
    """Read the result as the library reads an upload: probe fields, type and thumbnail."""
    enter(state, "thumbnail")
    output = state.output
    assert output is not None, "the process step records the output"
    stored = asset_store.stat(output.key)
    if stored is None:
        raise RuntimeError(f"the job's result {output.key} is not stored")
    with job_files.scratch_folder() as folder:
        local = _download(output.key, stored.etag, folder / "output")
        with local.open("rb") as file:
            sniffed = sniff(file.read(HEAD_BYTES))
        if sniffed is None:
            raise RuntimeError(f"the job made a {output.content_type} file of no known format")
        inspection = probing.inspect(local, sniffed)
    thumbnail_key = None
    if inspection.thumbnail is not None:
        thumbnail_key = asset_store.thumbnail_key(state.workspace_id, output.asset_id)
        asset_store.put_bytes(
            thumbnail_key, inspection.thumbnail, content_type=asset_store.THUMBNAIL_CONTENT_TYPE
        )
    inspected = output.model_copy(
        update={
            "kind": inspection.kind,
            "content_type": inspection.content_type,
            "fields": inspection.probed,
        }
    )
    return state.model_copy(update={"output": inspected, "thumbnail_key": thumbnail_key})


def _made_keys(state: JobState) -> list[str]:
    keys = [state.output.key] if state.output else []
    return keys + ([state.thumbnail_key] if state.thumbnail_key else [])


def _keep(state: JobState, job: MediaJobItem, output: OutputFile) -> None:
    """The asset, its quota charge, its activity entry and the job's success: all or nothing."""
    assert output.kind is not None, "the thumbnail step inspects the output"
    assert output.fields is not None, "the thumbnail step inspects the output"
    # The moment the id names, as for every asset: listing by date goes by id.
    output_created = ULID.from_str(output.asset_id).datetime
    asset = assets.new_asset_item(
        state.workspace_id,
        asset_id=output.asset_id,
        created_at=output_created,
        kind=output.kind,  # type: ignore[arg-type]  # from probing.inspect
        name=output.name,
        content_type=output.content_type,
        size_bytes=output.size_bytes,
        object_key=output.key,
        thumbnail_key=state.thumbnail_key,
        created_by=job.created_by,
        probed=output.fields,
        source_asset_id=state.inputs[0].asset_id if state.inputs else None,
        generation=_provenance(job, output_created),
    )
    with transaction() as write:
        write.save(asset, condition=MediaAssetItem.pk.does_not_exist())
        write_event(
            write,
            DomainEvent(
                "media",
                "media.job.succeeded",
                state.workspace_id,
                {
                    "job_id": state.job_id,
                    "operation": job.operation["type"],
                    "input_asset_ids": list(job.input_asset_ids),
                    "asset_id": output.asset_id,
                },
            ),
        )
        asset_items.charge(
            write, state.workspace_id, output.size_bytes, quota_bytes=quotas.quota_bytes()
        )
        write.update(
            job,
            actions=job_items.finish_actions(
                "succeeded", now=utc_now(), output_asset_id=output.asset_id
            ),
            condition=MediaJobItem.status.is_in(*UNFINISHED),
            add_version_condition=False,
        )
        write.save(
            activity_entry(
                state.workspace_id,
                actor=job.created_by,
                action="media.made_by_job",
                target=f"asset:{output.asset_id}",
                details={
                    "name": output.name,
                    "kind": output.kind,
                    "size_bytes": output.size_bytes,
                    "job_id": state.job_id,
                },
            )
        )
        write_event(
            write,
            DomainEvent(
                "media",
                "media.asset.ready",
                state.workspace_id,
                assets.ready_event(asset, job_id=state.job_id),
            ),
        )


def _provenance(job: MediaJobItem, made_at: datetime) -> Generation | None:
    """A generated video's prompt and model, as its job recorded them; None for FFmpeg's."""
    if job.operation["type"] != "generate_video":
        return None
    return Generation(
        prompt=job.operation["prompt"],
        model=job.operation["model"],
        generated_at=made_at.isoformat(),
    )


def ensure_room(workspace_id: str, size_bytes: int) -> None:
    room = quotas.room_left(workspace_id)
    if size_bytes > room:
        raise MediaRejected(
            f"the result ({size_bytes} bytes) does not fit in the media library's "
            f"{size_phrase(quotas.quota_bytes())} quota, which has {room} bytes left; delete "
            "assets you no longer need and run the job again"
        )


def finalize(state: JobState) -> JobState:
    """Keep the result in the library, mark the job succeeded and announce it, all at once.

    Safe to run again (Step Functions retries it after a transient error): a job that already
    succeeded with this output was announced then, and is left as it is.
    """
    output = state.output
    assert output is not None, "the process step records the output"
    job = MediaJobItem.find(state.workspace_id, state.job_id)
    if job is None:
        raise JobEnded(f"job {state.job_id} is gone")
    if not (job.status == "succeeded" and job.output_asset_id == output.asset_id):
        start, _ = STEP_PERCENTS["finalize"]
        job_items.enter_step(state.workspace_id, state.job_id, "finalize", percent=start)
        ensure_room(state.workspace_id, output.size_bytes)
        try:
            _keep(state, job, output)
        except TransactWriteError as refused:
            current = MediaJobItem.find(state.workspace_id, state.job_id)
            if current is None or current.status not in UNFINISHED:
                asset_store.delete(*_made_keys(state))
                raise JobEnded(f"job {state.job_id} ended before its result was kept") from None
            # Another asset took the room meanwhile (the charge's condition), or a conflict or
            # throttling, which the handler tells apart.
            ensure_room(state.workspace_id, output.size_bytes)
            raise refused
    return state


def failure_message(error: StepError) -> str:
    """What the job records: the input's fault in the user's words, else a generic message."""
    if error.error == MediaRejected.__name__:
        try:
            message = str(json.loads(error.cause)["errorMessage"])
        except (ValueError, KeyError, TypeError):
            message = error.cause
        return _sentence(message)
    if error.error in TIMEOUTS:
        return TIMED_OUT_MESSAGE
    return CRASHED_MESSAGE


# What a job records when its execution ended without reaching RecordFailure, by the status
# Step Functions reports: the workflow itself broke, ran past its time, or was stopped from
# outside (a cancel records `cancelled` first, so it is never failed here).
ENDED_EXECUTION_MESSAGES = {
    "FAILED": CRASHED_MESSAGE,
    "TIMED_OUT": "The job ran out of time. Try a shorter clip.",
    "ABORTED": "The job was stopped on our side before it finished; try again.",
}


def fail_job_of_ended_execution(workspace_id: str, job_id: str, execution_status: str) -> bool:
    """Fail the job if it is still unfinished although its execution has ended, and announce
    it; False if the job had ended already (the usual case: RecordFailure or a cancel did it)."""
    message = ENDED_EXECUTION_MESSAGES[execution_status]
    if not _fail(workspace_id, job_id, message):
        return False
    logger.error(
        "media job left unfinished by its execution",
        extra={"job_id": job_id, "execution_status": execution_status},
    )
    return True


def _fail(workspace_id: str, job_id: str, message: str) -> bool:
    """Fail the job if it has not ended, announcing it in the same write; False if it had."""
    job = MediaJobItem.find(workspace_id, job_id)
    if job is None:
        return False
    failed = DomainEvent(
        "media",
        "media.job.failed",
        workspace_id,
        {"job_id": job_id, "operation": job.operation["type"], "error": message},
    )
    return job_items.finish(workspace_id, job_id, "failed", error=message, event=failed)


def record_failure(state: JobState) -> JobState:
    """Record why the job failed, delete what it made, and announce the failure."""
    error = state.error
    assert error is not None, "the Catch of each step puts the error at $.error"
    message = failure_message(error)
    if error.error not in (MediaRejected.__name__, JobEnded.__name__):
        logger.error(
            "media job failed",
            extra={"job_id": state.job_id, "error": error.error, "cause": error.cause},
        )
    _fail(state.workspace_id, state.job_id, message)
    current = MediaJobItem.find(state.workspace_id, state.job_id)
    kept = (
        current is not None
        and state.output is not None
        and current.output_asset_id == state.output.asset_id
    )
    if not kept:
        asset_store.delete(*_made_keys(state))
    return state
