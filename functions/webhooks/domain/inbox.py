"""The inbox: listing and reading comments and mentions, marking them read, assigning them, and
(replies, moderation and the bulk forms: inbox_actions.py; docs/inbox.md#the-inbox-api).

Items are read from the workspace's partition, newest first (`INBOX#<ULID>`, minted when Herald
received the item, so a time range is a key condition); the other filters are filter
expressions on a bounded read (shared/tables.py `filtered_query_page`). A conversation comes
from the `by-thread` index.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition

from functions.shared.access import WorkspaceAccess
from functions.shared.identity_items import MembershipItem
from functions.shared.pagination import PageRequest
from functions.shared.problems import Conflict, FieldError, NotFound, ValidationFailed
from functions.shared.tables import (
    condition_failed,
    conflict_on_condition_failure,
    filtered_query_page,
    key,
    ulid_sort_key_bound,
    utc_now,
)
from functions.webhooks.adapters.inbox_items import InboxItem, thread_key
from functions.webhooks.domain.inbox_models import (
    InboxAuthor,
    InboxEntry,
    InboxItemWithThread,
    InboxUpdate,
)

MAX_THREAD_ITEMS = 100


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def entry_view(item: InboxItem) -> InboxEntry:
    return InboxEntry(
        id=item.item_id,
        account_id=item.account_id,
        platform=item.platform,
        kind=item.kind,
        text=item.text,
        author=InboxAuthor(
            id=item.author_id,
            name=item.author_name,
            handle=item.author_handle,
            avatar_url=item.author_avatar_url,
        ),
        created_at=_iso(item.created_at),
        received_at=item.received_at.isoformat(),
        status=item.status,
        assignee=item.assignee,
        post_id=item.post_id,
        target_id=item.target_id,
        platform_item_id=item.platform_item_id,
        platform_post_id=item.platform_post_id,
        parent_id=item.parent_id,
        thread_id=item.thread_id,
        permalink=item.permalink,
        label=item.label,
        label_confidence=item.label_confidence,
        reply_draft=item.reply_draft,
    )


def find_item(workspace_id: str, item_id: str) -> InboxItem:
    item = InboxItem.find(workspace_id, item_id)
    if item is None:
        raise NotFound(f"Inbox item {item_id} was not found.")
    return item


def _utc(moment: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def list_items(
    access: WorkspaceAccess,
    page: PageRequest,
    *,
    account_id: str | None = None,
    platform: str | None = None,
    post_id: str | None = None,
    status: str | None = None,
    assignee: str | None = None,
    label: str | None = None,
    text: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> tuple[list[InboxEntry], str | None]:
    received_from, received_to = _utc(received_from), _utc(received_to)
    if received_from is not None and received_to is not None and received_from > received_to:
        raise ValidationFailed(
            "received_from must not be after received_to.",
            errors=[
                FieldError(
                    pointer="/query/received_from",
                    detail="Must be at or before received_to.",
                    code="range",
                )
            ],
        )
    lowest = ulid_sort_key_bound("INBOX", received_from, upper=False) if received_from else "INBOX#"
    highest = (
        ulid_sort_key_bound("INBOX", received_to, upper=True)
        if received_to
        else key("INBOX", "\uffff")
    )
    conditions: list[Condition] = []
    if account_id is not None:
        conditions.append(InboxItem.account_id == account_id)
    if platform is not None:
        conditions.append(InboxItem.platform == platform)
    if post_id is not None:
        conditions.append(InboxItem.post_id == post_id)
    if status is not None:
        conditions.append(InboxItem.status == status)
    if assignee is not None:
        conditions.append(InboxItem.assignee == assignee)
    if label is not None:
        conditions.append(InboxItem.label == label)
    if text is not None:
        conditions.append(InboxItem.folded_text.contains(text.casefold()))
    combined: Condition | None = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    found, cursor = filtered_query_page(
        InboxItem,
        key("WS", access.workspace_id),
        InboxItem.sk.between(lowest, highest),
        page,
        filter_condition=combined,
    )
    return [entry_view(item) for item in found], cursor


def thread_of(item: InboxItem) -> tuple[list[InboxItem], bool]:
    found = list(
        InboxItem.by_thread.query(
            thread_key(item.workspace_id, item.platform, item.thread_root),
            limit=MAX_THREAD_ITEMS + 1,
        )
    )
    return found[:MAX_THREAD_ITEMS], len(found) > MAX_THREAD_ITEMS


def get_item(access: WorkspaceAccess, item_id: str) -> InboxItemWithThread:
    item = find_item(access.workspace_id, item_id)
    thread, truncated = thread_of(item)
    # The index is eventually consistent: an item just written may not be on it yet.
    if all(entry.item_id != item.item_id for entry in thread) and not truncated:
        thread = sorted([*thread, item], key=lambda entry: entry.item_id)
    return InboxItemWithThread(
        **entry_view(item).model_dump(),
        thread=[entry_view(entry) for entry in thread],
        thread_truncated=truncated,
    )


def _changed_meanwhile(item_id: str) -> Conflict:
    return Conflict(f"Inbox item {item_id} changed meanwhile; reload it and retry.")


def _save(item: InboxItem) -> None:
    item.updated_at = utc_now()
    with conflict_on_condition_failure(str(_changed_meanwhile(item.item_id))):
        item.save()


def mark(access: WorkspaceAccess, item_id: str, *, read: bool) -> InboxEntry:
    """`new` becomes `read` and back; replied, hidden and deleted items keep their status."""
    item = find_item(access.workspace_id, item_id)
    before, after = ("new", "read") if read else ("read", "new")
    if item.status == before:
        item.status = after
        _save(item)
    return entry_view(item)


def check_member(access: WorkspaceAccess, user_id: str | None, pointer: str) -> None:
    if user_id is not None and MembershipItem.find(access.workspace_id, user_id) is None:
        raise ValidationFailed(
            "The assignee must be a member of the workspace.",
            errors=[FieldError(pointer=pointer, detail="Not a member.", code="not_a_member")],
        )


def update_item(access: WorkspaceAccess, item_id: str, body: InboxUpdate) -> InboxEntry:
    item = find_item(access.workspace_id, item_id)
    if "assignee" in body.model_fields_set:
        check_member(access, body.assignee, "/body/assignee")
        item.assignee = body.assignee
        _save(item)
    return entry_view(item)


def change_item(workspace_id: str, item_id: str, change: Callable[[InboxItem], None]) -> InboxItem:
    """`change` applied to the item as stored now, whatever else changed it meanwhile."""
    for _ in range(3):
        item = find_item(workspace_id, item_id)
        change(item)
        item.updated_at = utc_now()
        try:
            item.save()
        except PutError as error:
            if not condition_failed(error):
                raise
            continue
        return item
    raise Conflict(f"Inbox item {item_id} keeps changing; reload it.")
