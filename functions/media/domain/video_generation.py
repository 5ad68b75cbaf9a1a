"""Generated video: a media job whose picture an AI endpoint renders (docs/ai.md#generated-media).

Video models render for minutes, so the API only checks and starts: the endpoint and its video
model are configured (503 naming what to set), the library has room (403), the month's seconds
of video have room for the clip (429; the seconds are charged then). The job's execution then
takes the state machine's generation branch (infra/media_jobs.py):

    StartVideo -> WaitForVideo (Wait state) -> PollVideo -> finished? -> Thumbnail -> Finalize
                        ^___________________________________| no

StartVideo asks the endpoint for the video; PollVideo asks how far it got (its percent moves the
job across the generate step's share), and once it is completed downloads the MP4 to its asset's
key. The Wait state does the waiting: no Lambda sleeps. Thumbnail and Finalize are the FFmpeg
jobs' own: the clip is probed and kept like any job's result, with its provenance. The endpoint's
refusal or failure fails the job with its reason; so does a video not finished within
`MAX_RENDER_MINUTES`. `openai` loads with the steps that call the endpoint, not with the API.
"""

import time

from functions.media.adapters import asset_store, job_files, job_items
from functions.media.adapters.ffmpeg import MediaRejected
from functions.media.domain import assets, jobs, kinds, quotas
from functions.media.domain.generation import name_from
from functions.media.domain.generation_models import (
    VideoGenerationOperation,
    VideoGenerationRequest,
)
from functions.media.domain.job_workflow_steps import (
    STEP_PERCENTS,
    JobEnded,
    JobState,
    OutputFile,
    VideoProgress,
    ensure_room,
    enter,
)
from functions.media.domain.jobs_models import Job
from functions.shared import ai_usage
from functions.shared.access import WorkspaceAccess
from functions.shared.ai_setup import AiEndpointFailed, endpoint_for
from functions.shared.settings import get_settings

MAX_RENDER_MINUTES = 30
VIDEO_CONTENT_TYPE = "video/mp4"


def start_generation(access: WorkspaceAccess, request: VideoGenerationRequest) -> Job:
    endpoint = endpoint_for("video")
    quotas.ensure_room_for_a_result(access.workspace_id)
    ai_usage.reserve(
        access.workspace_id, ai_usage.VIDEO_SECONDS, needs=request.seconds, charge=request.seconds
    )
    operation = VideoGenerationOperation(
        type="generate_video", model=endpoint.model, **request.model_dump()
    )
    progress = VideoProgress(poll_seconds=get_settings().ai_video_poll_seconds)
    return jobs.launch_job(access, operation, [], generation=progress.model_dump())


def _operation(state: JobState, step: str) -> VideoGenerationOperation:
    item = enter(state, step)
    return VideoGenerationOperation.model_validate(item.operation)


def _refused(error: AiEndpointFailed) -> MediaRejected:
    """The endpoint's failure, in the words the job records (a sentence of its own)."""
    return MediaRejected(str(error.detail))


def start_video(state: JobState) -> JobState:
    """Ask the endpoint to render the video."""
    from functions.shared import ai_endpoint

    operation = _operation(state, "generate")
    assert state.generation is not None, "the API starts generation jobs with it"
    try:
        render = ai_endpoint.start_video(
            endpoint_for("video"), operation.prompt, seconds=operation.seconds, size=operation.size
        )
    except AiEndpointFailed as error:
        raise _refused(error) from None
    generation = state.generation.model_copy(
        update={"video_id": render.video_id, "deadline": time.time() + MAX_RENDER_MINUTES * 60}
    )
    return state.model_copy(update={"generation": generation})


def poll_video(state: JobState) -> JobState:
    """How far the endpoint got; once the video is completed, it is stored as the job's output."""
    from functions.shared import ai_endpoint

    generation = state.generation
    assert generation is not None, "the API starts generation jobs with it"
    assert generation.video_id is not None, "start_video sets it"
    endpoint = endpoint_for("video")
    try:
        render = ai_endpoint.video_status(endpoint, generation.video_id)
    except AiEndpointFailed as error:
        raise _refused(error) from None
    if render.status == "failed":
        raise MediaRejected(
            f"the AI endpoint could not make the video: {render.failure or 'it gave no reason'}"
        )
    if render.status != "completed":
        if generation.deadline is not None and time.time() > generation.deadline:
            raise MediaRejected(
                f"the AI endpoint did not finish the video within {MAX_RENDER_MINUTES} minutes"
            )
        start, end = STEP_PERCENTS["generate"]
        percent = start + (end - start) * min(max(render.progress, 0), 100) / 100
        if not job_items.record_progress(state.workspace_id, state.job_id, percent):
            raise JobEnded(f"job {state.job_id} was cancelled while its video was rendered")
        return state
    operation = _operation(state, "generate")
    asset_id, _ = assets.new_asset_id()
    key = asset_store.original_key(state.workspace_id, asset_id)
    with job_files.scratch_folder() as folder:
        local = folder / "video.mp4"
        try:
            size = ai_endpoint.download_video(
                endpoint, generation.video_id, local, max_bytes=kinds.MAX_BYTES["video"]
            )
        except AiEndpointFailed as error:
            raise _refused(error) from None
        ensure_room(state.workspace_id, size)
        asset_store.put_file(key, local, content_type=VIDEO_CONTENT_TYPE)
    output = OutputFile(
        asset_id=asset_id,
        key=key,
        name=operation.name or name_from(operation.prompt, "mp4"),
        content_type=VIDEO_CONTENT_TYPE,
        size_bytes=size,
    )
    return state.model_copy(update={"output": output})
