"""Invokes the publish group's metrics collector to refresh one post's metrics now, and waits
for it (RequestResponse; locally the in-process function answers, infra/local/lambda_dispatch.py).
The collector holds the platform tokens; analytics never sees them."""

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.shared import aws
from functions.shared.observability import logger
from functions.shared.post_metrics import REFRESH_TASK
from functions.shared.settings import get_settings


class CollectorUnanswered(Exception):
    """The collector failed, timed out or was throttled: nothing is known of the refresh."""


def refresh_post(workspace_id: str, post_id: str) -> dict[str, Any]:
    """The collector's report: how many targets it collected, how many are gone or postponed."""
    event = {"herald": REFRESH_TASK, "workspace_id": workspace_id, "post_id": post_id}
    try:
        response = aws.lambda_().invoke(
            FunctionName=get_settings().metrics_collector_arn,
            InvocationType="RequestResponse",
            Payload=json.dumps(event, separators=(",", ":")).encode(),
        )
        payload = json.loads(response["Payload"].read() or b"null")
    except (BotoCoreError, ClientError, ValueError) as error:
        logger.warning("metrics collector not answered", extra={"error": type(error).__name__})
        raise CollectorUnanswered from None
    if response.get("FunctionError") or not isinstance(payload, dict):
        logger.warning("metrics collector failed", extra={"error": response.get("FunctionError")})
        raise CollectorUnanswered
    result = payload.get("result")
    if not isinstance(result, dict):
        raise CollectorUnanswered
    return result
