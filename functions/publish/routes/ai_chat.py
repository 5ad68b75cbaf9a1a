"""The AI strategist's conversations (docs/ai.md, "Strategist chat").

Editors chat (API keys with `posts:write`): an answer spends the workspace's AI budget and may
create drafts. Each conversation is its creator's own. `openai` loads only with an answer.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from starlette.concurrency import run_in_threadpool

from functions.publish.domain.strategist_models import (
    Conversation,
    ConversationCreate,
    ConversationRename,
    ConversationWithMessages,
    Exchange,
    MessageCreate,
)
from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import Paging, PostsWriter
from functions.shared.pagination import Page

router = APIRouter(prefix="/v1/ai/conversations", tags=["ai"])

ConversationId = Annotated[str, Path(pattern=ID_PATTERN, description="The conversation.")]
OWN = (
    f"{Permissions.POSTS_WRITE.description} A conversation is its creator's own: anyone else "
    "gets 404 for it."
)
ANSWERS = (
    f"{OWN} The answer streams to the caller's real-time connections that joined the workspace "
    "(`ai.chat.*` messages) unless `stream` is false; the response holds the whole answer. "
    "503 when no AI endpoint is configured; 429 when the workspace's monthly token budget is "
    "spent; 409 when the conversation is full."
)


@router.post("", status_code=status.HTTP_201_CREATED, description=OWN)
async def create_conversation(access: PostsWriter, body: ConversationCreate) -> Conversation:
    from functions.publish.domain import conversations

    return await run_in_threadpool(conversations.create, access, body)


@router.get("", description=OWN)
async def list_conversations(access: PostsWriter, paging: Paging) -> Page[Conversation]:
    """The caller's conversations in the workspace, newest first."""
    from functions.publish.domain import conversations

    items, cursor = await run_in_threadpool(conversations.list_conversations, access, paging)
    return Page(items=items, next_cursor=cursor)


@router.get("/{conversation_id}", description=OWN)
async def get_conversation(
    access: PostsWriter, conversation_id: ConversationId, paging: Paging
) -> ConversationWithMessages:
    """The conversation and a page of its messages, newest first."""
    from functions.publish.domain import conversations

    return await run_in_threadpool(conversations.get, access, conversation_id, paging)


@router.patch("/{conversation_id}", description=OWN)
async def rename_conversation(
    access: PostsWriter, conversation_id: ConversationId, body: ConversationRename
) -> Conversation:
    from functions.publish.domain import conversations

    return await run_in_threadpool(conversations.rename, access, conversation_id, body)


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, description=OWN)
async def delete_conversation(access: PostsWriter, conversation_id: ConversationId) -> Response:
    from functions.publish.domain import conversations

    await run_in_threadpool(conversations.delete, access, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{conversation_id}/messages", description=ANSWERS)
async def ask_strategist(
    access: PostsWriter, conversation_id: ConversationId, body: MessageCreate
) -> Exchange:
    """Ask a question; the strategist answers from the workspace's own data."""
    from functions.publish.domain import strategist

    return await run_in_threadpool(strategist.ask, access, conversation_id, body)
