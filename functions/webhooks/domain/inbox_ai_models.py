"""Requests and answers of the inbox assistant (docs/inbox.md#the-inbox-assistant)."""

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.shared.ai_models import AiCallUsage
from functions.webhooks.domain.inbox_models import InboxEntry, InboxLabel, Strict

LABELS: tuple[InboxLabel, ...] = ("question", "complaint", "praise", "spam", "abusive")
MAX_SUGGESTIONS = 5
MAX_GUIDANCE = 500


class SuggestionsRequest(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"count": 3, "guidance": "Mention that oat milk is back on Monday."}]
        },
    )

    count: int = Field(3, ge=1, le=MAX_SUGGESTIONS, description="How many replies to suggest.")
    guidance: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_GUIDANCE,
        description="What the replies should say or do (a fact to mention, an offer to make).",
    )


class ReplySuggestion(BaseModel):
    text: str = Field(description="A reply, within the platform's reply limit.")
    length: int = Field(
        description="Its length as the platform counts it (X: weighted characters)."
    )
    limit: int = Field(description="The platform's limit for a reply.")


class Suggestions(BaseModel):
    item_id: str = Field(description="The inbox item the replies answer.")
    suggestions: list[ReplySuggestion] = Field(
        description="Replies in the brand voice, for a person to choose, edit and send; fewer "
        "than asked when the model's answers did not fit."
    )
    usage: AiCallUsage = Field(description="What the request spent of the workspace's budget.")


class Classified(BaseModel):
    item: InboxEntry = Field(description="The item, with its `label` and `label_confidence`.")
    usage: AiCallUsage = Field(description="What the request spent of the workspace's budget.")


class InboxAiSettingsUpdate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "classify_on_arrival": True,
                    "hide_spam": True,
                    "hide_abusive": True,
                    "min_confidence": 0.8,
                    "draft_replies": True,
                    "send_drafts_unreviewed": False,
                }
            ]
        },
    )

    classify_on_arrival: bool = Field(
        False, description="Label every new comment, reply and mention when it arrives."
    )
    hide_spam: bool = Field(
        False,
        description="Hide, on the platform, what arrives labelled `spam` (needs "
        "`classify_on_arrival`); logged, and undone with the unhide action.",
    )
    hide_abusive: bool = Field(False, description="The same for what arrives labelled `abusive`.")
    min_confidence: float = Field(
        0.8,
        ge=0.5,
        le=1.0,
        description="The confidence a label needs before an item is hidden automatically.",
    )
    draft_replies: bool = Field(
        False,
        description="Prepare a reply draft for each new comment and mention (not for spam or "
        "abusive ones), for a person to approve.",
    )
    send_drafts_unreviewed: bool = Field(
        False,
        description="Send drafts without a person approving them. Off unless an admin turns "
        "it on: nothing else the assistant writes reaches a platform by itself.",
    )

    @model_validator(mode="after")
    def _rules_need_what_they_build_on(self) -> "InboxAiSettingsUpdate":
        if (self.hide_spam or self.hide_abusive) and not self.classify_on_arrival:
            raise ValueError("hiding by label needs classify_on_arrival")
        if self.send_drafts_unreviewed and not self.draft_replies:
            raise ValueError("send_drafts_unreviewed needs draft_replies")
        return self


class InboxAiSettings(InboxAiSettingsUpdate):
    updated_by: str | None = Field(None, description="Who last changed them; null: never set.")
    updated_at: str | None = Field(None, description="When they last changed (RFC 3339).")
