"""Invokes the publish group's engagement function and waits for its answer (RequestResponse;
locally the in-process function answers, infra/local/lambda_dispatch.py)."""

import json

from botocore.exceptions import BotoCoreError, ClientError

from functions.shared import aws
from functions.shared.engagement_calls import EngagementAnswer, EngagementCall
from functions.shared.observability import logger
from functions.shared.settings import get_settings


class EngagementUnanswered(Exception):
    """The function did not answer (a failure, a timeout, a throttle): the platform call may or
    may not have been made."""


def invoke(call: EngagementCall) -> EngagementAnswer:
    try:
        response = aws.lambda_().invoke(
            FunctionName=get_settings().engagement_function_arn,
            InvocationType="RequestResponse",
            Payload=json.dumps(call.to_event(), separators=(",", ":")).encode(),
        )
        payload = json.loads(response["Payload"].read() or b"null")
    except (BotoCoreError, ClientError, ValueError) as error:
        logger.warning("engagement function not answered", extra={"error": type(error).__name__})
        raise EngagementUnanswered from None
    if response.get("FunctionError") or not isinstance(payload, dict) or "result" not in payload:
        logger.warning("engagement function failed", extra={"error": response.get("FunctionError")})
        raise EngagementUnanswered
    return EngagementAnswer.from_json(payload["result"])
