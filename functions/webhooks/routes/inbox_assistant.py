"""The inbox assistant: reply suggestions, classification, reply drafts and the workspace's
rules (docs/inbox.md#the-inbox-assistant). `openai` loads with the assistant's domain, inside
the routes that call the model, never with the app.

Included before the inbox's own routes, so that `/v1/inbox/ai-settings` is not taken for an item.
"""

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import InboxReader, InboxWriter, WorkspaceAdmin
from functions.webhooks.domain.inbox_ai_models import (
    Classified,
    InboxAiSettings,
    InboxAiSettingsUpdate,
    Suggestions,
    SuggestionsRequest,
)
from functions.webhooks.domain.inbox_models import InboxActionResult, InboxEntry

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])

ItemId = Annotated[str, Path(pattern=ID_PATTERN, description="The inbox item.")]
CALLS_THE_MODEL = (
    f"{Permissions.INBOX_WRITE.description} Calls the workspace's AI model: 503 when none is "
    "configured, 429 when the monthly AI budget is spent, 502 when the model fails."
)


@router.get("/ai-settings", description=Permissions.INBOX_READ.description)
async def get_inbox_ai_settings(access: InboxReader) -> InboxAiSettings:
    """What the inbox assistant does by itself when an item arrives."""
    from functions.webhooks.domain import inbox_ai_settings

    return await run_in_threadpool(inbox_ai_settings.settings_of, access.workspace_id)


@router.put("/ai-settings", description=Permissions.ADMINS.description)
async def put_inbox_ai_settings(
    access: WorkspaceAdmin, body: InboxAiSettingsUpdate
) -> InboxAiSettings:
    """Replace them (recorded in the activity log)."""
    from functions.webhooks.domain import inbox_ai_settings

    return await run_in_threadpool(inbox_ai_settings.put_settings, access, body)


@router.post("/{item_id}/suggestions", description=CALLS_THE_MODEL)
async def suggest_inbox_replies(
    access: InboxWriter, item_id: ItemId, body: SuggestionsRequest
) -> Suggestions:
    """Replies in the brand voice, each within the platform's reply limit, for a person to
    choose, edit and send (nothing is sent)."""
    from functions.webhooks.domain import inbox_assistant

    return await run_in_threadpool(inbox_assistant.suggest, access, item_id, body)


@router.post("/{item_id}/classify", description=CALLS_THE_MODEL)
async def classify_inbox_item(access: InboxWriter, item_id: ItemId) -> Classified:
    """Label the item: question, complaint, praise, spam or abusive, with a confidence."""
    from functions.webhooks.domain import inbox_assistant

    return await run_in_threadpool(inbox_assistant.classify, access, item_id)


@router.post("/{item_id}/draft/approve", description=Permissions.INBOX_WRITE.description)
async def approve_inbox_reply_draft(access: InboxWriter, item_id: ItemId) -> InboxActionResult:
    """Send the assistant's reply draft as it is, as the reply action does (once)."""
    from functions.webhooks.domain import inbox_actions

    return await run_in_threadpool(inbox_actions.approve_draft, access, item_id)


@router.delete("/{item_id}/draft", description=Permissions.INBOX_WRITE.description)
async def discard_inbox_reply_draft(access: InboxWriter, item_id: ItemId) -> InboxEntry:
    """Drop the assistant's reply draft."""
    from functions.webhooks.domain import inbox_actions

    return await run_in_threadpool(inbox_actions.discard_draft, access, item_id)
