"""The AI strategist's conversations: each person's own, in each workspace, with their history.

A conversation belongs to whoever started it (a member, or an API key): others, admins
included, get 404 for it as for another workspace's. Storing and reading them needs no model,
so this module loads no `openai`; answering is functions/publish/domain/strategist.py.
"""

from collections.abc import Sequence
from contextlib import AbstractContextManager

from ulid import ULID

from functions.publish.adapters.conversation_items import ChatMessageItem, ConversationItem
from functions.publish.domain.strategist_models import (
    ChatMessage,
    Conversation,
    ConversationCreate,
    ConversationRename,
    ConversationWithMessages,
    ToolUse,
)
from functions.shared.access import WorkspaceAccess
from functions.shared.pagination import PageRequest
from functions.shared.problems import Conflict, NotFound
from functions.shared.tables import (
    conflict_on_condition_failure,
    key,
    query_page,
    transaction,
    utc_now,
)

# A conversation holds at most this many messages (questions and answers): it stays quick to
# delete, and its history stays relevant.
MAX_MESSAGES = 200


def find(access: WorkspaceAccess, conversation_id: str) -> ConversationItem:
    item = ConversationItem.find(access.workspace_id, access.actor, conversation_id)
    if item is None:
        raise NotFound(f"Conversation {conversation_id} was not found.")
    return item


def view(item: ConversationItem) -> Conversation:
    return Conversation(
        id=item.conversation_id,
        title=item.title,
        title_source=item.title_source,
        message_count=int(item.message_count),
        created_at=item.created_at.isoformat(),
        updated_at=item.updated_at.isoformat(),
    )


def message_view(item: ChatMessageItem) -> ChatMessage:
    return ChatMessage(
        id=item.message_id,
        role=item.role,
        content=item.content,
        tools=[ToolUse.model_validate(use) for use in item.tools or []],
        drafts=list(item.drafts or []),
        created_at=item.created_at.isoformat(),
    )


def create(access: WorkspaceAccess, body: ConversationCreate) -> Conversation:
    conversation_id = str(ULID())
    item = ConversationItem(
        *ConversationItem.keys(access.workspace_id, access.actor, conversation_id),
        conversation_id=conversation_id,
        workspace_id=access.workspace_id,
        actor=access.actor,
        title=body.title,
        title_source="given" if body.title else None,
    )
    item.save()
    return view(item)


def list_conversations(
    access: WorkspaceAccess, page: PageRequest
) -> tuple[list[Conversation], str | None]:
    """The caller's conversations in the workspace, newest first."""
    items, cursor = query_page(
        ConversationItem,
        key("WS", access.workspace_id),
        ConversationItem.prefix(access.actor),
        page,
        newest_first=True,
    )
    return [view(item) for item in items], cursor


def get(
    access: WorkspaceAccess, conversation_id: str, page: PageRequest
) -> ConversationWithMessages:
    """The conversation with a page of its messages, newest first."""
    item = find(access, conversation_id)
    messages, cursor = query_page(
        ChatMessageItem,
        key("WS", access.workspace_id),
        ChatMessageItem.prefix(conversation_id),
        page,
        newest_first=True,
    )
    return ConversationWithMessages(
        **view(item).model_dump(),
        messages=[message_view(message) for message in messages],
        next_cursor=cursor,
    )


def recent_messages(workspace_id: str, conversation_id: str, count: int) -> list[ChatMessageItem]:
    """The conversation's last `count` messages, oldest first."""
    items, _ = query_page(
        ChatMessageItem,
        key("WS", workspace_id),
        ChatMessageItem.prefix(conversation_id),
        PageRequest(limit=count, cursor=None),
        newest_first=True,
    )
    return list(reversed(items))


def rename(access: WorkspaceAccess, conversation_id: str, body: ConversationRename) -> Conversation:
    item = find(access, conversation_id)
    item.title = body.title
    item.title_source = "given"
    item.updated_at = utc_now()
    with _changed_meanwhile(conversation_id):
        item.save()
    return view(item)


def delete(access: WorkspaceAccess, conversation_id: str) -> None:
    """The messages first, then the conversation: a deletion cut off midway is finished by
    deleting again."""
    item = find(access, conversation_id)
    messages = ChatMessageItem.query(
        key("WS", access.workspace_id),
        ChatMessageItem.sk.startswith(ChatMessageItem.prefix(conversation_id)),
        attributes_to_get=["PK", "SK"],
    )
    with ChatMessageItem.batch_write() as batch:
        for message in messages:
            batch.delete(message)
    with _changed_meanwhile(conversation_id):
        item.delete()


def refuse_when_full(item: ConversationItem) -> None:
    if int(item.message_count) + 2 > MAX_MESSAGES:
        raise Conflict(
            f"Conversation {item.conversation_id} holds {MAX_MESSAGES} messages, as many as one "
            "may; start a new conversation."
        )


def append_exchange(
    access: WorkspaceAccess,
    conversation_id: str,
    messages: Sequence[ChatMessageItem],
    generated_title: str | None,
) -> Conversation:
    """Store an exchange's messages and count them on the conversation, all at once."""
    item = find(access, conversation_id)
    refuse_when_full(item)
    item.message_count = int(item.message_count) + len(messages)
    item.updated_at = utc_now()
    if item.title is None and generated_title:
        item.title, item.title_source = generated_title, "generated"
    with _changed_meanwhile(conversation_id), transaction() as write:
        write.save(item)
        for message in messages:
            write.save(message, condition=ChatMessageItem.pk.does_not_exist())
    return view(item)


def _changed_meanwhile(conversation_id: str) -> AbstractContextManager[None]:
    return conflict_on_condition_failure(
        f"Conversation {conversation_id} changed meanwhile; reload it and retry."
    )


def new_message(
    access: WorkspaceAccess,
    conversation_id: str,
    message_id: str,
    role: str,
    content: str,
    *,
    tools: list[dict[str, object]] | None = None,
    drafts: list[str] | None = None,
) -> ChatMessageItem:
    return ChatMessageItem(
        *ChatMessageItem.keys(access.workspace_id, conversation_id, message_id),
        message_id=message_id,
        conversation_id=conversation_id,
        role=role,
        content=content,
        tools=tools or None,
        drafts=drafts or None,
    )
