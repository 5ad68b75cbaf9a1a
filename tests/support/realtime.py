"""A real WebSocket server for the real-time tests (fixture `realtime`): the local gateway under
uvicorn, in a thread of the test process, so that it shares moto (the `cloud` fixture) with the
test. Plus the client side: sending, receiving, and events as the bus delivers them.

The pusher's boto3 Management API client is pointed at that server, as `make dev` points it.
"""

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from ulid import ULID
from websockets.sync.client import ClientConnection, connect

from functions.shared import aws
from functions.shared.settings import get_settings


@dataclass(frozen=True)
class RealtimeServer:
    base_url: str

    @property
    def websocket_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/v1/realtime"

    @contextmanager
    def connect(self, token: str | None = None, **kwargs: Any) -> Iterator[ClientConnection]:
        url = self.websocket_url + (f"?token={token}" if token is not None else "")
        with connect(url, open_timeout=10, **kwargs) as client:
            yield client


@pytest.fixture
def realtime(cloud: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[RealtimeServer]:
    # Imported here: every test session loads this plugin, few tests serve WebSockets.
    import uvicorn

    from infra.local.server import LocalGateway

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    settings = get_settings().model_copy(update={"realtime_callback_url": base_url})
    monkeypatch.setattr(aws, "get_settings", lambda: settings)
    aws.reset_clients()
    server = uvicorn.Server(uvicorn.Config(LocalGateway({}), lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the WebSocket server did not start"
        time.sleep(0.02)
    yield RealtimeServer(base_url)
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()


def send(client: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    """Send a client message and return the reply."""
    client.send(json.dumps(message))
    return receive(client)


def receive(client: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    reply: dict[str, Any] = json.loads(client.recv(timeout=timeout))
    return reply


def nothing_arrives(client: ClientConnection, within: float = 0.5) -> bool:
    try:
        client.recv(timeout=within)
    except TimeoutError:
        return True
    return False


def eventually(check: Callable[[], bool], within: float = 5) -> bool:
    """Whether `check` comes true within `within` seconds: the gateway runs `$disconnect`
    after the client has closed, as API Gateway does."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def bus_event(event_type: str, workspace_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge event as a rule delivers it to a Lambda target, the envelope of the
    issue 13 event contract as its `detail`:
    https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
    """
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": event_type,
        "source": "herald.publish",
        "account": "123456789012",
        "time": now,
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "id": f"evt_{ULID()}",
            "type": event_type,
            "version": 1,
            "workspace_id": workspace_id,
            "occurred_at": now,
            "data": data,
        },
    }
