"""Saved replies: a workspace's reusable answers for the inbox (at most MAX_SAVED_REPLIES)."""

from ulid import ULID

from functions.shared.access import WorkspaceAccess
from functions.shared.pagination import PageRequest
from functions.shared.problems import Conflict, NotFound
from functions.shared.tables import conflict_on_condition_failure, key, query_page, utc_now
from functions.webhooks.adapters.inbox_items import SavedReplyItem
from functions.webhooks.domain.inbox_models import (
    MAX_SAVED_REPLIES,
    SavedReply,
    SavedReplyCreate,
    SavedReplyUpdate,
)

PREFIX = "SAVEDREPLY#"


def view(item: SavedReplyItem) -> SavedReply:
    return SavedReply(
        id=item.saved_reply_id,
        title=item.title,
        text=item.text,
        created_by=item.created_by,
        created_at=item.created_at.isoformat(),
        updated_at=item.updated_at.isoformat(),
    )


def _find(workspace_id: str, saved_reply_id: str) -> SavedReplyItem:
    item = SavedReplyItem.find(workspace_id, saved_reply_id)
    if item is None:
        raise NotFound(f"Saved reply {saved_reply_id} was not found.")
    return item


def create(access: WorkspaceAccess, body: SavedReplyCreate) -> SavedReply:
    partition = key("WS", access.workspace_id)
    count = SavedReplyItem.count(partition, SavedReplyItem.sk.startswith(PREFIX))
    if count >= MAX_SAVED_REPLIES:
        raise Conflict(
            f"A workspace has at most {MAX_SAVED_REPLIES} saved replies; delete one first."
        )
    saved_reply_id = str(ULID())
    item = SavedReplyItem(
        *SavedReplyItem.keys(access.workspace_id, saved_reply_id),
        saved_reply_id=saved_reply_id,
        workspace_id=access.workspace_id,
        title=body.title,
        text=body.text,
        created_by=access.actor,
    )
    item.save(condition=SavedReplyItem.pk.does_not_exist())
    return view(item)


def list_saved(access: WorkspaceAccess, page: PageRequest) -> tuple[list[SavedReply], str | None]:
    found, cursor = query_page(SavedReplyItem, key("WS", access.workspace_id), PREFIX, page)
    return [view(item) for item in found], cursor


def get(access: WorkspaceAccess, saved_reply_id: str) -> SavedReply:
    return view(_find(access.workspace_id, saved_reply_id))


def update(access: WorkspaceAccess, saved_reply_id: str, body: SavedReplyUpdate) -> SavedReply:
    item = _find(access.workspace_id, saved_reply_id)
    if body.title is not None:
        item.title = body.title
    if body.text is not None:
        item.text = body.text
    item.updated_at = utc_now()
    with conflict_on_condition_failure(f"Saved reply {saved_reply_id} changed meanwhile; retry."):
        item.save()
    return view(item)


def delete(access: WorkspaceAccess, saved_reply_id: str) -> None:
    item = _find(access.workspace_id, saved_reply_id)
    with conflict_on_condition_failure(f"Saved reply {saved_reply_id} changed meanwhile; retry."):
        item.delete()
