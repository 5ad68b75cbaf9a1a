"""Sandbox comments and mentions reach the inbox through the signed webhook path a real platform
uses: `POST /v1/accounts/{id}/sandbox/comments` (publish group) sends a signed POST to Herald's
own `/v1/webhooks/platforms/sandbox` (webhooks group), which verifies and queues it; the inbound
processor records it.

The outgoing request is intercepted with respx and its signature checked here with hmac and
hashlib (`sha256=` and the hex HMAC-SHA256 of the raw body, as Meta's `X-Hub-Signature-256`:
https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads); it
is then handed to the webhooks app as the network would."""

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from functions.shared import sandbox_webhooks
from functions.shared.settings import get_settings
from functions.shared.tables import key
from functions.webhooks.adapters.inbox_items import InboxItem
from functions.webhooks.workers.inbound_processor import handler as processor
from tests.publish.posts_world import later
from tests.publish.studio import Studio
from tests.support.event_bus import bus_listener, catalogued, received
from tests.support.events import lambda_context

SECRET = "sandbox-secret-for-tests"
WEBHOOK = f"{get_settings().api_base_url}/v1/webhooks/platforms/sandbox"


class Platform:
    """The network between the sandbox and Herald's webhook endpoint."""

    def __init__(self, webhooks: TestClient) -> None:
        self.webhooks = webhooks
        self.sent: list[httpx.Request] = []
        self.down = False

    def deliver(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        self.sent.append(request)
        answer = self.webhooks.post(
            "/v1/webhooks/platforms/sandbox", content=request.content, headers=request.headers
        )
        return httpx.Response(answer.status_code, content=answer.content, headers=answer.headers)


@pytest.fixture
def platform(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    from functions.webhooks.app import app

    monkeypatch.setattr(sandbox_webhooks, "webhook_secret", lambda: SECRET)
    settings = get_settings()
    boto3.client("sqs", region_name=settings.region).create_queue(
        QueueName=settings.inbound_queue_url.rsplit("/", 1)[-1]
    )
    with TestClient(app) as webhooks, respx.mock(assert_all_called=False) as network:
        network_platform = Platform(webhooks)
        network.post(WEBHOOK).mock(side_effect=network_platform.deliver)
        yield network_platform


def process_queue() -> None:
    sqs = boto3.client("sqs", region_name=get_settings().region)
    url = get_settings().inbound_queue_url
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    records = [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]
    result = processor({"Records": records}, lambda_context("herald-test-inbound"))
    assert result == {"batchItemFailures": []}


def inbox(workspace_id: str) -> list[InboxItem]:
    return list(
        InboxItem.query(
            key("WS", workspace_id), InboxItem.sk.startswith("INBOX#"), consistent_read=True
        )
    )


def published_post(studio: Studio, account_id: str) -> str:
    created = studio.create(text="Autumn roast is back", targets=[{"account_id": account_id}])
    studio.schedule(created["id"], later())
    assert studio.fire(created["id"])["result"]["outcome"] == "published"
    post_id: str = created["id"]
    return post_id


def comment(
    studio: Studio, account_id: str, headers: dict[str, str] | None = None, **body: Any
) -> Any:
    return studio.client.post(
        f"/v1/accounts/{account_id}/sandbox/comments",
        json={"text": "Whole beans too?", **body},
        headers=headers or studio.headers,
    )


def test_a_sandbox_comment_arrives_through_the_signed_webhook(
    studio: Studio, platform: Platform
) -> None:
    account_id = studio.sandbox()
    post_id = published_post(studio, account_id)
    listener = bus_listener("comment.received")

    response = comment(
        studio, account_id, post_id=post_id, author={"name": "Ada Baker", "handle": "ada.bakes"}
    )

    assert response.status_code == 200, response.text
    sent = response.json()
    assert sent["accepted"] is True
    [request] = platform.sent
    expected = "sha256=" + hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-Sandbox-Signature-256"] == expected
    assert request.headers["Content-Type"] == "application/json"
    payload = json.loads(request.content)
    assert payload["event_id"] == sent["event_id"]
    assert payload["item"]["id"] == sent["platform_item_id"]
    process_queue()
    [item] = inbox(studio.workspace_id)
    assert (item.post_id, item.target_id, item.account_id) == (post_id, account_id, account_id)
    assert (item.kind, item.text, item.author_name) == ("comment", "Whole beans too?", "Ada Baker")
    [event] = received(listener)
    assert catalogued(event)["item_id"] == item.item_id


def test_a_reply_and_a_mention(studio: Studio, platform: Platform) -> None:
    account_id = studio.sandbox()
    post_id = published_post(studio, account_id)
    first = comment(studio, account_id, post_id=post_id).json()

    reply = comment(
        studio, account_id, kind="reply", post_id=post_id, reply_to=first["platform_item_id"]
    )
    mention = comment(studio, account_id, kind="mention", text="Thanks @sandbox!")

    assert reply.status_code == 200, reply.text
    assert mention.status_code == 200, mention.text
    process_queue()
    items = {item.kind: item for item in inbox(studio.workspace_id)}
    assert items["reply"].parent_id == first["platform_item_id"]
    assert items["reply"].post_id == post_id
    assert items["mention"].post_id is None


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "/body/post_id"),
        ({"kind": "mention", "post_id": "01JQ7ZK4V8X3N5R2T6W9Y0B1C2"}, "/body/post_id"),
        ({"kind": "reply", "post_id": "01JQ7ZK4V8X3N5R2T6W9Y0B1C2"}, "/body/reply_to"),
        ({"post_id": "01JQ7ZK4V8X3N5R2T6W9Y0B1C2"}, "/body/post_id"),  # not published by it
        ({"post_id": "x", "text": ""}, "/body/post_id"),
        ({"kind": "mention", "text": "t" * 2001}, "/body/text"),
    ],
)
def test_impossible_sandbox_comments_are_422(
    studio: Studio, platform: Platform, body: dict[str, Any], pointer: str
) -> None:
    account_id = studio.sandbox()

    response = comment(studio, account_id, **body)

    assert response.status_code == 422, response.text
    assert pointer in {error["pointer"] for error in response.json()["errors"]}
    assert platform.sent == []


def test_viewers_cannot_and_other_workspaces_accounts_are_404(
    studio: Studio, platform: Platform
) -> None:
    account_id = studio.sandbox()
    post_id = published_post(studio, account_id)
    viewer = studio.as_member("viewer")
    stranger = studio.herald.sign_up("stranger")
    theirs = studio.herald.create_workspace(stranger, "Theirs")["id"]
    x_account = studio.connect("x", "2244994945")

    assert comment(studio, account_id, viewer, post_id=post_id).status_code == 403
    elsewhere = stranger.headers | {"X-Workspace-Id": theirs}
    assert comment(studio, account_id, elsewhere, post_id=post_id).status_code == 404
    assert comment(studio, x_account, post_id=post_id).status_code == 404
    assert platform.sent == []


def test_an_unreachable_webhook_endpoint_is_a_503(studio: Studio, platform: Platform) -> None:
    account_id = studio.sandbox()
    platform.down = True

    response = comment(studio, account_id, kind="mention")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
