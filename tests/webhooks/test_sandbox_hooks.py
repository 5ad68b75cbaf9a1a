"""The sandbox platform's webhook endpoint: verified on the raw body before anything parses it.

The signature is computed here with hmac and hashlib, independently of the code under test:
`X-Sandbox-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, modelled on Meta's
`X-Hub-Signature-256` (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads).
"""

import hashlib
import hmac
import json
from typing import Any

import boto3
import pytest

from functions.shared import sandbox_webhooks
from functions.shared.settings import get_settings
from tests.webhooks.hooks_world import Hooks

SECRET = "sandbox-secret-for-tests"
PATH = "/v1/webhooks/platforms/sandbox"


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event(event_id: str = "sandbox-evt-1") -> bytes:
    return json.dumps(
        {
            "event_id": event_id,
            "account_id": "sandbox-01JQ7ZM2D4F6H8K0N3P5R7T9V1",
            "item": {
                "id": "sandbox-comment-1",
                "kind": "comment",
                "text": "Lovely",
                "author": {"id": "u-1", "name": "Ada"},
                "created_at": "2026-12-05T07:00:00Z",
                "post_id": "sandbox-post-1",
            },
        }
    ).encode()


def queued() -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=get_settings().region)
    messages = sqs.receive_message(
        QueueUrl=get_settings().inbound_queue_url, MaxNumberOfMessages=10
    ).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


@pytest.fixture
def sandbox(hooks: Hooks, monkeypatch: pytest.MonkeyPatch) -> Hooks:
    monkeypatch.setattr(sandbox_webhooks, "webhook_secret", lambda: SECRET)
    settings = get_settings()
    boto3.client("sqs", region_name=settings.region).create_queue(
        QueueName=settings.inbound_queue_url.rsplit("/", 1)[-1]
    )
    return hooks


def post(hooks: Hooks, body: bytes, headers: dict[str, str]) -> Any:
    return hooks.client.post(
        PATH, content=body, headers={"Content-Type": "application/json", **headers}
    )


def test_a_signed_event_is_queued_once(sandbox: Hooks) -> None:
    body = event()

    first = post(sandbox, body, {"X-Sandbox-Signature-256": signed(body)})
    again = post(sandbox, body, {"X-Sandbox-Signature-256": signed(body)})

    assert (first.status_code, first.json()) == (200, {"accepted": 1})
    assert (again.status_code, again.json()) == (200, {"accepted": 0})
    [delivery] = queued()
    assert delivery["platform"] == "sandbox"
    assert delivery["event_id"] == "sandbox-evt-1"
    assert delivery["payload"] == json.loads(body)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Sandbox-Signature-256": signed(event(), "another-secret")},
        {"X-Sandbox-Signature-256": signed(event()).replace("sha256=", "sha1=")},
        {"X-Sandbox-Signature-256": signed(event() + b" ")},
        {"X-Sandbox-Signature-256": "sha256=" + "0" * 64},
    ],
    ids=["missing", "wrong-secret", "wrong-prefix", "other-body", "zeros"],
)
def test_an_unverified_request_is_refused_counted_and_not_queued(
    sandbox: Hooks, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    response = post(sandbox, event(), headers)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "platform webhook refused" in caplog.messages
    assert queued() == []


def test_a_tampered_body_is_refused(sandbox: Hooks) -> None:
    body = event()
    tampered = body.replace(b"Lovely", b"Awful!")

    response = post(sandbox, tampered, {"X-Sandbox-Signature-256": signed(body)})

    assert response.status_code == 401
    assert queued() == []


def test_a_body_over_the_limit_is_refused_before_anything_else(sandbox: Hooks) -> None:
    body = b"{" + b" " * sandbox_webhooks.MAX_BODY_BYTES + b"}"

    response = post(sandbox, body, {"X-Sandbox-Signature-256": signed(body)})

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_a_signed_body_that_is_no_sandbox_event_is_a_422(sandbox: Hooks) -> None:
    for body in (b"not json", b'{"event_id": "x"}'):
        response = post(sandbox, body, {"X-Sandbox-Signature-256": signed(body)})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
    assert queued() == []
