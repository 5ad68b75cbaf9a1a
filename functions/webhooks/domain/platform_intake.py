"""Receiving the platforms' webhooks: verify the raw body, answer the handshakes, split what is
verified into deliveries and hand them to `inbound.accept` (docs/inbox.md).

Nothing here parses a body before its signature has been checked. A request that fails any
check raises a `WebhookRefused` (403) or, for a WebSub verification of a topic Herald never asked
for, a 404 as WebSub prescribes; either way it is counted in the `PlatformWebhooksRefused`
metric, by platform and reason, and nothing is claimed or queued.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from functions.shared import data_deletions
from functions.shared.inbound import InboundDelivery, accept
from functions.shared.observability import logger
from functions.shared.platform_credentials import platform_secret
from functions.shared.problems import BadRequest, NotFound
from functions.shared.settings import get_settings
from functions.shared.websub import channel_topic, confirm, subscription_secret
from functions.webhooks.domain import platform_signatures as signatures
from functions.webhooks.domain.platform_hook_models import (
    DataDeletionConfirmation,
    DataDeletionStatus,
    DeliveriesAccepted,
    LinkedInChallengeAnswer,
    XChallengeAnswer,
)
from functions.webhooks.domain.platform_hooks import (
    facebook,
    instagram,
    linkedin,
    meta,
    threads,
    tiktok,
    x,
    youtube,
)
from functions.webhooks.domain.platform_signatures import WebhookRefused

REFUSED_METRIC = "PlatformWebhooksRefused"
# Far above any single platform notification; API Gateway would take 10 MB.
MAX_BODY_BYTES = 256 * 1024

MetaApp = Literal["meta", "threads"]
# Which entry of the platform credentials holds each Meta app's secrets.
META_ENTRIES: dict[MetaApp, str] = {"meta": "meta", "threads": "threads"}


def count_refusal(platform: str, reason: str) -> None:
    with single_metric(
        name=REFUSED_METRIC, unit=MetricUnit.Count, value=1, namespace="Herald"
    ) as metric:
        metric.add_dimension(name="platform", value=platform)
        metric.add_dimension(name="reason", value=reason)
    logger.warning("platform webhook refused", extra={"platform": platform, "reason": reason})


@contextmanager
def refusals_counted(platform: str) -> Iterator[None]:
    try:
        yield
    except WebhookRefused as refused:
        count_refusal(platform, refused.reason)
        raise


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("The verified body is not JSON.") from None


def _accepted(deliveries: list[InboundDelivery]) -> DeliveriesAccepted:
    return DeliveriesAccepted(received=len(deliveries), queued=accept(deliveries))


# Meta: Facebook Pages and Instagram (one app), Threads (its own app and secret).


def meta_handshake(app: MetaApp, mode: str, verify_token: str, challenge: str) -> str:
    """https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests"""
    with refusals_counted(app):
        if mode != "subscribe":
            raise WebhookRefused("bad_verify_token", "hub.mode must be `subscribe`.")
        signatures.meta_verify_token_matches(
            verify_token, platform_secret(META_ENTRIES[app], "webhook_verify_token")
        )
    return challenge


def receive_meta(app: MetaApp, body: bytes, signature: str | None) -> DeliveriesAccepted:
    with refusals_counted(app):
        signatures.verify_meta(body, signature, platform_secret(META_ENTRIES[app], "client_secret"))
    parsed = _json(body)
    if app == "threads":
        return _accepted(threads.split(parsed))
    if not isinstance(parsed, dict):
        raise BadRequest("The verified body is not a Meta webhook object.")
    splitters = {"page": facebook.split, "instagram": instagram.split}
    split = splitters.get(str(parsed.get("object")))
    return _accepted(split(parsed) if split else [])


def _signed_request(app: MetaApp, body: bytes) -> dict[str, Any]:
    """The verified payload of a deauthorize or data deletion callback: a form with one
    `signed_request` (https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback)."""
    form = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=4)
    values = form.get("signed_request", [])
    with refusals_counted(app):
        if len(values) != 1:
            raise WebhookRefused("missing_signature", "The form has no signed_request.")
        return signatures.meta_signed_request(
            values[0], platform_secret(META_ENTRIES[app], "client_secret")
        )


def _callback_platform(app: MetaApp) -> str:
    return "threads" if app == "threads" else "facebook"


def receive_meta_deauthorization(app: MetaApp, body: bytes) -> DeliveriesAccepted:
    signed = _signed_request(app, body)
    return _accepted([meta.callback_delivery(_callback_platform(app), "deauthorize", signed)])


def receive_meta_data_deletion(app: MetaApp, body: bytes) -> DataDeletionConfirmation:
    """Answered with the status URL and confirmation code Meta shows the user; Meta's retry of
    the same request gets the same code."""
    signed = _signed_request(app, body)
    platform = _callback_platform(app)
    delivery = meta.callback_delivery(platform, "data_deletion", signed)
    code = data_deletions.record(platform, delivery.event_id).confirmation_code
    accept([meta.callback_delivery(platform, "data_deletion", signed, code)])
    base = get_settings().api_base_url.rstrip("/")
    return DataDeletionConfirmation(
        url=f"{base}/v1/webhooks/platforms/data-deletions/{code}", confirmation_code=code
    )


def data_deletion_status(confirmation_code: str) -> DataDeletionStatus:
    request = data_deletions.find(confirmation_code)
    if request is None:
        raise NotFound("No data deletion request has this confirmation code.")
    if request.completed_at is not None:
        return DataDeletionStatus(
            confirmation_code=confirmation_code,
            status="completed",
            requested_at=request.requested_at,
            completed_at=request.completed_at,
            detail="Herald deleted the data it held about you: every account you had connected "
            "to Herald through this app is disconnected and its access tokens are deleted.",
        )
    return DataDeletionStatus(
        confirmation_code=confirmation_code,
        status="pending",
        requested_at=request.requested_at,
        detail="Herald received this request and is disconnecting every account you connected "
        "to Herald through this app, deleting its access tokens.",
    )


# X: the challenge-response check and signed account activity.


def x_crc(crc_token: str) -> XChallengeAnswer:
    """https://docs.x.com/x-api/webhooks/quickstart (the CRC)"""
    with refusals_counted("x"):
        token = signatures.x_crc_response(crc_token, platform_secret("x", "consumer_secret"))
    return XChallengeAnswer(response_token=token)


