"""Generated media: images, speech and video from an AI endpoint, into the library (docs/ai.md).

`openai` loads with the generation modules, inside these routes, never with the app.
"""

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from functions.media.domain.generation_models import (
    GeneratedImages,
    ImageGenerationRequest,
    SpeechGenerationRequest,
    VideoGenerationRequest,
)
from functions.media.domain.jobs_models import Job
from functions.media.domain.models import Asset
from functions.shared.access import Permissions
from functions.shared.http.dependencies import MediaWriter

router = APIRouter(prefix="/v1/media/generate", tags=["generated media"])

GENERATES = (
    f"{Permissions.MEDIA_WRITE.description} 503 when no AI endpoint or model is configured for "
    "it; 403 when the library is full; 429 when the workspace's monthly budget for it is spent; "
    "502 when the endpoint fails."
)


@router.post(
    "/images",
    status_code=status.HTTP_201_CREATED,
    description=GENERATES,
    name="generate_media_images",
)
async def generate_images(access: MediaWriter, body: ImageGenerationRequest) -> GeneratedImages:
    """Images of a prompt, each at exactly the preset's size, kept in the library with their
    prompt, model and time."""
    from functions.media.domain import generation

    return await run_in_threadpool(generation.generate_images, access, body)


@router.post(
    "/speech",
    status_code=status.HTTP_201_CREATED,
    description=GENERATES,
    name="generate_media_speech",
)
async def generate_speech(access: MediaWriter, body: SpeechGenerationRequest) -> Asset:
    """A text read aloud in a voice, kept in the library as an audio asset."""
    from functions.media.domain import generation

    return await run_in_threadpool(generation.generate_speech, access, body)


@router.post(
    "/video",
    status_code=status.HTTP_202_ACCEPTED,
    description=GENERATES,
    name="generate_media_video",
)
async def generate_video(access: MediaWriter, body: VideoGenerationRequest) -> Job:
    """Start a video: a media job that the endpoint's rendering runs in (follow it at
    `/v1/media/jobs/{id}`); its result joins the library like any job's."""
    from functions.media.domain import video_generation

    return await run_in_threadpool(video_generation.start_generation, access, body)
