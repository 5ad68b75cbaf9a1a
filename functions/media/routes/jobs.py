"""Video and audio jobs: start one, follow its progress, list them, cancel one."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, status
from starlette.concurrency import run_in_threadpool

from functions.media.domain.job_operations import JobOperation
from functions.media.domain.jobs_models import Job
from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import (
    MediaReader,
    MediaWriter,
    Paging,
)
from functions.shared.pagination import Page

router = APIRouter(prefix="/v1/media/jobs", tags=["media jobs"])

JobId = Annotated[str, Path(pattern=ID_PATTERN, description="Job id.")]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    description=Permissions.MEDIA_WRITE.description,
    name="create_media_job",
)
async def create_job(access: MediaWriter, operation: Annotated[JobOperation, Body()]) -> Job:
    """Start a job. Its inputs are checked first (in this workspace, of the right kind, fit for
    the operation); the job then runs in the background: poll it for `status` and `percent`."""
    from functions.media.domain import jobs

    return await run_in_threadpool(jobs.create_job, access, operation)


@router.get("", description=Permissions.MEDIA_READ.description, name="list_media_jobs")
async def list_jobs(access: MediaReader, page: Paging) -> Page[Job]:
    """The workspace's jobs, newest first."""
    from functions.media.domain import jobs

    items, cursor = await run_in_threadpool(jobs.list_jobs, access, page)
    return Page(items=items, next_cursor=cursor)


@router.get("/{job_id}", description=Permissions.MEDIA_READ.description, name="get_media_job")
async def get_job(access: MediaReader, job_id: JobId) -> Job:
    from functions.media.domain import jobs

    return await run_in_threadpool(jobs.get_job, access, job_id)


@router.delete(
    "/{job_id}", description=Permissions.MEDIA_WRITE.description, name="cancel_media_job"
)
async def cancel_job(access: MediaWriter, job_id: JobId) -> Job:
    """Cancel a queued or running job (409 once it has finished)."""
    from functions.media.domain import jobs

    return await run_in_threadpool(jobs.cancel_job, access, job_id)