def receive_x(body: bytes, signature: str | None) -> DeliveriesAccepted:
    with refusals_counted("x"):
        signatures.verify_x(body, signature, platform_secret("x", "consumer_secret"))
    parsed = _json(body)
    return _accepted(x.split(parsed) if isinstance(parsed, dict) else [])


# TikTok: signed events with a timestamp.


def receive_tiktok(body: bytes, signature: str | None, now: datetime) -> DeliveriesAccepted:
    with refusals_counted("tiktok"):
        signatures.verify_tiktok(body, signature, platform_secret("tiktok", "client_secret"), now)
    parsed = _json(body)
    return _accepted(tiktok.split(parsed) if isinstance(parsed, dict) else [])


# YouTube: WebSub, one callback per channel so the subscription's secret is known before
# the body is read.


def websub_verification(
    channel_id: str, mode: str, topic: str, challenge: str, lease_seconds: int | None
) -> str:
    """https://www.w3.org/TR/websub/#hub-verifies-intent: echo the challenge only for a topic
    and mode Herald asked for; anything else is answered 404, as the spec says."""
    if topic != channel_topic(channel_id) or not confirm(topic, mode, lease_seconds):
        count_refusal("youtube", "unrequested_topic")
        raise NotFound("Herald did not ask for this subscription.")
    return challenge


def receive_websub(channel_id: str, body: bytes, signature: str | None) -> DeliveriesAccepted:
    with refusals_counted("youtube"):
        secret = subscription_secret(channel_topic(channel_id))
        if secret is None:
            raise WebhookRefused("not_configured", "The WebSub secret is not configured here.")
        signatures.verify_websub(body, signature, secret)
    try:
        deliveries = youtube.split(body, channel_id)
    except youtube.MalformedFeed as error:
        raise BadRequest(str(error)) from None
    return _accepted(deliveries)


# LinkedIn: the validation challenge and signed notifications.


def linkedin_challenge(challenge_code: str) -> LinkedInChallengeAnswer:
    """https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation"""
    with refusals_counted("linkedin"):
        response = signatures.linkedin_challenge_response(
            challenge_code, platform_secret("linkedin", "client_secret")
        )
    return LinkedInChallengeAnswer(challengeCode=challenge_code, challengeResponse=response)


def receive_linkedin(body: bytes, signature: str | None) -> DeliveriesAccepted:
    with refusals_counted("linkedin"):
        signatures.verify_linkedin(body, signature, platform_secret("linkedin", "client_secret"))
    parsed = _json(body)
    return _accepted(linkedin.split(parsed) if isinstance(parsed, dict) else [])
