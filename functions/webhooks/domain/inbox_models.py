"""Requests and answers of the inbox API (`/v1/inbox`)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.shared.access import ID_PATTERN
from functions.shared.inputs import SingleLine

InboxStatus = Literal["new", "read", "replied", "hidden", "deleted"]
InboxKind = Literal["comment", "reply", "mention"]
InboxLabel = Literal["question", "complaint", "praise", "spam", "abusive"]
# The platforms Herald connects; the inbox filter refuses anything else rather than match nothing.
InboxPlatform = Literal[
    "x", "instagram", "facebook", "threads", "linkedin", "tiktok", "youtube", "sandbox"
]
MAX_REPLY_LENGTH = 10_000  # above every platform's own limit, which the platform enforces
MAX_BULK_ITEMS = 25  # a bulk hide calls the platform once per item, within one request
MAX_SAVED_REPLIES = 100
MAX_SAVED_REPLY_TITLE = 100

ReplyText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REPLY_LENGTH)]
ItemIdText = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InboxAuthor(BaseModel):
    id: str | None = Field(description="The author's id on the platform.")
    name: str | None = Field(description="The author's display name.")
    handle: str | None = Field(description="The author's handle, without `@`.")
    avatar_url: str | None = Field(description="The author's picture, as the platform serves it.")


class InboxEntry(BaseModel):
    id: str = Field(description="The inbox item's id (a ULID, taken when Herald received it).")
    account_id: str = Field(description="The Herald account it arrived for.")
    platform: str = Field(description="The platform it is on.")
    kind: InboxKind = Field(description="A comment, a reply in a thread, or a mention.")
    text: str = Field(description="What it says.")
    author: InboxAuthor = Field(description="Who wrote it.")
    created_at: str | None = Field(description="When it was written, on the platform (RFC 3339).")
    received_at: str = Field(description="When Herald received it (RFC 3339).")
    status: InboxStatus = Field(description="Where the workspace is with it.")
    assignee: str | None = Field(description="The member it is assigned to (user id).")
    post_id: str | None = Field(description="The Herald post it is on, when it is on one.")
    target_id: str | None = Field(description="The post's target (account) it is on.")
    platform_item_id: str = Field(description="Its id on the platform.")
    platform_post_id: str | None = Field(description="The platform post it is on or mentions.")
    parent_id: str | None = Field(description="The platform id of the comment it answers.")
    thread_id: str | None = Field(description="The platform id of its conversation's root.")
    permalink: str | None = Field(description="Its address on the platform.")
    label: InboxLabel | None = Field(
        None,
        description="What the inbox assistant classified it as; null until classified.",
    )
    label_confidence: float | None = Field(
        None, description="How sure the model was of the label, from 0 to 1."
    )
    reply_draft: str | None = Field(
        None,
        description="A reply the inbox assistant prepared, waiting for a person to approve "
        "(`POST .../draft/approve`), edit (reply with another text) or discard.",
    )


class InboxItemWithThread(InboxEntry):
    thread: list[InboxEntry] = Field(
        description="Its conversation (the root and every reply Herald has), oldest first, "
        "this item included; at most 100."
    )
    thread_truncated: bool = Field(description="Whether the conversation has more than shown.")


class InboxActionResult(BaseModel):
    item: InboxEntry = Field(description="The inbox item after the action.")
    reply: InboxEntry | None = Field(
        description="The reply as posted (a new inbox item of kind `reply` by the account); "
        "null for other actions."
    )


class InboxUpdate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"assignee": "01JQ3Y8RZ6T4W7N1B5C9D2E0FG"}]},
    )

    assignee: ItemIdText | None = Field(
        description="The member (user id) to assign it to; null to unassign."
    )


class ReplyRequest(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "Thanks Maria! The oat flat white is back on Monday."}]
        },
    )

    text: ReplyText = Field(
        description="The reply; the platform's own length rules apply (X 280 weighted "
        "characters, Instagram 2,200...)."
    )


class BulkRequest(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "action": "assign",
                    "item_ids": ["01JQ3Y9A1B2C3D4E5F6G7H8J9K", "01JQ3Y9B2C3D4E5F6G7H8J9K0M"],
                    "assignee": "01JQ3Y8RZ6T4W7N1B5C9D2E0FG",
                },
                {"action": "read", "item_ids": ["01JQ3Y9A1B2C3D4E5F6G7H8J9K"]},
            ]
        },
    )

    action: Literal["read", "unread", "hide", "assign"] = Field(
        description="What to do with every item; `hide` needs the admin role."
    )
    item_ids: list[ItemIdText] = Field(
        min_length=1, max_length=MAX_BULK_ITEMS, description="The items, each at most once."
    )
    assignee: ItemIdText | None = Field(
        None, description="For `assign`: the member (user id); null or absent unassigns."
    )


class BulkOutcome(BaseModel):
    id: str = Field(description="The item.")
    status: int = Field(description="What the single-item request would have answered (HTTP).")
    detail: str | None = Field(description="Why it failed; null when it succeeded.")
    item: InboxEntry | None = Field(description="The item after the action, when it succeeded.")


class BulkResult(BaseModel):
    results: list[BulkOutcome] = Field(description="One outcome per item, in the request's order.")


class SavedReply(BaseModel):
    id: str = Field(description="The saved reply's id.")
    title: str = Field(description="Its name in the picker.")
    text: str = Field(description="The text it fills in.")
    created_by: str = Field(description="Who saved it (user id or `apikey:<id>`).")
    created_at: str = Field(description="When it was saved (RFC 3339).")
    updated_at: str = Field(description="When it last changed (RFC 3339).")


class SavedReplyCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Opening hours",
                    "text": "We're open 7am to 6pm on weekdays and 8am to 4pm on weekends.",
                }
            ]
        },
    )

    title: SingleLine = Field(min_length=1, max_length=MAX_SAVED_REPLY_TITLE)
    text: ReplyText


class SavedReplyUpdate(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"title": "Hours (summer)"}]}
    )

    title: SingleLine | None = Field(None, min_length=1, max_length=MAX_SAVED_REPLY_TITLE)
    text: ReplyText | None = None
