"""Streamed chat completions with tools, from the configured OpenAI-compatible endpoint.

One call is one turn of the model: it streams text (handed on piece by piece as it arrives)
and/or asks for tool calls, whose name and arguments arrive in fragments keyed by the call's
`index` (https://platform.openai.com/docs/api-reference/chat-streaming/streaming). With
`stream_options.include_usage` the last chunk, without choices, carries the turn's usage.
Like ai_endpoint, only AI code paths import this module.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import openai
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

from functions.shared.ai_endpoint import client_of, refusals
from functions.shared.ai_setup import Completion, Endpoint

# What one turn may write before Herald stops reading it: an answer is a chat message, and a
# tool call's arguments a few fields.
MAX_TURN_TEXT = 12_000
MAX_TOOL_ARGUMENTS = 16_000


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it (not yet checked)


@dataclass(frozen=True, slots=True)
class Turn:
    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Completion


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    size: int = 0


def stream_turn(
    endpoint: Endpoint,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]],
    on_text: Callable[[str], None],
) -> Turn:
    """One streamed turn: `on_text` gets each piece of text as it arrives; 502 on failure."""
    text: list[str] = []
    written = 0
    calls: dict[int, _PartialCall] = {}
    prompt_tokens = completion_tokens = 0
    with refusals(endpoint):
        stream = client_of(endpoint).chat.completions.create(
            model=endpoint.model,
            messages=cast(list[ChatCompletionMessageParam], list(messages)),
            tools=cast(list[ChatCompletionToolParam], list(tools)) if tools else openai.omit,
            stream=True,
            stream_options={"include_usage": True},
        )
        with stream:
            for chunk in stream:
                if chunk.usage is not None:
                    prompt_tokens = chunk.usage.prompt_tokens
                    completion_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices[:1]:
                    piece = choice.delta.content
                    if piece and written < MAX_TURN_TEXT:
                        piece = piece[: MAX_TURN_TEXT - written]
                        written += len(piece)
                        text.append(piece)
                        on_text(piece)
                    for fragment in choice.delta.tool_calls or ():
                        partial = calls.setdefault(fragment.index, _PartialCall())
                        partial.id = fragment.id or partial.id
                        if fragment.function is not None:
                            partial.name += fragment.function.name or ""
                            arguments = fragment.function.arguments or ""
                            if partial.size + len(arguments) <= MAX_TOOL_ARGUMENTS:
                                partial.arguments.append(arguments)
                            partial.size += len(arguments)
    return Turn(
        text="".join(text),
        tool_calls=tuple(
            ToolCall(
                id=partial.id or f"call_{index}",
                name=partial.name,
                # Arguments past the bound are refused whole rather than read cut short.
                arguments="".join(partial.arguments) if partial.size <= MAX_TOOL_ARGUMENTS else "",
            )
            for index, partial in sorted(calls.items())
        ),
        usage=Completion(
            text="".join(text), prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        ),
    )
