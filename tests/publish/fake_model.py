"""A local OpenAI-compatible endpoint for tests: a threaded HTTP server on loopback.

It answers `POST /v1/chat/completions` as the Chat Completions API documents
(https://platform.openai.com/docs/api-reference/chat/create and
https://platform.openai.com/docs/api-reference/chat/object), with scripted answers in order, and
keeps every request it received, so tests drive Herald through the real `openai` client and see
exactly what was sent, images included (content parts, `Received.images`). With `stream: true`
it answers server-sent chunks (https://platform.openai.com/docs/api-reference/chat-streaming),
and `latency_seconds` makes it wait before its first byte, as a model thinks (bench/ai.py).
Nothing leaves the machine.
"""

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock

import pytest

from functions.shared.settings import get_settings

API_KEY = "sk-test-fake-model-key"
TEXT_MODEL = "fake-text-model"
VISION_MODEL = "fake-vision-model"
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
    def _last_user_content(self) -> str | list[dict[str, Any]]:
        content: str | list[dict[str, Any]] = next(
            m["content"] for m in reversed(self.body["messages"]) if m["role"] == "user"
        )
        return content

    @property
    def last_user_message(self) -> str:
        """Its text (the text part, when it came with images)."""
        content = self._last_user_content
        if isinstance(content, str):
            return content
        return "".join(part["text"] for part in content if part["type"] == "text")

    @property
    def images(self) -> list[str]:
        """The image URLs of the last user message (`data:` URLs from Herald)."""
        content = self._last_user_content
        if isinstance(content, str):
            return []
        return [part["image_url"]["url"] for part in content if part["type"] == "image_url"]


@dataclass
class FakeModel:
    base_url: str = ""
    answers: list[str | int] = field(default_factory=list)  # text, or an HTTP error status
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    latency_seconds: float = 0.0  # before the answer's first byte
    first_chunk_sent_at: list[float] = field(default_factory=list)  # perf_counter, per stream

    def answer(self, *answers: str | int) -> None:
        with self.lock:
            self.answers.extend(answers)

    def next_answer(self) -> str | int:
        with self.lock:
            return self.answers.pop(0) if self.answers else "A fitting caption."


def completion_tokens(text: str) -> int:
    return len(text.split()) + 1


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
            if model.latency_seconds:
                time.sleep(model.latency_seconds)
            if isinstance(answer, int):
                # Providers echo part of the key in errors; Herald must not pass it on.
                message = f"Incorrect API key provided: {API_KEY[:8]}... (status {answer})"
                self._send(answer, {"error": {"message": message, "type": "invalid_request"}})
                return
            if body.get("stream"):
                self._stream(body["model"], answer)
                return
            tokens = completion_tokens(answer)
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
                            "message": {"role": "assistant", "content": answer},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": PROMPT_TOKENS,
                        "completion_tokens": tokens,
                        "total_tokens": PROMPT_TOKENS + tokens,
                    },
                },
            )

        def _stream(self, model_name: str, answer: str) -> None:
            """The answer word by word as `chat.completion.chunk` events, then `[DONE]`."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            words = answer.split(" ")
            for index, word in enumerate(words):
                chunk = {
                    "id": f"chatcmpl-{len(model.received)}",
                    "object": "chat.completion.chunk",
                    "created": 1_900_000_000,
                    "model": model_name,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"content": word if index == 0 else f" {word}"},
                            "finish_reason": None,
                        }
                    ],
                }
                if index == 0:
                    model.first_chunk_sent_at.append(time.perf_counter())
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
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


@contextmanager
def serving(model: FakeModel) -> Iterator[FakeModel]:
    """The fake endpoint running, and Herald configured to call it (settings re-read)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    model.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    environment = {
        "HERALD_AI_BASE_URL": model.base_url,
        "HERALD_AI_API_KEY": API_KEY,
        "HERALD_AI_TEXT_MODEL": TEXT_MODEL,
        "HERALD_AI_VISION_MODEL": VISION_MODEL,
    }
    try:
        with mock.patch.dict(os.environ, environment):
            get_settings.cache_clear()
            yield model
    finally:
        get_settings.cache_clear()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def fake_model() -> Iterator[FakeModel]:
    with serving(FakeModel()) as model:
        yield model
