"""The platforms' webhook routes over HTTP: handshakes, signatures and what reaches the queue.

Every signature here is computed by the test itself with hmac, hashlib and base64, following
each platform's documentation (cited per test), never with Herald's code. A refused request
must answer 403 (404 for a WebSub verification Herald did not ask for, as WebSub says) in the
problem details format, be counted in the `PlatformWebhooksRefused` metric, and leave nothing
claimed or queued.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from fastapi.testclient import TestClient

from functions.shared import platform_credentials, websub
from functions.shared.inbound import InboundDelivery
from functions.shared.settings import get_settings
from functions.shared.tables import AppItem
from functions.webhooks.domain.platform_hooks.parsers import PARSERS
from tests.support.events import lambda_context, rest_proxy_event
from tests.webhooks import platform_examples as examples

META_SECRET = "meta-app-secret"
THREADS_SECRET = "threads-app-secret"
X_SECRET = "x-consumer-secret"
TIKTOK_SECRET = "tiktok-client-secret"
LINKEDIN_SECRET = "linkedin-client-secret"
WEBSUB_SECRET = "websub-master-secret"
VERIFY_TOKEN = "meta-verify-token"
CREDENTIALS = {
    "meta": {"client_secret": META_SECRET, "webhook_verify_token": VERIFY_TOKEN},
    "threads": {"client_secret": THREADS_SECRET, "webhook_verify_token": VERIFY_TOKEN},
    "x": {"consumer_secret": X_SECRET},
    "tiktok": {"client_secret": TIKTOK_SECRET},
    "linkedin": {"client_secret": LINKEDIN_SECRET},
    "google": {"websub_secret": WEBSUB_SECRET},
}
PROBLEM = "application/problem+json"


@pytest.fixture
def client(cloud: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from functions.webhooks.app import app

    settings = get_settings()
    queue = settings.inbound_queue_url.rsplit("/", 1)[-1]
    boto3.client("sqs", region_name=settings.region).create_queue(QueueName=queue)
    monkeypatch.setattr(platform_credentials, "platform_credentials", lambda: CREDENTIALS)
    with TestClient(app) as test_client:
        yield test_client


def queued() -> list[InboundDelivery]:
    sqs = boto3.client("sqs", region_name=get_settings().region)
    messages = sqs.receive_message(
        QueueUrl=get_settings().inbound_queue_url, MaxNumberOfMessages=10
    ).get("Messages", [])
    return [InboundDelivery.from_json(message["Body"]) for message in messages]


def claims() -> list[str]:
    """Every inbound claim in the table (a test may scan; no request path does)."""
    return [item.pk for item in AppItem.scan() if item.sk == "RECEIPT#inbound"]


def refusals(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    """(platform, reason) of each refusal metric printed so far (CloudWatch EMF documents)."""
    documents = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    return [
        (document["platform"], document["reason"])
        for document in documents
        if "PlatformWebhooksRefused" in document
    ]


def assert_refused(
    response: Any, capsys: pytest.CaptureFixture[str], platform: str, reason: str, status: int = 403
) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == status
    assert refusals(capsys) == [(platform, reason)]
    assert queued() == []
    assert claims() == []


def raw(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def hex_hmac(secret: str, message: bytes, algorithm: Any = hashlib.sha256) -> str:
    return hmac.new(secret.encode(), message, algorithm).hexdigest()


# Meta -- https://developers.facebook.com/docs/graph-api/webhooks/getting-started
# ("Verification Requests" and "Validating Payloads": sha256= and the hex HMAC-SHA256 of the
# raw body keyed with the app secret).


def meta_signature(body: bytes, secret: str = META_SECRET) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + hex_hmac(secret, body)}


def test_meta_verification_request_echoes_the_challenge_for_the_right_token(
    client: TestClient,
) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = client.get("/v1/webhooks/platforms/meta", params=query)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


def test_meta_verification_request_with_another_token_is_refused(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}
    response = client.get("/v1/webhooks/platforms/meta", params=query)
    assert_refused(response, capsys, "meta", "bad_verify_token")
    assert "1158201444" not in response.text


def test_a_signed_facebook_comment_is_claimed_and_queued_once(client: TestClient) -> None:
    body = raw(examples.FACEBOOK_FEED_COMMENT)
    response = client.post(
        "/v1/webhooks/platforms/meta", content=body, headers=meta_signature(body)
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 1, "queued": 1}
    [delivery] = queued()
    assert delivery.platform == "facebook"
    [comment] = PARSERS["facebook"](delivery.payload)
    assert comment.platform_account_id == "1067280970047460"
    # Meta's retry of the same delivery is acknowledged and not queued again.
    again = client.post("/v1/webhooks/platforms/meta", content=body, headers=meta_signature(body))
    assert again.json() == {"received": 1, "queued": 0}
    assert queued() == []


def test_a_signed_instagram_comment_is_queued_for_instagram(client: TestClient) -> None:
    body = raw(examples.INSTAGRAM_COMMENT)
    response = client.post(
        "/v1/webhooks/platforms/meta", content=body, headers=meta_signature(body)
    )
    assert response.json() == {"received": 1, "queued": 1}
    [delivery] = queued()
    assert (delivery.platform, delivery.event_id) == ("instagram", "comments:17865799348089039")


@pytest.mark.parametrize(
    ("headers_for", "reason"),
    [
        # tampered: signed, then changed
        (lambda body: meta_signature(body.replace(b"blue", b"gold")), "bad_signature"),
        (lambda body: meta_signature(body, secret="another app's secret"), "bad_signature"),
        (lambda body: {}, "missing_signature"),
        (
            lambda body: {"X-Hub-Signature-256": "sha1=" + hex_hmac(META_SECRET, body)},
            "bad_signature",
        ),
    ],
    ids=["tampered", "wrong-secret", "missing", "wrong-algorithm"],
)
def test_meta_deliveries_failing_verification_are_refused_and_not_processed(
    client: TestClient, capsys: pytest.CaptureFixture[str], headers_for: Any, reason: str
) -> None:
    body = raw(examples.FACEBOOK_FEED_COMMENT)
    response = client.post("/v1/webhooks/platforms/meta", content=body, headers=headers_for(body))
    assert_refused(response, capsys, "meta", reason)


def test_threads_deliveries_are_verified_with_the_threads_app_secret(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    body = raw(examples.THREADS_REPLY)
    refused = client.post(
        "/v1/webhooks/platforms/threads", content=body, headers=meta_signature(body)
    )
    assert_refused(refused, capsys, "threads", "bad_signature")
    response = client.post(
        "/v1/webhooks/platforms/threads",
        content=body,
        headers=meta_signature(body, THREADS_SECRET),
    )
    assert response.json() == {"received": 1, "queued": 1}
    [delivery] = queued()
    assert (delivery.platform, delivery.event_id) == ("threads", "replies:8901234")


# Meta's app callbacks --
# https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback
# (a form field `signed_request`: base64url signature, a dot, base64url JSON payload; the
# signature is the HMAC-SHA256 of the encoded payload keyed with the app secret).


def signed_request(payload: dict[str, Any], secret: str = META_SECRET) -> str:
    encoded = base64.urlsafe_b64encode(raw(payload)).rstrip(b"=")
    signature = hmac.new(secret.encode(), encoded, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode() + "." + encoded.decode()


SIGNED = {
    "algorithm": "HMAC-SHA256",
    "expires": 1291840400,
    "issued_at": 1291836800,
    "user_id": "218471",
}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_a_data_deletion_request_is_answered_with_a_status_url_and_its_code(
    client: TestClient,
) -> None:
    form = urlencode({"signed_request": signed_request(SIGNED)})
    response = client.post("/v1/webhooks/platforms/meta/data-deletion", content=form, headers=FORM)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"url", "confirmation_code"}
    base = get_settings().api_base_url
    assert (
        answer["url"]
        == f"{base}/v1/webhooks/platforms/data-deletions/{answer['confirmation_code']}"
    )
    status = client.get(answer["url"].removeprefix(base))
    assert status.status_code == 200
    assert status.json()["status"] == "pending"
    assert "218471" not in status.text  # the status page shows no personal data
    [delivery] = queued()
    assert PARSERS["facebook"](delivery.payload)[0].kind == "data_deletion_requested"
    # Meta's retry of the same request gets the same code.
    retry = client.post("/v1/webhooks/platforms/meta/data-deletion", content=form, headers=FORM)
    assert retry.json() == answer
    assert client.get("/v1/webhooks/platforms/data-deletions/unknowncode").status_code == 404


def test_a_deauthorization_is_queued_as_an_authorization_removed_notice(client: TestClient) -> None:
    form = urlencode({"signed_request": signed_request(SIGNED, THREADS_SECRET)})
    response = client.post("/v1/webhooks/platforms/threads/deauthorize", content=form, headers=FORM)
    assert response.json() == {"received": 1, "queued": 1}
    [delivery] = queued()
    [notice] = PARSERS[delivery.platform](delivery.payload)
    assert (notice.platform, notice.platform_account_id, notice.kind) == (
        "threads",
        "218471",
        "authorization_removed",
    )


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"signed_request": signed_request(SIGNED, "not the app secret")}, "bad_signature"),
        ({"signed_request": signed_request(SIGNED).replace(".", ".e30", 1)}, "bad_signature"),
        ({"signed_request": "no-dot-at-all"}, "malformed_signature"),
        ({}, "missing_signature"),
    ],
    ids=["wrong-secret", "tampered", "malformed", "missing"],
)
def test_forged_data_deletion_requests_are_refused(
    client: TestClient, capsys: pytest.CaptureFixture[str], form: dict[str, str], reason: str
) -> None:
    response = client.post(
        "/v1/webhooks/platforms/meta/data-deletion", content=urlencode(form), headers=FORM
    )
    assert_refused(response, capsys, "meta", reason)


# X -- https://docs.x.com/x-api/webhooks/quickstart and
# https://developer.x.com/en/docs/twitter-api/enterprise/account-activity-api/guides/securing-webhooks
# (the CRC's response_token and the x-twitter-webhooks-signature: sha256= and the base64
# HMAC-SHA256 keyed with the consumer secret).


def x_token(message: bytes, secret: str = X_SECRET) -> str:
    return (
        "sha256="
        + base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
    )


def test_the_x_crc_is_answered_with_the_response_token(client: TestClient) -> None:
    response = client.get("/v1/webhooks/platforms/x", params={"crc_token": "9b4507b3-2f1f-4bb1"})
    assert response.status_code == 200
    assert response.json() == {"response_token": x_token(b"9b4507b3-2f1f-4bb1")}


def test_a_signed_x_reply_is_queued(client: TestClient) -> None:
    body = raw(examples.X_REPLY)
    response = client.post(
        "/v1/webhooks/platforms/x",
        content=body,
        headers={"x-twitter-webhooks-signature": x_token(body)},
    )
    assert response.json() == {"received": 1, "queued": 1}
    [delivery] = queued()
    assert delivery.event_id == "post:2244994945:1050118621198921728"


@pytest.mark.parametrize(
    ("headers_for", "reason"),
    [
        (lambda body: {"x-twitter-webhooks-signature": x_token(body + b" ")}, "bad_signature"),
        (lambda body: {"x-twitter-webhooks-signature": x_token(body, "other")}, "bad_signature"),
        (lambda body: {}, "missing_signature"),
    ],
    ids=["tampered", "wrong-secret", "missing"],
)
def test_x_deliveries_failing_verification_are_refused(
    client: TestClient, capsys: pytest.CaptureFixture[str], headers_for: Any, reason: str
) -> None:
    body = raw(examples.X_REPLY)
    response = client.post("/v1/webhooks/platforms/x", content=body, headers=headers_for(body))
    assert_refused(response, capsys, "x", reason)


# TikTok -- https://developers.tiktok.com/doc/webhooks-verification (TikTok-Signature:
# t=<timestamp>,s=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the client secret>).


def tiktok_signature(body: bytes, timestamp: int, secret: str = TIKTOK_SECRET) -> dict[str, str]:
    signature = hex_hmac(secret, f"{timestamp}.".encode() + body)
    return {"TikTok-Signature": f"t={timestamp},s={signature}"}


def test_a_signed_tiktok_event_is_queued(client: TestClient) -> None:
    body = raw(examples.TIKTOK_PUBLISH_FAILED)
    response = client.post(
        "/v1/webhooks/platforms/tiktok",
        content=body,
        headers=tiktok_signature(body, int(time.time())),
    )
    assert response.json() == {"received": 1, "queued": 1}
    [delivery] = queued()
    [notice] = PARSERS["tiktok"](delivery.payload)
    assert notice.kind == "publish_failed"


@pytest.mark.parametrize(
    ("headers_for", "reason"),
    [
        (lambda body, now: tiktok_signature(body + b"\n", now), "bad_signature"),
        (lambda body, now: tiktok_signature(body, now, "other"), "bad_signature"),
        (lambda body, now: {}, "missing_signature"),
        (lambda body, now: tiktok_signature(body, now - 301), "stale_timestamp"),
        (lambda body, now: {"TikTok-Signature": "s=abc"}, "malformed_signature"),
    ],
    ids=["tampered", "wrong-secret", "missing", "stale", "malformed"],
)
def test_tiktok_events_failing_verification_are_refused(
    client: TestClient, capsys: pytest.CaptureFixture[str], headers_for: Any, reason: str
) -> None:
    body = raw(examples.TIKTOK_AUTHORIZATION_REMOVED)
    headers = headers_for(body, int(time.time()))
    response = client.post("/v1/webhooks/platforms/tiktok", content=body, headers=headers)
    assert_refused(response, capsys, "tiktok", reason)


# YouTube -- https://developers.google.com/youtube/v3/guides/push_notifications and
# https://www.w3.org/TR/websub/ (verification of intent, section 5.3; X-Hub-Signature,
# section 8: method=<hex HMAC of the body keyed with the subscription's hub.secret>).

TOPIC = f"https://www.youtube.com/xml/feeds/videos.xml?channel_id={examples.YOUTUBE_CHANNEL}"
CALLBACK = f"/v1/webhooks/platforms/youtube/{examples.YOUTUBE_CHANNEL}"


def verification(mode: str = "subscribe", topic: str = TOPIC) -> dict[str, str]:
    return {
        "hub.mode": mode,
        "hub.topic": topic,
        "hub.challenge": "c7f1a2b3",
        "hub.lease_seconds": "432000",
    }


def test_a_websub_verification_for_a_topic_never_requested_is_refused(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.get(CALLBACK, params=verification())
    assert_refused(response, capsys, "youtube", "unrequested_topic", status=404)
    assert "c7f1a2b3" not in response.text


def test_a_websub_verification_is_confirmed_only_for_the_topic_and_mode_asked_for(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    websub.request_subscription(TOPIC, "subscribe")
    other_channel = TOPIC.replace(examples.YOUTUBE_CHANNEL, "UC" + "B" * 22)
    assert client.get(CALLBACK, params=verification(topic=other_channel)).status_code == 404
    assert client.get(CALLBACK, params=verification(mode="unsubscribe")).status_code == 404
    assert refusals(capsys) == [("youtube", "unrequested_topic")] * 2
    response = client.get(CALLBACK, params=verification())
    assert response.status_code == 200
    assert response.text == "c7f1a2b3"
    item = websub.WebSubSubscriptionItem.get(*websub.WebSubSubscriptionItem.keys(TOPIC))
    assert item.lease_seconds == 432000
    assert item.verified_at is not None
    # Unsubscribing is confirmed once asked for, and forgets the topic.
    websub.request_subscription(TOPIC, "unsubscribe")
    assert client.get(CALLBACK, params=verification(mode="unsubscribe")).status_code == 200
    assert client.get(CALLBACK, params=verification()).status_code == 404


def websub_signature(body: bytes, secret: str | None = None) -> dict[str, str]:
    # Herald's subscription secret: HMAC-SHA256 of the topic keyed with the configured secret
    # (docs/inbox.md), computed here independently.
    secret = secret or hex_hmac(WEBSUB_SECRET, TOPIC.encode())
    return {"X-Hub-Signature": "sha1=" + hex_hmac(secret, body, hashlib.sha1)}


def test_a_signed_youtube_notification_is_queued(client: TestClient) -> None:
    body = examples.YOUTUBE_FEED
    response = client.post(CALLBACK, content=body, headers=websub_signature(body))
    assert response.json() == {"received": 1, "queued": 1}
    [delivery] = queued()
    assert delivery.payload["video_id"] == "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("headers_for", "reason"),
    [
        (lambda body: websub_signature(body.replace(b"Video title", b"Other")), "bad_signature"),
        (lambda body: websub_signature(body, secret=WEBSUB_SECRET), "bad_signature"),
        (lambda body: {}, "missing_signature"),
        (lambda body: {"X-Hub-Signature": "md5=abc"}, "malformed_signature"),
    ],
    ids=["tampered", "wrong-secret", "missing", "unknown-method"],
)
def test_youtube_notifications_failing_verification_are_refused(
    client: TestClient, capsys: pytest.CaptureFixture[str], headers_for: Any, reason: str
) -> None:
    body = examples.YOUTUBE_FEED
    response = client.post(CALLBACK, content=body, headers=headers_for(body))
    assert_refused(response, capsys, "youtube", reason)


# LinkedIn -- https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation
# (challengeResponse: hex HMAC-SHA256 of the challengeCode; X-LI-Signature: hmacsha256= and
# the hex HMAC-SHA256 of the body; both keyed with the client secret).


def test_the_linkedin_challenge_is_answered(client: TestClient) -> None:
    code = "890e4665-4dfe-4ab1-b689-ed553bceeed0"
    response = client.get("/v1/webhooks/platforms/linkedin", params={"challengeCode": code})
    assert response.json() == {
        "challengeCode": code,
        "challengeResponse": hex_hmac(LINKEDIN_SECRET, code.encode()),
    }


def test_signed_linkedin_notifications_are_queued_and_forged_ones_refused(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    body = raw(examples.LINKEDIN_COMMENT)
    forged = client.post(
        "/v1/webhooks/platforms/linkedin",
        content=body,
        headers={"X-LI-Signature": "hmacsha256=" + hex_hmac("other", body)},
    )
    assert_refused(forged, capsys, "linkedin", "bad_signature")
    response = client.post(
        "/v1/webhooks/platforms/linkedin",
        content=body,
        headers={"X-LI-Signature": "hmacsha256=" + hex_hmac(LINKEDIN_SECRET, body)},
    )
    assert response.json() == {"received": 1, "queued": 1}


# What every route shares.


def test_bodies_over_the_limit_are_refused_before_they_are_read(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from functions.webhooks.routes.platform_hooks import MAX_BODY_BYTES

    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    response = client.post(
        "/v1/webhooks/platforms/meta", content=body, headers=meta_signature(body)
    )
    assert_refused(response, capsys, "meta", "too_large", status=413)


def test_a_body_without_a_declared_length_is_read_no_further_than_the_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Chunked, as a sender may stream it: the route stops pulling chunks once past the limit
    (TestClient buffers a body before sending it, so the ASGI messages are given here)."""
    import asyncio

    from starlette.requests import Request

    from functions.shared.problems import ContentTooLarge
    from functions.webhooks.routes.platform_hooks import MAX_BODY_BYTES, _body

    chunk = b" " * (16 * 1024)
    pulled: list[int] = []

    async def receive() -> dict[str, Any]:
        pulled.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": len(pulled) < 1000}

    request = Request({"type": "http", "method": "POST", "headers": []}, receive)
    with pytest.raises(ContentTooLarge):
        asyncio.run(_body(request, "x"))
    assert sum(pulled) <= MAX_BODY_BYTES + len(chunk)
    assert refusals(capsys) == [("x", "too_large")]


