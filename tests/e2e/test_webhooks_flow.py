"""Issue 13's end-to-end check over `make dev`'s stack: a receiver on this machine, registered as
an outbound webhook endpoint, gets a correctly signed `post.published` after a sandbox post
publishes, verified with the Standard Webhooks reference library
(https://github.com/standard-webhooks/standard-webhooks/tree/main/libraries/python). The receiver
refuses the first attempt with a 503; the retry (5 s later, docs/webhooks.md) keeps the
`webhook-id` and is accepted. The post's author, an owner, is told nothing (nobody else is an
admin), so the notification half is covered in tests/notifications.
"""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.e2e.local_stack import LocalServer, local_server, sandbox_post, workspace_owner

DEADLINE_SECONDS = 60


class Receiver(ThreadingHTTPServer):
    """Answers 503 to its first request and 204 afterwards, keeping every request it got."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[dict[str, str], bytes, int]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/herald"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = 503 if not self.server.requests else 204
        self.server.requests.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def hooks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    logs: Path = tmp_path_factory.mktemp("webhooks-stack")
    with local_server(logs, {"HERALD_WEBHOOKS_ALLOW_LOCAL_HTTP": "true"}) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_a_published_post_reaches_a_registered_receiver_signed_and_retried(
    hooks_server: LocalServer, receiver: Receiver
) -> None:
    api = httpx.Client(base_url=hooks_server.base_url, timeout=30)
    workspace_id, owner = workspace_owner(api, hooks_server, "hooks@example.com", "Hooks")
    created = api.post(
        "/v1/webhooks/endpoints",
        json={"url": receiver.url, "description": "e2e", "event_types": ["post.published"]},
        headers=owner,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    post_id = sandbox_post(api, owner, "Hello, receivers!")
    published = api.post(f"/v1/posts/{post_id}/publish", headers=owner)
    assert published.status_code in (200, 202), published.text

    deadline = time.monotonic() + DEADLINE_SECONDS
    while len(receiver.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert [status for _, _, status in receiver.requests] == [503, 204], hooks_server.diagnostics()

    (first_headers, first_body, _), (headers, body, _) = receiver.requests
    assert first_headers["webhook-id"] == headers["webhook-id"]
    verified = Webhook(secret).verify(body, headers)
    assert verified["type"] == "post.published"
    assert (verified["data"]["post_id"], verified["data"]["workspace_id"]) == (
        post_id,
        workspace_id,
    )
    assert json.loads(first_body)["data"] == verified["data"]

    deliveries = api.get(f"/v1/webhooks/endpoints/{created.json()['id']}/deliveries", headers=owner)
    assert deliveries.status_code == 200, deliveries.text
    [delivery] = deliveries.json()["items"]
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 2), delivery
