"""Media jobs: started only once every input is checked, then read, listed and cancelled.

A job is checked before anything starts: each input asset must be in the workspace and of a
kind the operation takes, and the operation must fit what probing found in the inputs when they
were uploaded (a trim inside the clip, a clip with sound to extract sound from...). Only then is
the job item written, with its activity entry, and the workflow execution named after the job
started. If Step Functions refuses, both are taken back: no job exists that could never run.

Cancelling records `cancelled` first, conditionally, so that a job finishing at the same moment
either wins (409) or loses (its last step finds the job cancelled and keeps nothing), and then
stops the execution. A step still running notices within seconds: its next progress write is
refused and FFmpeg is stopped.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from ulid import ULID

from functions.media.adapters import job_items, job_state_machine
from functions.media.adapters.ffmpeg import MediaRejected, Probe
from functions.media.adapters.job_items import UNFINISHED, MediaJobItem
from functions.media.domain import quotas
from functions.media.domain.job_operations import (
    JobOperation,
    MergeOperation,
    MusicOperation,
)
from functions.media.domain.job_validation import validate_inputs
from functions.media.domain.jobs_models import AnyJobOperation, Job
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.media_items import MediaAssetItem
from functions.shared.observability import logger
from functions.shared.pagination import PageRequest
from functions.shared.problems import (
    Conflict,
    FieldError,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from functions.shared.tables import conflict_on_condition_failure, transaction, utc_now

OPERATION = TypeAdapter[AnyJobOperation](AnyJobOperation)
VIDEO = frozenset({"video"})
VIDEO_OR_AUDIO = frozenset({"video", "audio"})
# The kinds of asset each operation takes, for its main input (merge: every clip).
INPUT_KINDS: dict[str, frozenset[str]] = {
    "reframe": VIDEO,
    "merge": VIDEO,
    "trim": VIDEO_OR_AUDIO,
    "audio": VIDEO_OR_AUDIO,
    "music": VIDEO,
    "extract_audio": VIDEO,
    "thumbnail": VIDEO,
}
MUSIC_KINDS = VIDEO_OR_AUDIO  # the sound of a video serves as music as well as an audio file


@dataclass(frozen=True, slots=True)
class _Input:
    asset_id: str
    pointer: str  # where the request names it, e.g. /body/asset_ids/1
    kinds: frozenset[str]


def _inputs(operation: JobOperation) -> Iterator[_Input]:
    if isinstance(operation, MergeOperation):
        for index, asset_id in enumerate(operation.asset_ids):
            yield _Input(asset_id, f"/body/asset_ids/{index}", INPUT_KINDS["merge"])
        return
    yield _Input(operation.asset_id, "/body/asset_id", INPUT_KINDS[operation.type])
    if isinstance(operation, MusicOperation):
        yield _Input(operation.music_asset_id, "/body/music_asset_id", MUSIC_KINDS)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _kinds_phrase(kinds: frozenset[str]) -> str:
    return " or ".join(_a(kind) for kind in sorted(kinds, reverse=True))


def probe_of(asset: MediaAssetItem) -> Probe:
    """What probing found when the asset was uploaded, as the FFmpeg adapter describes files."""
    probed = asset.probed()
    return Probe(
        kind=asset.kind,  # checked against INPUT_KINDS first
        has_video=probed.video_codec is not None,
        has_audio=probed.audio_codec is not None,
        **probed.model_dump(),
    )


def check_inputs(workspace_id: str, operation: JobOperation) -> list[MediaAssetItem]:
    """The operation's input assets, in order; 422 naming each input that cannot be used."""
    assets: list[MediaAssetItem] = []
    errors: list[FieldError] = []
    for wanted in _inputs(operation):
        asset = MediaAssetItem.find(workspace_id, wanted.asset_id)
        if asset is None:
            errors.append(
                FieldError(
                    pointer=wanted.pointer,
                    detail=f"Asset {wanted.asset_id} is not in this workspace's library.",
                    code="not_found",
                )
            )
        elif asset.kind not in wanted.kinds:
            errors.append(
                FieldError(
                    pointer=wanted.pointer,
                    detail=f"Asset {wanted.asset_id} is {_a(asset.kind)}; "
                    f"a {operation.type} job takes {_kinds_phrase(wanted.kinds)}.",
                    code="wrong_kind",
                )
            )
        else:
            assets.append(asset)
    if errors:
        noun = "input cannot" if len(errors) == 1 else "inputs cannot"
        raise ValidationFailed(f"{len(errors)} {noun} be used for this job.", errors=errors)
    try:
        validate_inputs(operation, [probe_of(asset) for asset in assets])
    except MediaRejected as rejected:
        raise ValidationFailed(f"This job cannot run: {rejected}.") from None
    return assets


