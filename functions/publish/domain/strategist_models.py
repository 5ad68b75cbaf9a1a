"""Request and response bodies of the AI strategist's conversations (docs/ai.md)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.publish.domain.post_models import Strict
from functions.shared.ai_models import AiCallUsage
from functions.shared.inputs import SingleLine

MAX_TITLE = 120
MAX_QUESTION = 4000
Title = Annotated[SingleLine, StringConstraints(min_length=1, max_length=MAX_TITLE)]


class ConversationCreate(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"title": "Autumn campaign"}]}
    )

    title: Title | None = Field(
        None,
        description="The conversation's title; left out, one is written from its first exchange.",
    )


class ConversationRename(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"title": "Autumn campaign ideas"}]}
    )

    title: Title = Field(description="The new title.")


class MessageCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"content": "What worked best last month, and what should we post next week?"}
            ]
        },
    )

    content: str = Field(
        min_length=1, max_length=MAX_QUESTION, description="What you ask the strategist."
    )
    stream: bool = Field(
        True,
        description="Stream the answer to your real-time connections that joined this "
        "workspace (`ai.chat.*` messages) while it is written. The response carries the whole "
        "answer either way.",
    )


class ToolUse(BaseModel):
    name: str = Field(description="The tool the strategist called.")
    ok: bool = Field(description="Whether the call succeeded (false: refused or invalid).")


class ChatMessage(BaseModel):
    id: str = Field(description="The message's id (a ULID).")
    role: Literal["user", "assistant"] = Field(description="`user`: asked; `assistant`: answer.")
    content: str = Field(description="The text.")
    tools: list[ToolUse] = Field(
        default_factory=list, description="The tool calls that grounded an answer, in order."
    )
    drafts: list[str] = Field(
        default_factory=list, description="Post ids of the drafts an answer created."
    )
    created_at: str = Field(description="When it was written (RFC 3339).")


class Conversation(BaseModel):
    id: str = Field(description="The conversation's id (a ULID).")
    title: str | None = Field(description="Its title; null until given or written.")
    title_source: Literal["given", "generated"] | None = Field(
        description="`given` by a person, or `generated` from the first exchange."
    )
    message_count: int = Field(description="Messages so far (questions and answers).")
    created_at: str = Field(description="RFC 3339.")
    updated_at: str = Field(description="When a message or the title last changed (RFC 3339).")


class ConversationWithMessages(Conversation):
    messages: list[ChatMessage] = Field(description="A page of its messages, newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for older messages; null on the last page."
    )


class Exchange(BaseModel):
    conversation: Conversation = Field(description="The conversation after this exchange.")
    question: ChatMessage = Field(description="The message you sent, as stored.")
    answer: ChatMessage = Field(description="The strategist's whole answer.")
    streamed_to: int = Field(
        description="How many of your real-time connections got the answer as it was "
        "written (0: not streamed)."
    )
    usage: AiCallUsage = Field(description="What the exchange spent of the workspace's budget.")
