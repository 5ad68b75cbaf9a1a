"""Lambda handler of the media job state machine's ended executions (EventBridge).

A job is marked failed by its workflow's RecordFailure state, or cancelled by the API. An
execution can also end without either: Step Functions stops it at its timeout, an operator
stops it, or RecordFailure itself fails. The rule in infra/media_jobs.py sends each
"Step Functions Execution Status Change" event of the machine with status FAILED, TIMED_OUT or
ABORTED here, and a job still queued or running is marked failed, so that none stays `running`
forever. Events are delivered at least once; failing an ended job again does nothing.
"""

from typing import Any, Literal

from pydantic import BaseModel, Json

from functions.shared.observability import logger


class _JobOfExecution(BaseModel):
    """The execution's input, as the API started it (adapters/job_state_machine.py)."""

    workspace_id: str
    job_id: str


class _EndedExecution(BaseModel):
    """The `detail` of the event that EventBridge delivers (only the fields used here)."""

    status: Literal["FAILED", "TIMED_OUT", "ABORTED"]
    input: Json[_JobOfExecution]


def handler(event: dict[str, Any], context: Any) -> None:
    from functions.media.domain import job_workflow_steps

    ended = _EndedExecution.model_validate(event["detail"])
    job = ended.input
    logger.append_keys(job_id=job.job_id, workspace_id=job.workspace_id)
    job_workflow_steps.fail_job_of_ended_execution(job.workspace_id, job.job_id, ended.status)
