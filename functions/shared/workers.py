"""What every non-HTTP entry point (a group's `workers/` modules) shares, without a web framework.

Workers are invoked by schedules, rules, state machines and queues, never by API Gateway, so
they load neither FastAPI, Starlette nor Mangum (a test imports each in a fresh interpreter to
keep it so).
"""

from collections.abc import Callable, Mapping
from typing import Any

from functions.shared.observability import logger, metrics

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
Task = Callable[[dict[str, Any], Any], dict[str, Any]]


def task_handler(tasks: Mapping[str, Task]) -> LambdaHandler:
    """The entry point of a worker that does several tasks: each event names its task
    (`{"herald": "<task>"}`), which is called with the event and the Lambda context."""

    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        task = str(event.get("herald"))
        if task not in tasks:
            raise ValueError(f"unknown task {task!r}")
        result = tasks[task](event, context)
        logger.info("task done", extra={"task": task})
        return {"task": task, "result": result}

    wrapped: LambdaHandler = logger.inject_lambda_context(clear_state=True)(handler)
    return wrapped
