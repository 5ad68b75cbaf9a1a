"""The inbox assistant: reply suggestions in the brand voice, classification, and the workspace's
optional rules when an item arrives (docs/inbox.md#the-inbox-assistant).

Every model call is charged to the workspace's monthly AI budget (shared/ai_calls.py) and every
comment reaches the model fenced off as data (inbox_ai_prompts.py). What the model answers is
checked before it is kept: a label must be one of the five with a confidence in [0, 1], a reply
must fit the platform's reply limit and avoid the brand's words to avoid. Nothing is sent to a
platform without a person, unless an admin turned on `send_drafts_unreviewed`; hiding spam and
abusive comments is the workspace's own rule, logged as the assistant's activity and undone
with the unhide action.

Importing this module loads `openai`: only the assistant's routes and worker import it.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from functions.shared.access import WorkspaceAccess
from functions.shared.ai_calls import AiSession
from functions.shared.ai_prompting import correction
from functions.shared.ai_setup import AiEndpointFailed, ChatMessage, GeneratedTextUnfit
from functions.shared.observability import logger
from functions.shared.problems import Conflict, Problem
from functions.shared.tables import (
    utc_now,
)
from functions.webhooks.adapters.inbox_items import InboxAiSettingsItem, InboxItem
from functions.webhooks.domain import inbox_ai_prompts
from functions.webhooks.domain.inbox import change_item, entry_view, find_item, thread_of
from functions.webhooks.domain.inbox_actions import PlatformCannot, act_as
from functions.webhooks.domain.inbox_ai_models import (
    LABELS,
    Classified,
    ReplySuggestion,
    Suggestions,
    SuggestionsRequest,
)
from functions.webhooks.domain.inbox_models import InboxLabel
from functions.webhooks.domain.reply_limits import measure, reply_limit

ASSISTANT = "system:inbox-assistant"  # the actor of what the assistant does by itself
MAX_ATTEMPTS = 2
HIDDEN_LABELS: dict[str, InboxLabel] = {"hide_spam": "spam", "hide_abusive": "abusive"}
_SEPARATOR = re.compile(
    rf"^\s*{re.escape(inbox_ai_prompts.SUGGESTION_SEPARATOR)}\s*$", re.MULTILINE
)
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def _open(workspace_id: str) -> AiSession:
    return AiSession.open(workspace_id, inbox_ai_prompts.system_prompt)


def _parent_text(item: InboxItem) -> str | None:
    """The text of the comment `item` answers, when Herald has it (its conversation, by key)."""
    if item.parent_id is None:
        return None
    thread, _ = thread_of(item)
    return next((entry.text for entry in thread if entry.platform_item_id == item.parent_id), None)


def _answerable(item: InboxItem) -> int:
    """The platform's reply limit; 422 where no reply can be sent, 409 once deleted."""
    if item.status == "deleted":
        raise Conflict(f"Inbox item {item.item_id} was deleted; it cannot be answered.")
    limit = reply_limit(item.platform)
    if limit is None:
        raise PlatformCannot(f"{item.platform} does not allow replies through Herald.")
    return limit


def _suggest(session: AiSession, item: InboxItem, count: int, guidance: str | None) -> list[str]:
    """Up to `count` replies that fit, asking again (once) with what failed."""
    limit = _answerable(item)
    task = inbox_ai_prompts.suggestions_task(
        session.fence,
        platform=item.platform,
        limit=limit,
        count=count,
        kind=item.kind,
        comment=item.text,
        parent=_parent_text(item),
        guidance=guidance,
    )
    messages = [session.system, task]
    kept: list[str] = []
    for _ in range(MAX_ATTEMPTS):
        answer = session.ask(messages)
        failures = []
        for candidate in (part.strip() for part in _SEPARATOR.split(answer)):
            refused = _refusal(session, item.platform, limit, candidate)
            if refused is not None:
                failures.append(refused)
            elif candidate not in kept:
                kept.append(candidate)
        if len(kept) >= count:
            break
        failures.append(f"Write {count - len(kept)} more replies that fit.")
        messages = [*messages, ChatMessage("assistant", answer), correction(failures)]
    return kept[:count]


def _refusal(session: AiSession, platform: str, limit: int, text: str) -> str | None:
    """Why a suggested reply cannot be offered, or None."""
    if session.fence.tag in text:
        return "A reply repeats the prompt's markup; write only the reply."
    length = measure(platform, limit, text)
    if length.problem is not None:
        return length.problem
    avoided = session.avoided_words_in(text)
    if avoided:
        return f"A reply uses words the brand avoids: {', '.join(avoided)}."
    return None


def suggest(access: WorkspaceAccess, item_id: str, body: SuggestionsRequest) -> Suggestions:
    item = find_item(access.workspace_id, item_id)
    limit = _answerable(item)
    session = _open(access.workspace_id)
    replies = _suggest(session, item, body.count, body.guidance)
    if not replies:
        raise GeneratedTextUnfit(
            f"After {MAX_ATTEMPTS} attempts the model wrote no reply that fits {item.platform}'s "
            f"limit of {limit} and the brand voice; nothing was returned."
        )
    return Suggestions(
        item_id=item.item_id,
        suggestions=[
            ReplySuggestion(
                text=reply, length=measure(item.platform, limit, reply).length, limit=limit
            )
            for reply in replies
        ],
        usage=session.usage,
    )


