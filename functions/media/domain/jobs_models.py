"""Response bodies of the media jobs API (the request body is `job_operations.JobOperation`)."""

from typing import Literal

from pydantic import BaseModel, Field

from functions.media.domain.job_operations import JobOperation


class Job(BaseModel):
    id: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    percent: float = Field(
        description="Progress of the FFmpeg run, 0 to 100, read from FFmpeg's progress output; "
        "updated every few seconds while the job runs."
    )
    step: str | None = Field(
        description="The workflow step running now (probe, process, thumbnail, finalize)."
    )
    operation: JobOperation
    input_asset_ids: list[str]
    error: str | None = Field(description="Why the job failed, in words meant for the user.")
    output_asset_id: str | None = Field(description="The asset the job made, once it succeeded.")
    created_by: str
    created_at: str
    updated_at: str
    finished_at: str | None
