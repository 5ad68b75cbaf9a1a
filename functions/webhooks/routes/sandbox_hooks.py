"""The sandbox platform's webhook endpoint (public, verified by signature).

The sandbox (functions/publish/domain/sandbox_comments.py) posts each comment or mention here as
a real platform would: the raw body, read up to `MAX_BODY_BYTES`, is verified against
`X-Sandbox-Signature-256` before anything parses it; a refused request is answered 401, counted
and processed not at all. A verified event is claimed once by its id and queued for the inbound
processor (functions/shared/inbound.py).
"""

import json
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.metrics import MetricUnit
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from functions.shared.observability import logger, metrics
from functions.shared.problems import Problem, ValidationFailed
from functions.shared.sandbox_webhooks import (
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    SandboxWebhook,
    verified,
)

router = APIRouter(prefix="/v1/webhooks/platforms", tags=["platform webhooks"])

REFUSED_METRIC = "PlatformWebhooksRefused"


class SignatureRefused(Problem):
    status = HTTPStatus.UNAUTHORIZED


class BodyTooLarge(Problem):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class PlatformEventsAccepted(BaseModel):
    accepted: int = Field(description="Events queued: 0 for one received before.")


async def _bounded_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"The body is over {MAX_BODY_BYTES} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise BodyTooLarge(f"The body is over {MAX_BODY_BYTES} bytes.")
    return bytes(body)


def _refuse(reason: str) -> SignatureRefused:
    logger.warning("platform webhook refused", extra={"platform": "sandbox", "reason": reason})
    metrics.add_metric(name=REFUSED_METRIC, unit=MetricUnit.Count, value=1)
    return SignatureRefused("The request's signature does not verify.")


@router.post(
    "/sandbox",
    name="receive_sandbox_webhook",
    description="Public, verified by `X-Sandbox-Signature-256` (`sha256=` and the hex "
    "HMAC-SHA256 of the raw body with the sandbox webhook secret): the sandbox platform's "
    "comments and mentions (docs/inbox.md#the-sandbox-platform).",
    responses={401: {"description": "The signature is missing or wrong."}},
)
async def receive_sandbox_webhook(
    request: Request,
    signature: Annotated[
        str | None, Header(alias=SIGNATURE_HEADER, max_length=128, include_in_schema=True)
    ] = None,
) -> PlatformEventsAccepted:
    body = await _bounded_body(request)
    if not verified(body, signature):
        raise _refuse("missing signature" if not signature else "bad signature")
    try:
        event = SandboxWebhook.model_validate_json(body)
    except ValidationError:
        raise ValidationFailed("The sandbox event is not one Herald knows.") from None
    from functions.shared.inbound import InboundDelivery, accept

    delivery = InboundDelivery("sandbox", event.event_id, json.loads(body))
    return PlatformEventsAccepted(accepted=await run_in_threadpool(accept, [delivery]))
