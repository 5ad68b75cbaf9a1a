"""Event ingestion: the one route tracking keys may call."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from functions.analytics.domain.keys import Sender
from functions.analytics.domain.models import BatchAccepted, EventBatch
from functions.shared.http.dependencies import bearer_scheme

router = APIRouter(prefix="/v1/analytics/events", tags=["analytics"])

WRITE_KEY_HEADER = "X-Herald-Write-Key"
write_key_scheme = APIKeyHeader(
    name=WRITE_KEY_HEADER,
    auto_error=False,
    description="A publishable write key (`hwk_...`), from one of its allowed origins.",
)


async def require_sender(
    request: Request,
    write_key: Annotated[str | None, Depends(write_key_scheme)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    origin: Annotated[
        str | None, Header(max_length=255, description="Set by browsers; checked for write keys.")
    ] = None,
) -> Sender:
    from functions.analytics.domain.keys import sender_for

    bearer = credentials.credentials if credentials else None
    sender = await run_in_threadpool(sender_for, write_key, bearer, origin)
    request.state.tracking_origin = origin if sender.kind == "write" else None
    return sender


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    description="Authenticated by a write key (`X-Herald-Write-Key`, from an allowed origin) or "
    "a server key (`Authorization: Bearer hsk_...`), never by a user token or API key. A batch "
    "with one bad event is refused whole (422 naming it by index).",
)
async def track_events(
    request: Request,
    response: Response,
    sender: Annotated[Sender, Depends(require_sender)],
    body: EventBatch,
) -> BatchAccepted:
    """Store up to 100 events; they count in the dashboard at once and reach funnels and
    retention once Firehose delivers them (within its buffer interval)."""
    from functions.analytics.domain import ingestion

    origin = getattr(request.state, "tracking_origin", None)
    if origin:
        # The page that sent the batch may read the answer; no other page may.
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return await run_in_threadpool(ingestion.ingest, sender, body)
