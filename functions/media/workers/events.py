"""Lambda handler of the events the media group acts on, from EventBridge (not the API).

- "Step Functions Execution Status Change" (the default bus; FAILED, TIMED_OUT or ABORTED
  executions of the media job state machine). A job is marked failed by its workflow's
  RecordFailure state, or cancelled by the API; an execution can also end without either: Step
  Functions stops it at its timeout, an operator stops it, or RecordFailure itself fails. A job
  still queued or running is then marked failed, so that none stays `running` forever.
- `workspace.deleted` (Herald's bus, from the auth group). Auth has removed the workspace's
  items, jobs and assets included; every object under the workspace's prefix is deleted here.
  A job still running finds its item gone at its next write and deletes what it made.

The rules are in infra/media_jobs.py. Events are delivered at least once; each action is
harmless to repeat.
"""

from typing import Any, Literal

from pydantic import BaseModel, Json

from functions.shared.observability import logger

EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change"
WORKSPACE_DELETED = "workspace.deleted"


class _JobOfExecution(BaseModel):
    """The execution's input, as the API started it (adapters/job_state_machine.py)."""

    workspace_id: str
    job_id: str


class _EndedExecution(BaseModel):
    """The `detail` of the status change event (only the fields used here)."""

    status: Literal["FAILED", "TIMED_OUT", "ABORTED"]
    input: Json[_JobOfExecution]


class _DeletedWorkspace(BaseModel):
    workspace_id: str


def handler(event: dict[str, Any], context: Any) -> None:
    kind = event["detail-type"]
    if kind == EXECUTION_STATUS_CHANGE:
        _execution_ended(_EndedExecution.model_validate(event["detail"]))
    elif kind == WORKSPACE_DELETED:
        _workspace_deleted(_DeletedWorkspace.model_validate(event["detail"]))
    else:
        raise ValueError(f"the media events function takes no {kind!r} event")


def _execution_ended(ended: _EndedExecution) -> None:
    from functions.media.domain import job_workflow_steps

    job = ended.input
    logger.append_keys(job_id=job.job_id, workspace_id=job.workspace_id)
    job_workflow_steps.fail_job_of_ended_execution(job.workspace_id, job.job_id, ended.status)


def _workspace_deleted(deleted: _DeletedWorkspace) -> None:
    from functions.media.adapters import asset_store

    logger.append_keys(workspace_id=deleted.workspace_id)
    count = asset_store.delete_workspace_files(deleted.workspace_id)
    logger.info("deleted workspace's media files", extra={"objects": count})