@dataclass(frozen=True, slots=True)
class _Label:
    label: InboxLabel
    confidence: float


def _parsed_label(answer: str) -> _Label | str:
    """The label the answer gives, or what is wrong with it (told to the model)."""
    found = _JSON_OBJECT.search(answer)
    try:
        parsed: Any = json.loads(found.group(0)) if found else None
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        return 'Answer with JSON only: {"label": ..., "confidence": ...}.'
    label = next((known for known in LABELS if known == parsed.get("label")), None)
    confidence = parsed.get("confidence")
    if label is None:
        return f"The label must be one of: {', '.join(LABELS)}."
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        return "The confidence must be a number from 0 to 1."
    if not 0 <= confidence <= 1:
        return "The confidence must be a number from 0 to 1."
    return _Label(label=label, confidence=round(float(confidence), 3))


def _classify(session: AiSession, item: InboxItem) -> _Label:
    task = inbox_ai_prompts.classification_task(
        session.fence, kind=item.kind, comment=item.text, parent=_parent_text(item)
    )
    messages = [session.system, task]
    for _ in range(MAX_ATTEMPTS):
        answer = session.ask(messages)
        parsed = _parsed_label(answer)
        if isinstance(parsed, _Label):
            return parsed
        messages = [*messages, ChatMessage("assistant", answer), correction([parsed])]
    raise AiEndpointFailed(
        f"After {MAX_ATTEMPTS} attempts the model gave no usable label; the item is unchanged."
    )


def _labelled(workspace_id: str, item_id: str, found: _Label) -> InboxItem:
    def label(item: InboxItem) -> None:
        item.label = found.label
        item.label_confidence = found.confidence
        item.labelled_at = utc_now()

    return change_item(workspace_id, item_id, label)


def classify(access: WorkspaceAccess, item_id: str) -> Classified:
    item = find_item(access.workspace_id, item_id)
    session = _open(access.workspace_id)
    item = _labelled(access.workspace_id, item_id, _classify(session, item))
    return Classified(item=entry_view(item), usage=session.usage)


def on_arrival(envelope: dict[str, Any]) -> str:
    """Apply the workspace's rules to a `comment.received` or `mention.received` item; what was
    done, for the log. Failures of the model, the budget or the platform end the work on this
    item (logged, not retried: a retry would spend again); storage failures raise, to retry."""
    workspace_id = str(envelope["workspace_id"])
    data = envelope.get("data")
    item_id = data.get("item_id") if isinstance(data, dict) else None
    settings = InboxAiSettingsItem.find(workspace_id)
    if not isinstance(item_id, str) or settings is None:
        return "off"
    if not (settings.classify_on_arrival or settings.draft_replies):
        return "off"
    item = InboxItem.find(workspace_id, item_id)
    if item is None or item.status == "deleted":
        return "gone"
    done: list[str] = []
    try:
        session = _open(workspace_id)
        if settings.classify_on_arrival and item.label is None:
            item = _labelled(workspace_id, item_id, _classify(session, item))
            done.append(f"labelled {item.label}")
        if _to_hide(settings, item) and item.status != "hidden":
            act_as(workspace_id, ASSISTANT, item_id, "hide", idempotency_key="assistant:hide")
            return ", ".join([*done, "hidden"])
        if _to_draft(settings, item):
            done.append(_draft(session, settings, item))
    except Problem as problem:
        # The model's, the budget's or the platform's refusal: the detail names no content.
        logger.warning(
            "inbox assistant stopped",
            extra={"item_id": item_id, "status": problem.status, "why": problem.detail},
        )
        done.append(f"stopped ({problem.status})")
    return ", ".join(done) or "nothing to do"


def _to_hide(settings: InboxAiSettingsItem, item: InboxItem) -> bool:
    confident = (item.label_confidence or 0) >= settings.min_confidence
    return confident and any(
        getattr(settings, rule) and item.label == label for rule, label in HIDDEN_LABELS.items()
    )


def _to_draft(settings: InboxAiSettingsItem, item: InboxItem) -> bool:
    return (
        settings.draft_replies
        and item.reply_draft is None
        and item.status in ("new", "read")
        and item.label not in HIDDEN_LABELS.values()
        and reply_limit(item.platform) is not None
    )


def _draft(session: AiSession, settings: InboxAiSettingsItem, item: InboxItem) -> str:
    drafted = _suggest(session, item, 1, None)
    if not drafted:
        return "no draft fitted"

    def keep(stored: InboxItem) -> None:
        stored.reply_draft = drafted[0]
        stored.reply_draft_at = utc_now()

    change_item(item.workspace_id, item.item_id, keep)
    if not settings.send_drafts_unreviewed:
        return "drafted"
    act_as(
        item.workspace_id,
        ASSISTANT,
        item.item_id,
        "reply",
        text=drafted[0],
        idempotency_key="assistant:reply",
    )
    return "replied unreviewed"
