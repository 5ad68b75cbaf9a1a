"""Comments and mentions on the sandbox platform, delivered to Herald as a platform would.

`POST /v1/accounts/{account_id}/sandbox/comments` makes someone on the sandbox comment on one of
the account's published posts, reply to a comment there, or mention the account. The sandbox
then does what a real platform does: a signed webhook to Herald's own
`/v1/webhooks/platforms/sandbox` (functions/shared/sandbox_webhooks.py), which verifies it and
queues it for the inbound processor. So under `make dev` the whole inbox path runs, from the
signature to the inbox item and its events, without platform credentials.
"""

import asyncio
import hashlib

from ulid import ULID

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.post_items import TargetItem
from functions.publish.domain.models import SandboxCommentCreate, SandboxCommentSent
from functions.publish.domain.platform_calls import http_client
from functions.shared.access import WorkspaceAccess
from functions.shared.observability import logger
from functions.shared.problems import FieldError, NotFound, ServiceUnavailable, ValidationFailed
from functions.shared.sandbox_webhooks import (
    SIGNATURE_HEADER,
    WEBHOOK_PATH,
    SandboxAuthor,
    SandboxItem,
    SandboxWebhook,
    signature,
)
from functions.shared.settings import get_settings
from functions.shared.tables import utc_now


def _refused(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(
        "This cannot happen on the sandbox.",
        errors=[FieldError(pointer=pointer, detail=detail, code=code)],
    )


def _platform_post_id(
    access: WorkspaceAccess, account_id: str, request: SandboxCommentCreate
) -> str:
    if request.kind == "mention":
        if request.post_id is not None or request.reply_to is not None:
            raise _refused("/body/post_id", "A mention is in someone else's post.", "not_allowed")
        return f"sandbox-mention-{ULID()}"
    if request.post_id is None:
        raise _refused("/body/post_id", "Name the post it is on.", "required")
    if request.kind == "reply" and request.reply_to is None:
        raise _refused("/body/reply_to", "Name the comment it answers.", "required")
    target = TargetItem.find(access.workspace_id, request.post_id, account_id)
    if target is None or target.state != "published" or not target.platform_post_id:
        raise _refused(
            "/body/post_id", "This account has not published that post.", "not_published"
        )
    return target.platform_post_id


def send_comment(
    access: WorkspaceAccess, account_id: str, request: SandboxCommentCreate
) -> SandboxCommentSent:
    account = SocialAccountItem.find(access.workspace_id, account_id)
    if account is None or account.platform != "sandbox":
        raise NotFound(f"Sandbox account {account_id} was not found.")
    platform_post_id = _platform_post_id(access, account_id, request)
    author = request.author
    event = SandboxWebhook(
        event_id=f"sandbox-evt-{ULID()}",
        account_id=account.platform_account_id,
        item=SandboxItem(
            id=f"sandbox-{request.kind}-{ULID()}",
            kind=request.kind,
            text=request.text,
            author=SandboxAuthor(
                # The same person (name and handle) gets the same id on the sandbox.
                id="sandbox-user-"
                + hashlib.sha256(f"{author.name}\n{author.handle}".encode()).hexdigest()[:16],
                name=author.name,
                handle=author.handle,
            ),
            created_at=utc_now(),
            post_id=platform_post_id,
            parent_id=request.reply_to,
        ),
    )
    body = event.model_dump_json(exclude_none=True).encode()
    accepted = asyncio.run(_deliver(body))
    return SandboxCommentSent(
        event_id=event.event_id, platform_item_id=event.item.id, accepted=accepted
    )


async def _deliver(body: bytes) -> bool:
    url = get_settings().api_base_url.rstrip("/") + WEBHOOK_PATH
    async with http_client() as http:
        try:
            response = await http.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature(body)},
            )
        except Exception as error:
            logger.warning("sandbox webhook not delivered", extra={"error": type(error).__name__})
            raise ServiceUnavailable(
                "The sandbox could not reach Herald's webhook; try again."
            ) from None
    if response.status_code != 200:
        logger.warning("sandbox webhook refused", extra={"status": response.status_code})
        raise ServiceUnavailable("Herald's webhook endpoint refused the sandbox's delivery.")
    return bool(response.json().get("accepted", 0))
