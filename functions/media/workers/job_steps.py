"""Lambda handler of the media job workflow's steps (the FFmpeg function, not the API).

Each task state of the state machine invokes it with `{"step": <name>, "job": <the job's
state>}` and passes what it returns on to the next state. A step's exception becomes the task's
error, named after the exception's class, which is what the state machine's Retry and Catch
match (infra/media_jobs.py):

- `MediaRejected`: the input is at fault; its message is the user's. Never retried.
- `TransientError`: throttling, a 5xx or a lost connection to S3, DynamoDB or EventBridge that
  outlasted the client's own retries. Retried by Step Functions with backoff.
- `JobEnded`: the job was cancelled meanwhile; nothing more is done.
- `StepCrashed`: anything else. Logged here with its traceback and counted in the
  `MediaJobCrashes` metric (alarmed); the job records a generic message.
"""

from collections.abc import Callable
from types import ModuleType
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from functions.shared.observability import logger, metrics
from functions.shared.problems import ServiceUnavailable

CRASH_METRIC = "MediaJobCrashes"
# The workflow's step functions, by the name the state machine passes; the workflow module
# (FFmpeg, S3, DynamoDB adapters) is imported on the first event, not at the function's start.
STEPS = ("probe", "process", "thumbnail", "finalize", "record_failure")
# The steps of a generated video (video_generation.py), which load `openai`; only they do.
VIDEO_STEPS = ("start_video", "poll_video")
_TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "InternalServerError",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestTimeout",
        "ServiceUnavailable",
        "SlowDown",
        "ThrottlingException",
        "Throttling",
        "TransactionConflict",
        "TransactionInProgressException",
    }
)


class TransientError(Exception):
    """A failure that another try may not meet; the state machine retries the step."""


class StepCrashed(Exception):
    """A step failed for a reason of ours; the detail is in the log, not in the workflow."""


# Failures of the input, cancellations, and crashes already counted where they happened
# (the names of MediaRejected, JobEnded and StepCrashed, as the state machine reports them).
_COUNTED_ELSEWHERE = frozenset({"MediaRejected", "JobEnded", StepCrashed.__name__})


def is_transient(error: BaseException | None) -> bool:
    """Whether `error`, or what caused it, is an AWS call that may well work a moment later."""
    from botocore import exceptions as botocore_errors
    from pynamodb.exceptions import PynamoDBException, TransactWriteError

    while error is not None:
        if isinstance(
            error,
            ServiceUnavailable | botocore_errors.ConnectionError | botocore_errors.HTTPClientError,
        ):
            return True
        if isinstance(error, botocore_errors.ClientError):
            response: dict[str, Any] = dict(error.response)
            code = response.get("Error", {}).get("Code", "")
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return code in _TRANSIENT_CODES or int(status) >= 500
        if isinstance(error, TransactWriteError) and any(
            reason is not None and reason.code in _TRANSIENT_CODES
            for reason in error.cancellation_reasons
        ):
            return True
        cause = error.cause if isinstance(error, PynamoDBException) else None
        error = error.__cause__ or cause
    return False


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.media.adapters.ffmpeg import MediaRejected
    from functions.media.domain import job_workflow_steps

    step = str(event["step"])
    state = job_workflow_steps.JobState.model_validate(event["job"])
    # Thread-local: local mode runs other functions on other threads of this process, and their
    # `clear_state` must not drop the keys this step's lines carry.
    logger.thread_safe_append_keys(step=step, job_id=state.job_id, workspace_id=state.workspace_id)
    if step == "record_failure" and state.error and state.error.error not in _COUNTED_ELSEWHERE:
        # Timeouts, exhausted retries, Lambda's own errors: ours, and no step counted them.
        metrics.add_metric(name=CRASH_METRIC, unit=MetricUnit.Count, value=1)
    try:
        steps: ModuleType = job_workflow_steps
        if step in VIDEO_STEPS:
            from functions.media.domain import video_generation

            steps = video_generation
        elif step not in STEPS:
            raise KeyError(step)
        run: Callable[[job_workflow_steps.JobState], job_workflow_steps.JobState] = getattr(
            steps, step
        )
        return run(state).model_dump(mode="json", by_alias=True)
    except MediaRejected as rejected:
        # One error name for the state machine, whichever refinement FFmpeg's adapter raised.
        if type(rejected) is not MediaRejected:
            raise MediaRejected(str(rejected)) from rejected
        raise
    except job_workflow_steps.JobEnded:
        logger.info("media job ended meanwhile")
        raise
    except Exception as error:
        if is_transient(error):
            logger.warning("media job step failed for now", exc_info=True)
            raise TransientError(f"the {step} step failed for now: {error}") from error
        logger.exception("media job step crashed")
        metrics.add_metric(name=CRASH_METRIC, unit=MetricUnit.Count, value=1)
        raise StepCrashed(
            f"the {step} step crashed ({type(error).__name__}); see the function's log"
        ) from error
