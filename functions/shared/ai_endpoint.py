"""Calls to the configured OpenAI-compatible endpoint, through the `openai` package: chat
completions, images, speech and videos.

Only AI code paths import this module (the composer, media generation, when a route or a step
needs a model): importing `openai` costs more than a second, which no other request and no cold
start should pay (DESIGN section 10; `tests/publish/test_ai_provider.py` and
`tests/media/test_generation.py` check the apps load without it). The client and the key are
made once per warm container.

A refusal names the endpoint's status only: providers echo parts of the key and of the prompt in
their error bodies, and neither may reach a response or a log.
"""

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import openai
from botocore.exceptions import BotoCoreError, ClientError
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionContentPartImageParam,
    ChatCompletionContentPartParam,
    ChatCompletionContentPartTextParam,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)
from openai.types.chat.chat_completion_content_part_image_param import ImageURL

from functions.shared import aws
from functions.shared.ai_setup import (
    AiEndpointFailed,
    ChatMessage,
    Completion,
    Endpoint,
    ImageSize,
    SpeechFormat,
    VideoRender,
    VideoSeconds,
    VideoSize,
)
from functions.shared.observability import logger
from functions.shared.problems import ServiceUnavailable

# One retry of the client's own (connection errors, 429, 5xx, honouring Retry-After), within the
# timeout; the composer's attempts are about content, not transport.
CLIENT_RETRIES = 1


@cache
def _secret_key(secret_id: str) -> str:
    try:
        secret = aws.secretsmanager().get_secret_value(SecretId=secret_id)["SecretString"]
    except (BotoCoreError, ClientError) as error:
        logger.error("AI key secret unreadable", extra={"error": type(error).__name__})
        raise ServiceUnavailable(
            "The AI endpoint's key could not be read from its secret "
            "(HERALD_AI_API_KEY_SECRET); check that the secret exists and holds the key."
        ) from None
    return str(secret).strip()


@cache
def _client(base_url: str, api_key: str, timeout_seconds: float) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url, api_key=api_key, timeout=timeout_seconds, max_retries=CLIENT_RETRIES
    )


