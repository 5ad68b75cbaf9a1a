"""Hands work to the publish worker right away (an asynchronous Lambda invocation).

Publishing now and retrying start the worker at once instead of waiting for a schedule, whose
delivery has a one-minute precision. An asynchronous invocation is retried by Lambda and lands in
the function's dead-letter queue when every attempt failed; the sweeper covers the rest.
"""

import json
from typing import Any

from functions.shared import aws
from functions.shared.problems import ServiceUnavailable
from functions.shared.settings import get_settings


def start(payload: dict[str, Any]) -> None:
    response = aws.lambda_().invoke(
        FunctionName=get_settings().publish_worker_arn,
        InvocationType="Event",
        Payload=json.dumps(payload, separators=(",", ":")).encode(),
    )
    if response.get("StatusCode") != 202:
        raise ServiceUnavailable("The publish worker could not be started; try again.")
