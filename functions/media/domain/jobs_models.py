"""Response bodies of the media jobs API (the request body is `job_operations.JobOperation`)."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from functions.media.domain.generation_models import VideoGenerationOperation
from functions.media.domain.job_operations import (
    AudioOperation,
    ExtractAudioOperation,
    MergeOperation,
    MusicOperation,
    ReframeOperation,
    ThumbnailOperation,
    TrimOperation,
)

# What a job does: an FFmpeg operation asked for on /v1/media/jobs, or a video generation asked
# for on /v1/media/generate/video.
AnyJobOperation = Annotated[
    ReframeOperation
    | MergeOperation
    | TrimOperation
    | AudioOperation
    | MusicOperation
    | ExtractAudioOperation
    | ThumbnailOperation
    | VideoGenerationOperation,
    Field(discriminator="type"),
]


class Job(BaseModel):
    id: str = Field(description="The job's id (a ULID).")
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"] = Field(
        description="Where the job stands."
    )
    percent: float = Field(
        description="Progress of the FFmpeg run, 0 to 100, read from FFmpeg's progress output; "
        "updated every few seconds while the job runs."
    )
    step: str | None = Field(
        description="The workflow step running now (probe, process, thumbnail, finalize; "
        "generate while an AI endpoint renders a video)."
    )
    operation: AnyJobOperation = Field(description="What the job does, as requested.")
    input_asset_ids: list[str] = Field(
        description="The assets the job reads, in the order FFmpeg receives them."
    )
    error: str | None = Field(description="Why the job failed, in words meant for the user.")
    output_asset_id: str | None = Field(description="The asset the job made, once it succeeded.")
    created_by: str = Field(description="Who started it: a user id, or `api_key:<id>`.")
    created_at: str = Field(description="When it was requested (RFC 3339).")
    updated_at: str = Field(description="When it last changed (RFC 3339).")
    finished_at: str | None = Field(
        description="When it succeeded, failed or was cancelled (RFC 3339)."
    )
