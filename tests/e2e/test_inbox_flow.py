"""Issue 14's sandbox path over `make dev`'s stack: a comment on a published sandbox post, sent
with `POST /v1/accounts/{id}/sandbox/comments`, travels the signed webhook path a real platform
uses (the publish group POSTs it, signed, to Herald's own `/v1/webhooks/platforms/sandbox`),
is verified, queued, processed into an inbox item, and its `comment.received` reaches a webhook
endpoint registered for it through the outbox, the relay and the fan-out (verified with the
Standard Webhooks reference library). A forged delivery is refused.
"""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.e2e.local_stack import LocalServer, local_server, moto_client, until, workspace_owner


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint on this machine: answers 204 and keeps what it got."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/inbox"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def inbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    logs: Path = tmp_path_factory.mktemp("inbox-stack")
    with local_server(logs, {"HERALD_WEBHOOKS_ALLOW_LOCAL_HTTP": "true"}) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_a_sandbox_comment_reaches_the_inbox_and_a_webhook_endpoint(
    inbox_server: LocalServer, receiver: Receiver
) -> None:
    api = httpx.Client(base_url=inbox_server.base_url, timeout=30)
    workspace_id, owner = workspace_owner(api, inbox_server, "inbox@example.com", "Inbox")
    endpoint = api.post(
        "/v1/webhooks/endpoints",
        json={"url": receiver.url, "event_types": ["comment.received"]},
        headers=owner,
    )
    assert endpoint.status_code == 201, endpoint.text
    account = api.post("/v1/accounts", json={"platform": "sandbox", "name": "Cafe"}, headers=owner)
    assert account.status_code == 201, account.text
    account_id = account.json()["id"]
    post = api.post(
        "/v1/posts",
        json={"text": "Autumn roast is back", "targets": [{"account_id": account_id}]},
        headers=owner,
    )
    assert post.status_code == 201, post.text
    post_id = post.json()["id"]
    assert api.post(f"/v1/posts/{post_id}/publish", headers=owner).status_code in (200, 202)
    until(
        lambda: api.get(f"/v1/posts/{post_id}", headers=owner).json()["status"] == "published",
        inbox_server,
    )

    sent = api.post(
        f"/v1/accounts/{account_id}/sandbox/comments",
        json={"post_id": post_id, "text": "Whole beans too?", "author": {"name": "Ada Baker"}},
        headers=owner,
    )

    assert sent.status_code == 200, sent.text
    assert sent.json()["accepted"] is True
    headers, body = until(lambda: receiver.received and receiver.received[0], inbox_server)
    delivered = Webhook(endpoint.json()["secret"]).verify(body, headers)
    assert delivered["type"] == "comment.received"
    data = delivered["data"]
    assert (data["workspace_id"], data["post_id"], data["target_id"]) == (
        workspace_id,
        post_id,
        account_id,
    )
    assert (data["text"], data["author"]["name"]) == ("Whole beans too?", "Ada Baker")
    assert data["platform_item_id"] == sent.json()["platform_item_id"]
    stored = moto_client(inbox_server, "dynamodb").get_item(
        TableName=_app_table(inbox_server),
        Key={"PK": {"S": f"WS#{workspace_id}"}, "SK": {"S": f"INBOX#{data['item_id']}"}},
        ConsistentRead=True,
    )["Item"]
    assert (stored["text"]["S"], stored["status"]["S"]) == ("Whole beans too?", "new")
    assert json.loads(body)["data"]["item_id"] == data["item_id"]


def test_a_forged_sandbox_delivery_is_refused(inbox_server: LocalServer) -> None:
    body = json.dumps({"event_id": "forged", "account_id": "x", "item": {}}).encode()

    response = httpx.post(
        f"{inbox_server.base_url}/v1/webhooks/platforms/sandbox",
        content=body,
        headers={"X-Sandbox-Signature-256": "sha256=" + "ab" * 32},
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def _app_table(server: LocalServer) -> str:
    dynamodb = moto_client(server, "dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
        if [key["AttributeName"] for key in schema] == ["PK", "SK"]:
            return str(table)
    pytest.fail("No application table in moto.")
