"""Response bodies of the media jobs API (the request body is `job_operations.JobOperation`)."""

from typing import Literal

from pydantic import BaseModel, Field

from functions.media.domain.job_operations import JobOperation


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
        description="The workflow step running now (probe, process, thumbnail, finalize)."
    )
    operation: JobOperation = Field(description="What the job does, as requested.")
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
