"""Video and audio jobs: start one, follow its progress, list them, cancel one."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, status
from starlette.concurrency import run_in_threadpool

from functions.media.domain.job_operations import JobOperation
from functions.media.domain.jobs_models import Job
from functions.shared.access import (
    ID_PATTERN,
    Permission,
    Role,
    Scope,
    WorkspaceAccess,
    require_workspace,
)
from functions.shared.pagination import Page, PageRequest, page_request

router = APIRouter(prefix="/v1/media/jobs", tags=["media jobs"])

READ = Permission(Role.VIEWER, Scope.MEDIA_READ)
WRITE = Permission(Role.EDITOR, Scope.MEDIA_WRITE)
ReadAccess = Annotated[WorkspaceAccess, Depends(require_workspace(READ))]
WriteAccess = Annotated[WorkspaceAccess, Depends(require_workspace(WRITE))]
JobId = Annotated[str, Path(pattern=ID_PATTERN, description="Job id.")]
Paging = Annotated[PageRequest, Depends(page_request)]


@router.post("", status_code=status.HTTP_202_ACCEPTED, description=WRITE.description)
async def create_job(access: WriteAccess, operation: Annotated[JobOperation, Body()]) -> Job:
    """Start a job. Its inputs are checked first (in this workspace, of the right kind, fit for
    the operation); the job then runs in the background: poll it for `status` and `percent`."""
    from functions.media.domain import jobs

    return await run_in_threadpool(jobs.create_job, access, operation)


@router.get("", description=READ.description)
async def list_jobs(access: ReadAccess, page: Paging) -> Page[Job]:
    """The workspace's jobs, newest first."""
    from functions.media.domain import jobs

    items, cursor = await run_in_threadpool(jobs.list_jobs, access, page)
    return Page(items=items, next_cursor=cursor)


@router.get("/{job_id}", description=READ.description)
async def get_job(access: ReadAccess, job_id: JobId) -> Job:
    from functions.media.domain import jobs

    return await run_in_threadpool(jobs.get_job, access, job_id)


@router.delete("/{job_id}", description=WRITE.description)
async def cancel_job(access: WriteAccess, job_id: JobId) -> Job:
    """Cancel a queued or running job (409 once it has finished)."""
    from functions.media.domain import jobs

    return await run_in_threadpool(jobs.cancel_job, access, job_id)
