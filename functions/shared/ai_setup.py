"""Which AI endpoint Herald calls, and the failures of calling it, without loading `openai`.

The endpoint is any OpenAI-compatible API: a base URL, a key (a Secrets Manager secret in AWS, a
plain setting locally) and one model per task. A task whose settings are missing is refused with
503 naming the variables to set, before anything is sent anywhere (docs/ai.md).
"""

from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal

from functions.shared.problems import Problem, ServiceUnavailable
from functions.shared.settings import Settings, get_settings

Task = Literal["text", "vision", "image", "speech", "video"]
# What OpenAI's GPT Image, speech and Sora models take (the API reference of each).
ImageSize = Literal["1024x1024", "1536x1024", "1024x1536"]
SpeechFormat = Literal["mp3", "opus", "aac", "flac", "wav"]
VideoSeconds = Literal[4, 8, 12]
VideoSize = Literal["720x1280", "1280x720", "1024x1792", "1792x1024"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    base_url: str
    api_key: str  # empty when the key lives in the secret
    api_key_secret: str
    timeout_seconds: float
    model: str


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str
    # Images for a vision model to look at (user messages): `data:image/jpeg;base64,...` URLs.
    images: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class VideoRender:
    """A video the endpoint renders in the background, as it last reported it."""

    video_id: str
    status: Literal["queued", "in_progress", "completed", "failed"]
    progress: int  # percent, 0-100
    failure: str | None  # the endpoint's reason, when it failed


class AiEndpointFailed(Problem):
    """The endpoint failed or answered something Herald cannot hand back (502)."""

    status = HTTPStatus.BAD_GATEWAY
    type = "urn:herald:problem:ai-endpoint"


class GeneratedTextUnfit(AiEndpointFailed):
    """The model's every attempt failed preflight (502): nothing that would fail is handed back."""

    type = "urn:herald:problem:ai-unfit"


def _model_of(settings: Settings, task: Task) -> str:
    models: dict[Task, str] = {
        "text": settings.ai_text_model,
        "vision": settings.ai_vision_model,
        "image": settings.ai_image_model,
        "speech": settings.ai_speech_model,
        "video": settings.ai_video_model,
    }
    return models[task]


def endpoint_for(task: Task) -> Endpoint:
    """The endpoint and model of `task`, or 503 listing every variable still to set."""
    settings = get_settings()
    model = _model_of(settings, task)
    missing = []
    if not settings.ai_base_url:
        missing.append("HERALD_AI_BASE_URL (e.g. https://api.openai.com/v1)")
    if not settings.ai_api_key_secret and not settings.ai_api_key:
        missing.append("HERALD_AI_API_KEY_SECRET (in AWS) or HERALD_AI_API_KEY (locally)")
    if not model:
        missing.append(f"HERALD_AI_{task.upper()}_MODEL")
    if missing:
        raise ServiceUnavailable(
            f"AI {task} generation is not configured: set {'; '.join(missing)}. See docs/ai.md."
        )
    return Endpoint(
        base_url=settings.ai_base_url,
        api_key=settings.ai_api_key,
        api_key_secret=settings.ai_api_key_secret,
        timeout_seconds=settings.ai_timeout_seconds,
        model=model,
    )