def test_a_platform_without_its_secret_configured_refuses_everything(
    client: TestClient, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform_credentials, "platform_credentials", lambda: {})
    body = raw(examples.TIKTOK_AUTHORIZATION_REMOVED)
    response = client.post(
        "/v1/webhooks/platforms/tiktok",
        content=body,
        headers=tiktok_signature(body, int(time.time())),
    )
    assert_refused(response, capsys, "tiktok", "not_configured")


def test_a_verified_body_that_is_not_json_is_a_bad_request(client: TestClient) -> None:
    body = b"not json"
    response = client.post(
        "/v1/webhooks/platforms/meta", content=body, headers=meta_signature(body)
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert queued() == []


@pytest.mark.parametrize("under_lambda", [True, False], ids=["lambda", "local-server"])
def test_the_intake_runs_inline_only_under_lambda(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, under_lambda: bool
) -> None:
    """Lambda gives an execution environment one request at a time, so there the intake's
    blocking work runs on the event loop's thread; a local server answering every group at once
    hands it to the threadpool. Either way the delivery is claimed and queued once."""
    from functions.shared.inbound import accept
    from functions.webhooks import app as webhooks_app
    from functions.webhooks.domain import platform_intake

    threads: list[int] = []

    def accept_on_this_thread(deliveries: list[InboundDelivery]) -> int:
        threads.append(threading.get_ident())
        return accept(deliveries)

    monkeypatch.setattr(platform_intake, "accept", accept_on_this_thread)
    if under_lambda:
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "herald-test-webhooks")
    else:
        monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    body = json.dumps(examples.INSTAGRAM_COMMENT).encode()  # as rest_proxy_event encodes it
    event = rest_proxy_event(
        "POST",
        "/v1/webhooks/platforms/meta",
        resource="/v1/webhooks/{proxy+}",
        headers=meta_signature(body),
        body=examples.INSTAGRAM_COMMENT,
    )
    assert event["body"].encode() == body  # the signature covers exactly what is sent

    answer = webhooks_app.handler(event, lambda_context("herald-test-webhooks"))

    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"]) == {"received": 1, "queued": 1}
    assert len(queued()) == 1
    assert (threads == [threading.get_ident()]) is under_lambda
