"""A local OpenAI-compatible endpoint for tests: a threaded HTTP server on loopback.

It answers `POST /v1/chat/completions` as the Chat Completions API documents
(https://platform.openai.com/docs/api-reference/chat/create and
https://platform.openai.com/docs/api-reference/chat/object), with scripted answers in order, and
keeps every request it received, so tests drive Herald through the real `openai` client and see
exactly what was sent. Nothing leaves the machine.
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


@dataclass
class FakeModel:
    base_url: str = ""
    answers: list[str | int] = field(default_factory=list)  # text, or an HTTP error status
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

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
            if isinstance(answer, int):
                # Providers echo part of the key in errors; Herald must not pass it on.
                message = f"Incorrect API key provided: {API_KEY[:8]}... (status {answer})"
                self._send(answer, {"error": {"message": message, "type": "invalid_request"}})
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
