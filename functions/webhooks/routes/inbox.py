"""The engagement inbox: comments and mentions from every connected account, answered and
moderated from Herald (docs/inbox.md#the-inbox-api)."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response, status
from starlette.concurrency import run_in_threadpool

from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import InboxModerator, InboxReader, InboxWriter, Paging
from functions.shared.inputs import Rfc3339DateTime, SingleLine
from functions.shared.pagination import Page
from functions.webhooks.domain.inbox_models import (
    BulkRequest,
    BulkResult,
    InboxActionResult,
    InboxEntry,
    InboxItemWithThread,
    InboxLabel,
    InboxPlatform,
    InboxStatus,
    InboxUpdate,
    ReplyRequest,
    SavedReply,
    SavedReplyCreate,
    SavedReplyUpdate,
)

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])

ItemId = Annotated[str, Path(pattern=ID_PATTERN, description="The inbox item.")]
SavedReplyId = Annotated[str, Path(pattern=ID_PATTERN, description="The saved reply.")]
IdFilter = Annotated[str | None, Query(pattern=ID_PATTERN)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes a retry of this request answer what the first one did, without "
        "acting again (kept 7 days). Without one, the same reply to the same item counts as "
        "the same request.",
    ),
]
READ = Permissions.INBOX_READ.description
WRITE = Permissions.INBOX_WRITE.description
MODERATE = Permissions.INBOX_MODERATE.description


@router.post("/saved-replies", status_code=status.HTTP_201_CREATED, description=WRITE)
async def create_saved_reply(access: InboxWriter, body: SavedReplyCreate) -> SavedReply:
    """A reusable answer (a workspace keeps at most 100)."""
    from functions.webhooks.domain import saved_replies

    return await run_in_threadpool(saved_replies.create, access, body)


@router.get("/saved-replies", description=READ)
async def list_saved_replies(access: InboxReader, paging: Paging) -> Page[SavedReply]:
    from functions.webhooks.domain import saved_replies

    items, cursor = await run_in_threadpool(saved_replies.list_saved, access, paging)
    return Page(items=items, next_cursor=cursor)


@router.get("/saved-replies/{saved_reply_id}", description=READ)
async def get_saved_reply(access: InboxReader, saved_reply_id: SavedReplyId) -> SavedReply:
    from functions.webhooks.domain import saved_replies

    return await run_in_threadpool(saved_replies.get, access, saved_reply_id)


@router.patch("/saved-replies/{saved_reply_id}", description=WRITE)
async def update_saved_reply(
    access: InboxWriter, saved_reply_id: SavedReplyId, body: SavedReplyUpdate
) -> SavedReply:
    from functions.webhooks.domain import saved_replies

    return await run_in_threadpool(saved_replies.update, access, saved_reply_id, body)


@router.delete(
    "/saved-replies/{saved_reply_id}", status_code=status.HTTP_204_NO_CONTENT, description=WRITE
)
async def delete_saved_reply(access: InboxWriter, saved_reply_id: SavedReplyId) -> Response:
    from functions.webhooks.domain import saved_replies

    await run_in_threadpool(saved_replies.delete, access, saved_reply_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/bulk", description=WRITE)
async def bulk_inbox_action(access: InboxWriter, body: BulkRequest) -> BulkResult:
    """Mark read or unread, assign, or hide (admins) up to 25 items; each item's outcome is
    reported on its own."""
    from functions.webhooks.domain import inbox_actions

    return await run_in_threadpool(inbox_actions.bulk, access, body)


@router.get("", description=READ)
async def list_inbox(
    access: InboxReader,
    paging: Paging,
    account_id: Annotated[IdFilter, Query(description="Only items of this account.")] = None,
    platform: Annotated[InboxPlatform | None, Query(description="Only this platform's.")] = None,
    post_id: Annotated[IdFilter, Query(description="Only items on this Herald post.")] = None,
    status: Annotated[InboxStatus | None, Query(description="Only items in this status.")] = None,
    assignee: Annotated[IdFilter, Query(description="Only items assigned to this user.")] = None,
    label: Annotated[
        InboxLabel | None, Query(description="Only items the inbox assistant labelled so.")
    ] = None,
    q: Annotated[
        SingleLine | None,
        Query(
            min_length=1,
            max_length=100,
            description="Only items whose text contains this (whatever the case).",
        ),
    ] = None,
    received_from: Annotated[
        Rfc3339DateTime | None,
        Query(description="Received at or after (RFC 3339; UTC if no offset)."),
    ] = None,
    received_to: Annotated[
        Rfc3339DateTime | None,
        Query(description="Received at or before (RFC 3339; UTC if no offset)."),
    ] = None,
) -> Page[InboxEntry]:
    """Newest first. With filters a page may hold fewer than `limit` items; follow
    `next_cursor` until it is null."""
    from functions.webhooks.domain import inbox

    items, cursor = await run_in_threadpool(
        lambda: inbox.list_items(
            access,
            paging,
            account_id=account_id,
            platform=platform,
            post_id=post_id,
            status=status,
            assignee=assignee,
            label=label,
            text=q,
            received_from=received_from,
            received_to=received_to,
        )
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/{item_id}", description=READ)
async def get_inbox_item(access: InboxReader, item_id: ItemId) -> InboxItemWithThread:
    """The item and its conversation."""
    from functions.webhooks.domain import inbox

    return await run_in_threadpool(inbox.get_item, access, item_id)


@router.patch("/{item_id}", description=WRITE)
async def update_inbox_item(access: InboxWriter, item_id: ItemId, body: InboxUpdate) -> InboxEntry:
    """Assign the item to a member, or unassign it."""
    from functions.webhooks.domain import inbox

    return await run_in_threadpool(inbox.update_item, access, item_id, body)


@router.post("/{item_id}/read", description=WRITE)
async def mark_inbox_item_read(access: InboxWriter, item_id: ItemId) -> InboxEntry:
    """`new` becomes `read`; other statuses stay."""
    from functions.webhooks.domain import inbox

    return await run_in_threadpool(lambda: inbox.mark(access, item_id, read=True))


@router.post("/{item_id}/unread", description=WRITE)
async def mark_inbox_item_unread(access: InboxWriter, item_id: ItemId) -> InboxEntry:
    """`read` becomes `new`; other statuses stay."""
    from functions.webhooks.domain import inbox

    return await run_in_threadpool(lambda: inbox.mark(access, item_id, read=False))


@router.post("/{item_id}/reply", description=WRITE)
async def reply_to_inbox_item(
    access: InboxWriter, item_id: ItemId, body: ReplyRequest, idempotency_key: IdempotencyKey = None
) -> InboxActionResult:
    """Answer on the platform, once: the reply joins the thread and the item becomes
    `replied`. 422 when the platform allows no reply here."""
    from functions.webhooks.domain import inbox_actions

    return await run_in_threadpool(
        lambda: inbox_actions.act(
            access, item_id, "reply", text=body.text, idempotency_key=idempotency_key
        )
    )


@router.post("/{item_id}/hide", description=MODERATE)
async def hide_inbox_item(
    access: InboxModerator, item_id: ItemId, idempotency_key: IdempotencyKey = None
) -> InboxActionResult:
    """Hide the comment on the platform (its author still sees it on most platforms)."""
    from functions.webhooks.domain import inbox_actions

    return await run_in_threadpool(
        lambda: inbox_actions.act(access, item_id, "hide", idempotency_key=idempotency_key)
    )


@router.post("/{item_id}/unhide", description=MODERATE)
async def unhide_inbox_item(
    access: InboxModerator, item_id: ItemId, idempotency_key: IdempotencyKey = None
) -> InboxActionResult:
    from functions.webhooks.domain import inbox_actions

    return await run_in_threadpool(
        lambda: inbox_actions.act(access, item_id, "unhide", idempotency_key=idempotency_key)
    )


@router.delete("/{item_id}", description=MODERATE)
async def delete_inbox_item(
    access: InboxModerator, item_id: ItemId, idempotency_key: IdempotencyKey = None
) -> InboxActionResult:
    """Delete the comment on the platform; the inbox keeps it, with status `deleted`."""
    from functions.webhooks.domain import inbox_actions

    return await run_in_threadpool(
        lambda: inbox_actions.act(access, item_id, "delete", idempotency_key=idempotency_key)
    )