def job_view(item: MediaJobItem) -> Job:
    return Job(
        id=item.job_id,
        status=item.status,  # only job_items writes it: one of the literals
        percent=float(item.percent),
        step=item.step,
        operation=OPERATION.validate_python(item.operation),
        input_asset_ids=list(item.input_asset_ids),
        error=item.error,
        output_asset_id=item.output_asset_id,
        created_by=item.created_by,
        created_at=item.created_at.isoformat(),
        updated_at=item.updated_at.isoformat(),
        finished_at=item.finished_at.isoformat() if item.finished_at else None,
    )


def create_job(access: WorkspaceAccess, operation: JobOperation) -> Job:
    check_inputs(access.workspace_id, operation)
    quotas.ensure_room_for_a_result(access.workspace_id)
    return launch_job(access, operation, operation.input_asset_ids())


def launch_job(
    access: WorkspaceAccess,
    operation: AnyJobOperation,
    input_asset_ids: list[str],
    *,
    generation: dict[str, Any] | None = None,
) -> Job:
    """Record the job (`queued`) with its activity entry and start its execution; 503, with
    nothing left behind, if Step Functions refuses. `generation`: a generating job's start,
    which sends its execution down the generation branch (video_generation.py)."""
    job_id = str(ULID())
    item = job_items.new_job(
        access.workspace_id,
        job_id,
        operation=operation.model_dump(mode="json"),
        input_asset_ids=input_asset_ids,
        created_by=access.actor,
    )
    entry = activity_entry(
        access.workspace_id,
        actor=access.actor,
        action="media_job.created",
        target=f"media_job:{job_id}",
        details={"type": operation.type, "inputs": input_asset_ids},
    )
    with transaction() as write:
        write.save(item, condition=MediaJobItem.pk.does_not_exist())
        write.save(entry)
    try:
        execution_arn = job_state_machine.start(access.workspace_id, job_id, generation=generation)
    except job_state_machine.StateMachineUnavailable:
        with transaction() as write:
            write.delete(item, add_version_condition=False)
            write.delete(entry, add_version_condition=False)
        raise ServiceUnavailable("The job could not be started; try again in a moment.") from None
    job_items.set_execution(access.workspace_id, job_id, execution_arn)
    item.execution_arn = execution_arn
    return job_view(item)


def _job(access: WorkspaceAccess, job_id: str) -> MediaJobItem:
    item = MediaJobItem.find(access.workspace_id, job_id)
    if item is None:
        raise NotFound(f"Job {job_id} was not found.")
    return item


def get_job(access: WorkspaceAccess, job_id: str) -> Job:
    return job_view(_job(access, job_id))


def list_jobs(access: WorkspaceAccess, page: PageRequest) -> tuple[list[Job], str | None]:
    items, cursor = job_items.list_jobs(access.workspace_id, page)
    return [job_view(item) for item in items], cursor


def cancel_job(access: WorkspaceAccess, job_id: str) -> Job:
    item = _job(access, job_id)
    if item.status not in UNFINISHED:
        raise Conflict(
            f"Job {job_id} has already {item.status}; only a queued or running job can be "
            "cancelled."
        )
    with (
        conflict_on_condition_failure(f"Job {job_id} finished meanwhile; it cannot be cancelled."),
        transaction() as write,
    ):
        write.update(
            item,
            actions=job_items.finish_actions("cancelled", now=utc_now()),
            condition=MediaJobItem.status.is_in(*UNFINISHED),
            add_version_condition=False,
        )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="media_job.cancelled",
                target=f"media_job:{job_id}",
            )
        )
    if item.execution_arn is not None:
        try:
            job_state_machine.stop(item.execution_arn)
        except job_state_machine.StateMachineUnavailable:
            # The job is cancelled all the same: its running step stops at its next write.
            logger.warning("media job execution not stopped", extra={"job_id": job_id})
    return job_view(_job(access, job_id))
