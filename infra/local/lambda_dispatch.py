"""Answers `lambda:Invoke` calls made through boto3 with the in-process functions.

moto's Step Functions engine runs a Lambda task by calling `lambda.invoke` on a client of the
default boto3 session. Two botocore event handlers on that session intercept each call for a
function we registered: the first keeps the call's parameters, the second runs the handler and
returns a response shaped like the real service's, so the engine's Retry and Catch see what they
would see in AWS. Calls for other functions go on to moto as usual.
"""

import io
import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from typing import Any, cast

import boto3
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.response import StreamingBody

from infra.local.runtime import InProcessLambdas

logger = logging.getLogger(__name__)

_PARAMS_KEY = "herald_local_invoke"
# botocore tracks unique ids across all events of an emitter, so each hook needs its own.
_HOOKS = (
    ("before-parameter-build.lambda.Invoke", "herald-local-keep-invoke-params"),
    ("before-call.lambda.Invoke", "herald-local-answer-invoke"),
)


def _payload_bytes(payload: Any) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    data: bytes = payload.read()
    return data


def _response(status: int, payload: bytes, function_error: str | None = None) -> Any:
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id, "X-Amz-Executed-Version": "$LATEST"}
    parsed: dict[str, Any] = {
        "StatusCode": status,
        "ExecutedVersion": "$LATEST",
        "Payload": StreamingBody(io.BytesIO(payload), len(payload)),
        "ResponseMetadata": {
            "RequestId": request_id,
            "HTTPStatusCode": status,
            "HTTPHeaders": headers,
            "RetryAttempts": 0,
        },
    }
    if function_error:
        parsed["FunctionError"] = function_error
        headers["X-Amz-Function-Error"] = function_error
    http = AWSResponse(
        url="local://lambda", status_code=status, headers=HTTPHeaders.from_dict(headers), raw=None
    )
    return http, parsed


class LambdaDispatcher:
    def __init__(self, lambdas: InProcessLambdas) -> None:
        self._lambdas = lambdas

    def keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS_KEY] = dict(params)

    def answer(self, context: dict[str, Any], **_: Any) -> Any:
        params = context.get(_PARAMS_KEY, {})
        name = str(params.get("FunctionName", ""))
        if name not in self._lambdas:
            return None
        invocation_type = params.get("InvocationType", "RequestResponse")
        if invocation_type == "DryRun":
            return _response(204, b"")
        raw = _payload_bytes(params.get("Payload"))
        try:
            event = json.loads(raw) if raw else {}
        except ValueError:
            return _error_response(name, ValueError("Could not parse request body into json"))
        if invocation_type == "Event":
            threading.Thread(target=self._invoke_async, args=(name, event), daemon=True).start()
            return _response(202, b"")
        try:
            result = self._lambdas.invoke(name, event)
            return _response(200, json.dumps(result).encode())
        except Exception as error:
            logger.exception("Function %s failed", name)
            return _error_response(name, error)

    def _invoke_async(self, name: str, event: Any) -> None:
        try:
            self._lambdas.invoke(name, event)
        except Exception:
            logger.exception("Function %s failed (asynchronous invocation)", name)


def _error_response(name: str, error: Exception) -> Any:
    """The payload the Python runtime returns for an unhandled exception."""
    body = {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": str(uuid.uuid4()),
        "stackTrace": traceback.format_tb(error.__traceback__),
    }
    return _response(200, json.dumps(body).encode(), function_error="Unhandled")


def install(lambdas: InProcessLambdas) -> None:
    """Route `lambda:Invoke` on the default boto3 session to `lambdas` (replacing any earlier)."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    uninstall()
    dispatcher = LambdaDispatcher(lambdas)
    hooks: tuple[Callable[..., Any], ...] = (dispatcher.keep_params, dispatcher.answer)
    for (event, unique_id), hook in zip(_HOOKS, hooks, strict=True):
        # The stubs type handlers as returning None, but a before-call handler's return value
        # is what botocore uses as the response.
        session.events.register(event, cast(Callable[..., None], hook), unique_id=unique_id)


def uninstall() -> None:
    session = boto3.DEFAULT_SESSION
    if session is None:
        return
    for event, unique_id in _HOOKS:
        session.events.unregister(event, unique_id=unique_id)
