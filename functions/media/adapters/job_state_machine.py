"""Starting and stopping the media job state machine (Step Functions): one execution per job.

Each execution is named after its job, so a job can never run twice: Step Functions refuses a
second execution of the same name while keeping the first one's history.
"""

import json
from typing import Any

from functions.shared import aws
from functions.shared.observability import logger
from functions.shared.settings import get_settings


class StateMachineUnavailable(Exception):
    """Step Functions did not take the request; nothing was started or stopped."""


def start(workspace_id: str, job_id: str, *, generation: dict[str, Any] | None = None) -> str:
    """Start the job's execution; its ARN. A `generation` in its input makes the state machine
    take the generation branch (infra/media_jobs.py)."""
    from botocore.exceptions import BotoCoreError, ClientError

    execution_input: dict[str, Any] = {"workspace_id": workspace_id, "job_id": job_id}
    if generation is not None:
        execution_input["generation"] = generation
    try:
        response = aws.stepfunctions().start_execution(
            stateMachineArn=get_settings().media_jobs_state_machine_arn,
            name=job_id,
            input=json.dumps(execution_input),
        )
    except (BotoCoreError, ClientError) as error:
        logger.exception("media job could not be started", extra={"job_id": job_id})
        raise StateMachineUnavailable(str(error)) from error
    return response["executionArn"]


def stop(execution_arn: str) -> None:
    """Stop the execution; one that has already ended is left as it is."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        aws.stepfunctions().stop_execution(
            executionArn=execution_arn, cause="Cancelled by a workspace member."
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
            return
        raise StateMachineUnavailable(str(error)) from error
    except BotoCoreError as error:
        raise StateMachineUnavailable(str(error)) from error
