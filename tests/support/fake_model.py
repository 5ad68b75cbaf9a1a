"""A local OpenAI-compatible endpoint for tests: a threaded HTTP server on loopback.

It answers as OpenAI's API reference documents, and keeps every request it received, so tests
drive Herald through the real `openai` client and see exactly what was sent. Nothing leaves the
machine.

- `POST /v1/chat/completions` (https://platform.openai.com/docs/api-reference/chat/create and
  https://platform.openai.com/docs/api-reference/chat/object): scripted answers in order, images
  of the request included (content parts, `Received.images`). A scripted answer is a text, an
  HTTP error status, or `ToolCalls` (the model asking for function calls: `message.tool_calls`,
  `finish_reason` "tool_calls", https://platform.openai.com/docs/guides/function-calling). A
  request with `stream: true` is answered with server-sent events of `chat.completion.chunk`
  objects (https://platform.openai.com/docs/api-reference/chat-streaming/streaming): the text a
  word at a time, each tool call's name first and its arguments in fragments under the call's
  `index`, a last chunk with the `finish_reason`, one without choices carrying `usage` when
  `stream_options.include_usage` asks for it, then `data: [DONE]`.
- `POST /v1/images/generations` (https://platform.openai.com/docs/api-reference/images/create):
  `n` PNGs in `b64_json`, of the size asked for unless `image_size` says otherwise.
- `POST /v1/audio/speech` (https://platform.openai.com/docs/api-reference/audio/createSpeech):
  a real tone of `speech_seconds`, in the format asked for (the stdlib's `wave` for WAV, FFmpeg
  for the others), so the library's prober reads it.
- `POST /v1/videos`, `GET /v1/videos/{id}`, `GET /v1/videos/{id}/content`
  (https://platform.openai.com/docs/api-reference/videos): a video `queued`, then `in_progress`
  for `video_polls` retrievals, then `completed` (or `failed` with `video_failure`), and an MP4
  made by FFmpeg at the size asked for.

`fail_media(status, ...)` makes the next media calls answer those HTTP errors, and
`latency_seconds` makes chat answers wait before their first byte, as a model thinks
(bench/ai.py). `serving(model)` runs it outside pytest; the `fake_model` fixture inside.
"""

import base64
import email.parser
import io
import json
import math
import os
import struct
import tempfile
import threading
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from PIL import Image

from functions.shared.settings import get_settings
from tests.support.ffmpeg_samples import make_tone, make_video