def _message(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "system":
        return ChatCompletionSystemMessageParam(role="system", content=message.content)
    if message.role == "assistant":
        return ChatCompletionAssistantMessageParam(role="assistant", content=message.content)
    if not message.images:
        return ChatCompletionUserMessageParam(role="user", content=message.content)
    # Content parts, as the Chat Completions API takes images
    # (https://platform.openai.com/docs/guides/images-vision#giving-a-model-images-as-input).
    parts: list[ChatCompletionContentPartParam] = [
        ChatCompletionContentPartTextParam(type="text", text=message.content)
    ]
    parts.extend(
        ChatCompletionContentPartImageParam(
            type="image_url", image_url=ImageURL(url=image, detail="auto")
        )
        for image in message.images
    )
    return ChatCompletionUserMessageParam(role="user", content=parts)


def client_of(endpoint: Endpoint) -> openai.OpenAI:
    """The warm container's client of `endpoint`, with its key (read from its secret once)."""
    api_key = _secret_key(endpoint.api_key_secret) if endpoint.api_key_secret else endpoint.api_key
    return _client(endpoint.base_url, api_key, endpoint.timeout_seconds)


@contextmanager
def refusals(endpoint: Endpoint, answer: str = "a chat completion") -> Iterator[None]:
    """The endpoint's failures become 502s that say what went wrong, never the body.

    `answer`: what the call should have answered ("a chat completion"), for the message."""
    try:
        yield
    except openai.APIStatusError as error:
        raise AiEndpointFailed(
            f"The AI endpoint answered HTTP {error.status_code}; check its key, model and quota."
        ) from None
    except openai.APITimeoutError:
        raise AiEndpointFailed(
            f"The AI endpoint did not answer within {endpoint.timeout_seconds:g} s."
        ) from None
    except openai.APIError:
        raise AiEndpointFailed(
            f"The AI endpoint could not be reached or answered something that is not {answer}."
        ) from None


@contextmanager
def _calling(endpoint: Endpoint, answer: str) -> Iterator[openai.OpenAI]:
    """The endpoint's client, its failures refused as `refusals` does."""
    with refusals(endpoint, answer):
        yield client_of(endpoint)


def complete(endpoint: Endpoint, messages: list[ChatMessage]) -> Completion:
    """The model's answer to `messages`; 502 when the endpoint fails."""
    with _calling(endpoint, "a chat completion") as client:
        answer = client.chat.completions.create(
            model=endpoint.model, messages=[_message(message) for message in messages]
        )
    if not answer.choices:
        raise AiEndpointFailed("The AI endpoint answered without a choice.")
    usage = answer.usage
    return Completion(
        text=answer.choices[0].message.content or "",
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
    )


def generate_images(endpoint: Endpoint, prompt: str, *, count: int, size: ImageSize) -> list[bytes]:
    """`count` images of `prompt` (the bytes of each, as the endpoint encoded them); 502 when
    the endpoint fails or answers without their data.

    The images come back in `b64_json` (the only form of GPT Image models, and what other
    endpoints send unless asked for URLs): Herald fetches nothing the endpoint points at."""
    with _calling(endpoint, "generated images") as client:
        answer = client.images.generate(model=endpoint.model, prompt=prompt, n=count, size=size)
    encoded = [image.b64_json for image in answer.data or []]
    if len(encoded) != count or not all(encoded):
        raise AiEndpointFailed(
            f"The AI endpoint answered {len(encoded)} of {count} images with their data "
            "(`b64_json`); Herald does not fetch image URLs."
        )
    try:
        return [base64.b64decode(data or "", validate=True) for data in encoded]
    except binascii.Error:
        raise AiEndpointFailed("The AI endpoint answered images that are not base64.") from None


def speak(endpoint: Endpoint, text: str, *, voice: str, audio_format: SpeechFormat) -> bytes:
    """`text` read aloud in `voice`, as a file of `audio_format`; 502 when the endpoint fails."""
    with _calling(endpoint, "audio") as client:
        answer = client.audio.speech.create(
            model=endpoint.model, input=text, voice=voice, response_format=audio_format
        )
        return answer.content


def _render(video: openai.types.Video) -> VideoRender:
    return VideoRender(
        video_id=video.id,
        status=video.status,
        progress=int(video.progress or 0),
        failure=video.error.message if video.error else None,
    )


def start_video(
    endpoint: Endpoint, prompt: str, *, seconds: VideoSeconds, size: VideoSize
) -> VideoRender:
    """Ask the endpoint to render a video; it works in the background (poll `video_status`)."""
    with _calling(endpoint, "a video job") as client:
        video = client.videos.create(
            model=endpoint.model,
            prompt=prompt,
            seconds=str(seconds),  # type: ignore[arg-type]  # the API's own literals: "4", "8"...
            size=size,
        )
    return _render(video)


def video_status(endpoint: Endpoint, video_id: str) -> VideoRender:
    with _calling(endpoint, "a video job") as client:
        return _render(client.videos.retrieve(video_id))


def download_video(endpoint: Endpoint, video_id: str, destination: Path, *, max_bytes: int) -> int:
    """Stream the finished video's MP4 to `destination`; its size. 502 beyond `max_bytes`."""
    written = 0
    with (
        _calling(endpoint, "a video") as client,
        client.videos.with_streaming_response.download_content(video_id) as response,
        destination.open("wb") as file,
    ):
        for chunk in response.iter_bytes():
            written += len(chunk)
            if written > max_bytes:
                raise AiEndpointFailed(
                    f"The AI endpoint's video is larger than the {max_bytes} bytes Herald keeps."
                )
            file.write(chunk)
    return written
