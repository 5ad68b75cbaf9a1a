"""A local OpenAI-compatible endpoint for tests: a threaded HTTP server on loopback.

It answers `POST /v1/chat/completions` as the Chat Completions API documents
(https://platform.openai.com/docs/api-reference/chat/create and
https://platform.openai.com/docs/api-reference/chat/object), with scripted answers in order, and
keeps every request it received, so tests drive Herald through the real `openai` client and see
exactly what was sent. Nothing leaves the machine.

A scripted answer is a text, an HTTP error status, or `ToolCalls` (the model asking for function
calls: `message.tool_calls`, `finish_reason` "tool_calls",
https://platform.openai.com/docs/guides/function-calling). A request with `stream: true` is
answered with server-sent events of `chat.completion.chunk` objects
(https://platform.openai.com/docs/api-reference/chat-streaming/streaming): the text a word at a
time, each tool call's name first and its arguments in fragments under the call's `index`, a
last chunk with the `finish_reason`, one without choices carrying `usage` when
`stream_options.include_usage` asks for it, then `data: [DONE]`.
"""

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock

import pytest

from functions.shared.settings import get_settings

API_KEY = "sk-test-fake-model-key"
TEXT_MODEL = "fake-text-model"
PROMPT_TOKENS = 100  # what the fake reports per call, so budgets are predictable


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def system(self) -> str:
        content: str = self.body["messages"][0]["content"]
        return content

    @property
    def last_user_message(self) -> str:
        content: str = next(
            m["content"] for m in reversed(self.body["messages"]) if m["role"] == "user"
        )
        return content


@dataclass(frozen=True)
class ToolCalls:
    """The model asking for function calls: (name, arguments) each, the arguments a JSON
    object, or a string sent as is (to test what Herald does with arguments that are not)."""

    calls: tuple[tuple[str, dict[str, Any] | str], ...]

    def __init__(self, *calls: tuple[str, dict[str, Any] | str]) -> None:
        object.__setattr__(self, "calls", calls)

    def wire(self) -> list[dict[str, Any]]:
        return [
            {
                "id": f"call_{number}_{name}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
            for number, (name, arguments) in enumerate(self.calls)
        ]


Answer = str | int | ToolCalls


@dataclass
class FakeModel:
    base_url: str = ""
    answers: list[Answer] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *answers: Answer) -> None:
        with self.lock:
            self.answers.extend(answers)

    def next_answer(self) -> Answer:
        with self.lock:
            return self.answers.pop(0) if self.answers else "A fitting caption."


def completion_tokens(answer: str | ToolCalls) -> int:
    text = answer if isinstance(answer, str) else json.dumps(answer.wire())
    return len(text.split()) + 1


def _usage(answer: str | ToolCalls) -> dict[str, int]:
    tokens = completion_tokens(answer)
    return {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": tokens,
        "total_tokens": PROMPT_TOKENS + tokens,
    }


def _stream_deltas(answer: str | ToolCalls) -> list[dict[str, Any]]:
    if isinstance(answer, str):
        words = answer.split(" ")
        return [{"content": word if n == 0 else f" {word}"} for n, word in enumerate(words)]
    deltas: list[dict[str, Any]] = []
    for index, call in enumerate(answer.wire()):
        arguments = call["function"]["arguments"]
        name = call["function"]["name"]
        deltas.append(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": name, "arguments": ""},
                    }
                ]
            }
        )
        deltas.extend(
            {"tool_calls": [{"index": index, "function": {"arguments": arguments[at : at + 7]}}]}
            for at in range(0, len(arguments), 7)
        )
    return deltas


def _handler(model: FakeModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            model.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": "unknown path", "type": "invalid_request"}})
                return
            answer = model.next_answer()
            if isinstance(answer, int):
                # Providers echo part of the key in errors; Herald must not pass it on.
                message = f"Incorrect API key provided: {API_KEY[:8]}... (status {answer})"
                self._send(answer, {"error": {"message": message, "type": "invalid_request"}})
                return
            if body.get("stream"):
                self._stream(body, answer)
                return
            if isinstance(answer, ToolCalls):
                reply: dict[str, Any] = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": answer.wire(),
                }
            else:
                reply = {"role": "assistant", "content": answer}
            self._send(
                200,
                {
                    "id": f"chatcmpl-{len(model.received)}",
                    "object": "chat.completion",
                    "created": 1_900_000_000,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": reply,
                            "finish_reason": "tool_calls"
                            if isinstance(answer, ToolCalls)
                            else "stop",
                        }
                    ],
                    "usage": _usage(answer),
                },
            )

        def _stream(self, body: dict[str, Any], answer: str | ToolCalls) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()

            def chunk(choices: list[dict[str, Any]], **extra: Any) -> None:
                payload = {
                    "id": f"chatcmpl-{len(model.received)}",
                    "object": "chat.completion.chunk",
                    "created": 1_900_000_000,
                    "model": body["model"],
                    "choices": choices,
                } | extra
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

            chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}}])
            for delta in _stream_deltas(answer):
                chunk([{"index": 0, "delta": delta, "finish_reason": None}])
            finish = "tool_calls" if isinstance(answer, ToolCalls) else "stop"
            chunk([{"index": 0, "delta": {}, "finish_reason": finish}])
            if (body.get("stream_options") or {}).get("include_usage"):
                chunk([], usage=_usage(answer))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def fake_model() -> Iterator[FakeModel]:
    """The fake endpoint running, and Herald configured to call it (settings re-read)."""
    model = FakeModel()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    model.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    environment = {
        "HERALD_AI_BASE_URL": model.base_url,
        "HERALD_AI_API_KEY": API_KEY,
        "HERALD_AI_TEXT_MODEL": TEXT_MODEL,
    }
    with mock.patch.dict(os.environ, environment):
        get_settings.cache_clear()
        yield model
    get_settings.cache_clear()
    server.shutdown()
    server.server_close()
    thread.join()