API_KEY = "sk-test-fake-model-key"
TEXT_MODEL = "fake-text-model"
VISION_MODEL = "fake-vision-model"
IMAGE_MODEL = "fake-image-model"
SPEECH_MODEL = "fake-speech-model"
VIDEO_MODEL = "fake-video-model"
# The file each speech format comes in (OpenAI's opus is Ogg Opus, its aac raw ADTS).
SPEECH_SUFFIXES = {"mp3": ".mp3", "opus": ".opus", "aac": ".aac", "flac": ".flac"}
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
    media_errors: list[int] = field(default_factory=list)
    image_size: tuple[int, int] | None = None  # None: the size asked for
    speech_seconds: float = 1.5
    video_polls: int = 1  # retrievals answering `in_progress` before `completed`
    video_failure: str | None = None
    videos: dict[str, dict[str, Any]] = field(default_factory=dict)
    latency_seconds: float = 0.0  # before a chat answer's first byte
    first_chunk_sent_at: list[float] = field(default_factory=list)  # perf_counter, per stream

    def answer(self, *answers: Answer) -> None:
        with self.lock:
            self.answers.extend(answers)

    def fail_media(self, *statuses: int) -> None:
        with self.lock:
            self.media_errors.extend(statuses)

    def next_media_error(self) -> int | None:
        with self.lock:
            return self.media_errors.pop(0) if self.media_errors else None

    def received_at(self, path: str) -> list["Received"]:
        return [request for request in self.received if request.path.split("?")[0] == path]

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


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def wav_tone(seconds: float, *, rate: int = 16_000) -> bytes:
    """A 440 Hz tone as 16-bit mono PCM WAV, by the stdlib alone."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        frames = (
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
            for n in range(int(seconds * rate))
        )
        file.writeframes(b"".join(frames))
    return buffer.getvalue()


def speech(audio_format: str, seconds: float) -> bytes:
    if audio_format == "wav":
        return wav_tone(seconds)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"speech{SPEECH_SUFFIXES[audio_format]}"
        return make_tone(path, seconds=seconds).read_bytes()


def video_file(size: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return make_video(Path(folder) / "video.mp4", size=size, seconds=1.0).read_bytes()


def form_fields(content_type: str, data: bytes) -> dict[str, str]:
    """The text fields of a multipart/form-data body."""
    message = email.parser.BytesParser().parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + data
    )
    fields: dict[str, str] = {}
    for part in message.walk():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload.decode()
    return fields


def _handler(model: FakeModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            data = self.rfile.read(length)
            content_type = self.headers.get("Content-Type", "")
            body = (
                form_fields(content_type, data)
                if content_type.startswith("multipart/form-data")
                else json.loads(data)
            )
            self._receive(body)
            media = {
                "/v1/images/generations": self._images,
                "/v1/audio/speech": self._speech,
                "/v1/videos": self._create_video,
            }
            if self.path in media:
                self._media(media[self.path], body)
                return
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
            for number, delta in enumerate(_stream_deltas(answer)):
                if number == 0:
                    model.first_chunk_sent_at.append(time.perf_counter())
                chunk([{"index": 0, "delta": delta, "finish_reason": None}])
            finish = "tool_calls" if isinstance(answer, ToolCalls) else "stop"
            chunk([{"index": 0, "delta": {}, "finish_reason": finish}])
            if (body.get("stream_options") or {}).get("include_usage"):
                chunk([], usage=_usage(answer))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def do_GET(self) -> None:
            self._receive({})
            parts = self.path.split("?")[0].strip("/").split("/")  # v1, videos, id[, content]
            video = model.videos.get(parts[2]) if parts[:2] == ["v1", "videos"] else None
            if video is None:
                self._send(404, {"error": {"message": "unknown video", "type": "invalid_request"}})
            elif parts[3:] == ["content"]:
                self._media(lambda _: self._bytes(video_file(video["size"]), "video/mp4"), {})
            else:
                self._media(lambda _: self._send(200, self._advance(video)), {})

        def _receive(self, body: dict[str, Any]) -> None:
            model.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )

        def _media(self, answer: Any, body: dict[str, Any]) -> None:
            status = model.next_media_error()
            if status is not None:
                message = f"Incorrect API key provided: {API_KEY[:8]}... (status {status})"
                self._send(status, {"error": {"message": message, "type": "invalid_request"}})
                return
            answer(body)

        def _images(self, body: dict[str, Any]) -> None:
            asked = tuple(int(side) for side in str(body.get("size", "1024x1024")).split("x"))
            width, height = model.image_size or asked
            picture = base64.b64encode(png(width, height)).decode()
            self._send(
                200,
                {"created": 1_900_000_000, "data": [{"b64_json": picture}] * int(body["n"])},
            )

        def _speech(self, body: dict[str, Any]) -> None:
            audio = speech(body.get("response_format", "mp3"), model.speech_seconds)
            self._bytes(audio, "application/octet-stream")

        def _create_video(self, body: dict[str, Any]) -> None:
            video_id = f"video_{len(model.videos) + 1}"
            model.videos[video_id] = {
                "id": video_id,
                "object": "video",
                "created_at": 1_900_000_000,
                "model": body.get("model", "sora-2"),
                "progress": 0,
                "prompt": body["prompt"],
                "seconds": body.get("seconds", "4"),
                "size": body.get("size", "720x1280"),
                "status": "queued",
                "polls": 0,
            }
            self._send(200, self._public(model.videos[video_id]))

        def _advance(self, video: dict[str, Any]) -> dict[str, Any]:
            video["polls"] += 1
            if video["polls"] <= model.video_polls:
                video |= {"status": "in_progress", "progress": 50}
            elif model.video_failure is not None:
                failure = {"code": "moderation_blocked", "message": model.video_failure}
                video |= {"status": "failed", "error": failure}
            else:
                video |= {"status": "completed", "progress": 100}
            return self._public(video)

        @staticmethod
        def _public(video: dict[str, Any]) -> dict[str, Any]:
            return {key: value for key, value in video.items() if key != "polls"}

        def _bytes(self, data: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

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
        "HERALD_AI_IMAGE_MODEL": IMAGE_MODEL,
        "HERALD_AI_SPEECH_MODEL": SPEECH_MODEL,
        "HERALD_AI_VIDEO_MODEL": VIDEO_MODEL,
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
