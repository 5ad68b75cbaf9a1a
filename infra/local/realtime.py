"""The local WebSocket API: real-time updates on the local port, as API Gateway serves them.

- `/v1/realtime` accepts WebSocket connections. Each handshake, client message and close is
  handed to the connection function (`functions/webhooks/workers/realtime_connections.py`) as
  the WebSocket Lambda proxy event API Gateway would send: a `$connect` answered with another
  status than 200 refuses the handshake with that status; the `body` of a message's answer is
  sent back to the client, as a route response is. Messages are routed on their `action`, as
  the API's route selection expression `$request.body.action` routes them.
- `POST /@connections/{connectionId}` and `DELETE /@connections/{connectionId}` are the API
  Gateway Management API, so the pusher sends with the same boto3 client in both places (its
  endpoint is settings' `realtime_callback_url`). An unknown connection is 410 `GoneException`.
  Requests are not authenticated: moto does not check IAM either.

API Gateway's limits (two hours per connection, ten idle minutes, 128 KB messages) are not
enforced here; the connection items still carry their two-hour TTL.
"""

import asyncio
import base64
import json
import secrets
import time
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from infra.local.runtime import Handler, LambdaContext, load_handler

REALTIME_PATH = "/v1/realtime"
CONNECTIONS_PREFIX = "/@connections/"
CONNECTION_HANDLER = "functions.webhooks.workers.realtime_connections.handler"
# The routes of the WebSocket API besides $connect, $disconnect and $default (infra/realtime.py).
ROUTE_KEYS = frozenset({"join", "leave", "ping"})
MANAGEMENT_METHODS = ("POST", "DELETE")
API_ID = "local"
STAGE = "local"


def route_key(body: str) -> str:
    """The route `$request.body.action` selects: the action if a route has it, else $default."""
    try:
        message = json.loads(body)
    except ValueError:
        return "$default"
    action = message.get("action") if isinstance(message, dict) else None
    return action if isinstance(action, str) and action in ROUTE_KEYS else "$default"


def new_connection_id() -> str:
    """Shaped like API Gateway's: base64 of random bytes, e.g. `L0SM9cOFvHcCIhw=`."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


class _Connection:
    def __init__(self, websocket: WebSocket, connected_at_ms: int) -> None:
        self.websocket = websocket
        self.connected_at_ms = connected_at_ms
        self.sending = asyncio.Lock()

    async def send(self, text: str) -> bool:
        """False when the client has gone in the meantime."""
        async with self.sending:
            try:
                await self.websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError):
                return False
        return True


class LocalWebSocketApi:
    def __init__(self, handler: Handler | None = None) -> None:
        self._handler = handler
        self._connections: dict[str, _Connection] = {}

    def serves(self, scope: Scope) -> bool:
        """A WebSocket connection to the route, or a Management API call it answers."""
        path: str = scope["path"]
        if path == REALTIME_PATH:
            return bool(scope["type"] == "websocket")
        return path.startswith(CONNECTIONS_PREFIX) and scope.get("method") in MANAGEMENT_METHODS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._serve_connection(WebSocket(scope, receive, send))
        else:
            response = await self._manage(Request(scope, receive))
            await response(scope, receive, send)

    async def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        if self._handler is None:
            self._handler = load_handler(CONNECTION_HANDLER)
        context = LambdaContext(
            function_name="herald-local-realtime-connections",
            invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:"
            "herald-local-realtime-connections",
            memory_limit_in_mb=256,
            timeout_seconds=10,
        )
        result: dict[str, Any] = await asyncio.to_thread(self._handler, event, context)
        return result

    async def _serve_connection(self, websocket: WebSocket) -> None:
        connection_id = new_connection_id()
        connected_at_ms = int(time.time() * 1000)
        answer = await self._invoke(
            _connect_event(websocket, connection_id, connected_at_ms),
        )
        status = int(answer.get("statusCode", 500))
        if status != HTTPStatus.OK:
            await websocket.send_denial_response(
                Response(answer.get("body"), status_code=status, headers=answer.get("headers"))
            )
            return
        await websocket.accept()
        connection = _Connection(websocket, connected_at_ms)
        self._connections[connection_id] = connection
        close_code: int = 1005
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    close_code = int(message.get("code") or 1005)
                    break
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode(errors="replace")
                event = _message_event(websocket, connection_id, connected_at_ms, text)
                reply = (await self._invoke(event)).get("body")
                if reply and not await connection.send(reply):
                    break
        finally:
            self._connections.pop(connection_id, None)
            await self._invoke(
                _disconnect_event(websocket, connection_id, connected_at_ms, close_code)
            )

    async def _manage(self, request: Request) -> Response:
        connection_id = request.url.path.removeprefix(CONNECTIONS_PREFIX)
        connection = self._connections.get(connection_id)
        if request.method == "DELETE" and connection is not None:
            await connection.websocket.close()
            return Response(status_code=HTTPStatus.NO_CONTENT)
        if connection is None or not await connection.send(
            (await request.body()).decode(errors="replace")
        ):
            return JSONResponse(
                {"message": f"Connection {connection_id} is gone."},
                status_code=HTTPStatus.GONE,
                headers={"x-amzn-ErrorType": "GoneException"},
            )
        return Response(status_code=HTTPStatus.OK)


def _request_context(
    websocket: WebSocket,
    connection_id: str,
    connected_at_ms: int,
    route: str,
    event_type: str,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    client = websocket.client
    return {
        "routeKey": route,
        "eventType": event_type,
        "extendedRequestId": uuid.uuid4().hex[:16],
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "messageDirection": "IN",
        "stage": STAGE,
        "connectedAt": connected_at_ms,
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "identity": {
            "sourceIp": client.host if client else "127.0.0.1",
            "userAgent": websocket.headers.get("user-agent"),
        },
        "requestId": uuid.uuid4().hex[:16],
        "domainName": websocket.headers.get("host", "127.0.0.1"),
        "connectionId": connection_id,
        "apiId": API_ID,
    }


def _connect_event(
    websocket: WebSocket, connection_id: str, connected_at_ms: int
) -> dict[str, Any]:
    headers = dict(websocket.headers.items())
    query = parse_qsl(websocket.scope.get("query_string", b"").decode())
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        multi_query.setdefault(name, []).append(value)
    event: dict[str, Any] = {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": _request_context(
            websocket, connection_id, connected_at_ms, "$connect", "CONNECT"
        ),
        "isBase64Encoded": False,
    }
    if multi_query:
        event["queryStringParameters"] = {name: values[-1] for name, values in multi_query.items()}
        event["multiValueQueryStringParameters"] = multi_query
    return event


def _message_event(
    websocket: WebSocket, connection_id: str, connected_at_ms: int, body: str
) -> dict[str, Any]:
    context = _request_context(
        websocket, connection_id, connected_at_ms, route_key(body), "MESSAGE"
    )
    context["messageId"] = uuid.uuid4().hex[:16]
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def _disconnect_event(
    websocket: WebSocket, connection_id: str, connected_at_ms: int, code: int
) -> dict[str, Any]:
    context = _request_context(
        websocket, connection_id, connected_at_ms, "$disconnect", "DISCONNECT"
    )
    context["disconnectStatusCode"] = code
    context["disconnectReason"] = ""
    return {
        "headers": dict(websocket.headers.items()),
        "requestContext": context,
        "isBase64Encoded": False,
    }
