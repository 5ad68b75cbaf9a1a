"""The platforms' webhooks and handshakes (docs/inbox.md): public, no sign-in, each request
verified on its raw body before anything reads it.

The body is read here at most `MAX_BODY_BYTES` into (413 past that, counted with the refusals),
then handed as bytes to `functions/webhooks/domain/platform_intake.py`, which verifies it and
queues what it carries.
"""

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from functions.shared.problems import ContentTooLarge
from functions.webhooks.domain.platform_hook_models import (
    DataDeletionConfirmation,
    DataDeletionStatus,
    DeliveriesAccepted,
    LinkedInChallengeAnswer,
    XChallengeAnswer,
)

router = APIRouter(prefix="/v1/webhooks/platforms", tags=["platform webhooks"])

MAX_BODY_BYTES = 256 * 1024
MAX_TOKEN_LENGTH = 512  # challenges, verify tokens and CRC tokens are a few dozen characters
CHANNEL_ID_PATTERN = r"^UC[0-9A-Za-z_-]{22}$"
CONFIRMATION_CODE_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"
TEXT = {"content": {"text/plain": {"schema": {"type": "string"}}}}

Token = Annotated[str, Query(min_length=1, max_length=MAX_TOKEN_LENGTH)]
ChannelId = Annotated[str, Path(pattern=CHANNEL_ID_PATTERN, description="A YouTube channel id.")]


def _hub(name: str, description: str) -> Any:
    return Query(
        alias=f"hub.{name}", min_length=1, max_length=MAX_TOKEN_LENGTH, description=description
    )


