"""The WebSocket API's integration: `$connect`, `$disconnect` and every client message.

API Gateway invokes it with its WebSocket Lambda proxy events (locally, infra/local/realtime.py
builds the same events). A `$connect` answered with anything but 200 refuses the handshake with
that status. Client messages are answered through the routes' responses: the `body` returned
here is what the client receives.
"""

import json
from collections.abc import Mapping
from typing import Any

from functions.shared.observability import logger
from functions.shared.problems import PROBLEM_MEDIA_TYPE, Problem
from functions.webhooks.domain import realtime_connections

BEARER = "bearer "


def _token(event: Mapping[str, Any]) -> str | None:
    """The access token: the `token` query parameter (browsers cannot set headers on a
    WebSocket), else an `Authorization: Bearer` header."""
    query = event.get("queryStringParameters") or {}
    if query.get("token"):
        return str(query["token"])
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    authorization = str(headers.get("authorization", ""))
    if authorization.lower().startswith(BEARER):
        return authorization[len(BEARER) :].strip()
    return None


def _connect(event: Mapping[str, Any], connection_id: str) -> dict[str, Any]:
    try:
        realtime_connections.connect(connection_id, _token(event))
    except Problem as problem:
        logger.info("connection refused", extra={"status": problem.status})
        return {
            "statusCode": problem.status,
            "headers": {"Content-Type": PROBLEM_MEDIA_TYPE, **problem.headers},
            "body": problem.details().model_dump_json(exclude_none=True),
        }
    return {"statusCode": 200}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = event["requestContext"]
    route, connection_id = request["routeKey"], request["connectionId"]
    if route == "$connect":
        return _connect(event, connection_id)
    if route == "$disconnect":
        realtime_connections.disconnect(connection_id)
        return {"statusCode": 200}
    reply = realtime_connections.answer(connection_id, event.get("body") or "")
    return {"statusCode": 200, "body": json.dumps(reply, separators=(",", ":"))}