async def _body(request: Request, platform: str) -> bytes:
    """The raw body, refused (413) as soon as it is known to exceed the limit: from its declared
    length, or while it is read, never reading more than the limit."""
    from functions.webhooks.domain.platform_intake import count_refusal

    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        count_refusal(platform, "too_large")
        raise ContentTooLarge(f"Platform webhooks are limited to {MAX_BODY_BYTES} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            count_refusal(platform, "too_large")
            raise ContentTooLarge(f"Platform webhooks are limited to {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _intake[**P, R](work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run the intake's blocking work (hmac, and boto3 calls that claim and queue).

    Lambda hands an execution environment one request at a time, so under Lambda the event loop
    has nothing else to serve while the work blocks it, and the hop to a worker thread would
    only add its cost (0.3 ms of a 0.8 ms route on the benchmark machine, docs/benchmarks.md).
    Served locally, one process answers every group at once, so the work goes to the
    threadpool there. The intake never runs an event loop of its own, so it is safe inline.
    """
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return work(*args, **kwargs)
    return await run_in_threadpool(work, *args, **kwargs)


# Meta: Facebook Pages and Instagram share the Meta app's callback; Threads has its own app.


@router.get("/meta", response_class=PlainTextResponse, responses={200: TEXT})
async def verify_meta_webhook(
    mode: Annotated[str, _hub("mode", "Always `subscribe`.")],
    verify_token: Annotated[str, _hub("verify_token", "The token set in the App Dashboard.")],
    challenge: Annotated[str, _hub("challenge", "Echoed back when the token matches.")],
) -> PlainTextResponse:
    """Meta's verification request when the callback URL is saved; answers the challenge."""
    from functions.webhooks.domain import platform_intake

    answer = platform_intake.meta_handshake("meta", mode, verify_token, challenge)
    return PlainTextResponse(answer)


@router.post("/meta")
async def receive_meta_webhook(
    request: Request,
    x_hub_signature_256: Annotated[str | None, Header(max_length=512)] = None,
) -> DeliveriesAccepted:
    """Facebook Page (`object: page`) and Instagram (`object: instagram`) changes, signed with
    `X-Hub-Signature-256`."""
    from functions.webhooks.domain import platform_intake

    body = await _body(request, "meta")
    return await _intake(platform_intake.receive_meta, "meta", body, x_hub_signature_256)


@router.get("/threads", response_class=PlainTextResponse, responses={200: TEXT})
async def verify_threads_webhook(
    mode: Annotated[str, _hub("mode", "Always `subscribe`.")],
    verify_token: Annotated[str, _hub("verify_token", "The token set in the App Dashboard.")],
    challenge: Annotated[str, _hub("challenge", "Echoed back when the token matches.")],
) -> PlainTextResponse:
    from functions.webhooks.domain import platform_intake

    answer = platform_intake.meta_handshake("threads", mode, verify_token, challenge)
    return PlainTextResponse(answer)


@router.post("/threads")
async def receive_threads_webhook(
    request: Request,
    x_hub_signature_256: Annotated[str | None, Header(max_length=512)] = None,
) -> DeliveriesAccepted:
    """Replies and mentions, signed with the Threads app secret."""
    from functions.webhooks.domain import platform_intake

    body = await _body(request, "threads")
    return await _intake(platform_intake.receive_meta, "threads", body, x_hub_signature_256)


@router.post("/meta/deauthorize")
async def receive_meta_deauthorization(request: Request) -> DeliveriesAccepted:
    """A user removed the Meta app (form field `signed_request`)."""
    from functions.webhooks.domain import platform_intake

    body = await _body(request, "meta")
    return await _intake(platform_intake.receive_meta_deauthorization, "meta", body)


@router.post("/meta/data-deletion")
async def receive_meta_data_deletion(request: Request) -> DataDeletionConfirmation:
    """A user asked the Meta app to delete their data: answered with a status URL and a
    confirmation code, as Meta requires."""
    from functions.webhooks.domain import platform_intake

    body = await _body(request, "meta")
    return await _intake(platform_intake.receive_meta_data_deletion, "meta", body)


@router.post("/threads/deauthorize")
async def receive_threads_deauthorization(request: Request) -> DeliveriesAccepted:
    """A user removed the Threads app (its uninstall callback)."""
    from functions.webhooks.domain import platform_intake

    body = await _body(request, "threads")
    return await _intake(platform_intake.receive_meta_deauthorization, "threads", body)


@router.post("/threads/data-deletion")
async def receive_threads_data_deletion(request: Request) -> DataDeletionConfirmation:
    """A user asked the Threads app to delete their data."""
    from functions.webhooks.domain import platform_intake

    body = await _body(request, "threads")
    return await _intake(platform_intake.receive_meta_data_deletion, "threads", body)


@router.get("/data-deletions/{confirmation_code}")
async def get_platform_data_deletion(
    confirmation_code: Annotated[
        str, Path(pattern=CONFIRMATION_CODE_PATTERN, description="The request's code.")
    ],
) -> DataDeletionStatus:
    """The status page of a data deletion request: the URL Meta shows the user."""
    from functions.webhooks.domain import platform_intake

    return await _intake(platform_intake.data_deletion_status, confirmation_code)


# X


@router.get("/x")
async def answer_twitter_crc(crc_token: Token) -> XChallengeAnswer:
    """X's challenge-response check, at registration and periodically after."""
    from functions.webhooks.domain import platform_intake

    return platform_intake.x_crc(crc_token)


@router.post("/x")
async def receive_twitter_account_activity(
    request: Request,
    x_twitter_webhooks_signature: Annotated[str | None, Header(max_length=512)] = None,
) -> DeliveriesAccepted:
    """Account Activity events of subscribed accounts."""
    from functions.webhooks.domain import platform_intake

    body = await _body(request, "x")
    return await _intake(platform_intake.receive_x, body, x_twitter_webhooks_signature)


# TikTok


@router.post("/tiktok")
async def receive_tiktok_webhook(
    request: Request,
    tiktok_signature: Annotated[str | None, Header(max_length=512)] = None,
) -> DeliveriesAccepted:
    """Publish results and authorization removals, signed with a timestamp."""
    from functions.webhooks.domain import platform_intake

    body = await _body(request, "tiktok")
    now = datetime.now(UTC)
    return await _intake(platform_intake.receive_tiktok, body, tiktok_signature, now)


# YouTube (WebSub): one callback URL per channel.


@router.get("/youtube/{channel_id}", response_class=PlainTextResponse, responses={200: TEXT})
async def verify_youtube_subscription(
    channel_id: ChannelId,
    mode: Annotated[str, _hub("mode", "`subscribe` or `unsubscribe`.")],
    topic: Annotated[str, _hub("topic", "The channel's feed URL.")],
    challenge: Annotated[str, _hub("challenge", "Echoed back when Herald asked for this.")],
    lease_seconds: Annotated[
        int | None, Query(alias="hub.lease_seconds", ge=0, le=10**9, description="The lease.")
    ] = None,
) -> PlainTextResponse:
    """The hub's verification of intent: confirmed only for a subscription Herald asked for."""
    from functions.webhooks.domain import platform_intake

    answer = await _intake(
        platform_intake.websub_verification, channel_id, mode, topic, challenge, lease_seconds
    )
    return PlainTextResponse(answer)


@router.post("/youtube/{channel_id}")
async def receive_youtube_notification(
    request: Request,
    channel_id: ChannelId,
    x_hub_signature: Annotated[str | None, Header(max_length=512)] = None,
) -> DeliveriesAccepted:
    """An Atom feed of the channel's new or changed videos, signed with the subscription's
    secret."""
    from functions.webhooks.domain import platform_intake

    body = await _body(request, "youtube")
    return await _intake(platform_intake.receive_websub, channel_id, body, x_hub_signature)


# LinkedIn


@router.get("/linkedin")
async def answer_linkedin_challenge(
    challenge_code: Annotated[
        str, Query(alias="challengeCode", min_length=1, max_length=MAX_TOKEN_LENGTH)
    ],
) -> LinkedInChallengeAnswer:
    """LinkedIn's endpoint validation, at registration and every few hours after."""
    from functions.webhooks.domain import platform_intake

    return platform_intake.linkedin_challenge(challenge_code)


@router.post("/linkedin")
async def receive_linkedin_webhook(
    request: Request,
    x_li_signature: Annotated[str | None, Header(alias="X-LI-Signature", max_length=512)] = None,
) -> DeliveriesAccepted:
    """Organization social action notifications (comments and mentions)."""
    from functions.webhooks.domain import platform_intake

    body = await _body(request, "linkedin")
    return await _intake(platform_intake.receive_linkedin, body, x_li_signature)
