"""Request and response bodies of generated media (`/v1/media/generate/...`, docs/ai.md)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.media.domain.models import Asset, AssetName
from functions.shared.ai_setup import SpeechFormat, VideoSeconds, VideoSize
from functions.shared.platform_formats import ImageFormat

# OpenAI's own limits: 4,000 characters of a DALL-E 3 prompt (GPT Image takes more) and 4,096 of
# speech input (https://platform.openai.com/docs/api-reference/images/create,
# https://platform.openai.com/docs/api-reference/audio/createSpeech).
MAX_PROMPT = 4000
MAX_SPEECH_TEXT = 4096
MAX_IMAGES = 4
Prompt = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PROMPT)
]
Voice = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class ImageGenerationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "prompt": "A flat white on a wooden counter, autumn light, beans in a paper "
                    "bag beside it",
                    "preset": "instagram_portrait",
                    "count": 2,
                }
            ]
        },
    )

    prompt: Prompt = Field(description="What to picture.")
    preset: ImageFormat = Field(
        description="The platform format (docs/media.md#platform-formats) the images are made "
        "for: each comes out at exactly its size."
    )
    count: int = Field(1, ge=1, le=MAX_IMAGES, description="How many images to generate.")
    format: Literal["jpeg", "png", "webp"] = Field("jpeg", description="The files' format.")
    name: AssetName | None = Field(None, description="Defaults to the prompt's first words.")


class GeneratedImages(BaseModel):
    items: list[Asset] = Field(description="The new assets, one per image.")


class SpeechGenerationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "The autumn roast is back: fig, cocoa and orange, until Friday.",
                    "voice": "coral",
                    "format": "mp3",
                }
            ]
        },
    )

    text: str = Field(
        min_length=1, max_length=MAX_SPEECH_TEXT, description="The text to read aloud."
    )
    voice: Voice = Field(
        "alloy", description="One of the endpoint's voices (OpenAI: alloy, ash, coral, echo...)."
    )
    format: SpeechFormat = Field("mp3", description="The audio file's format.")
    name: AssetName | None = Field(None, description="Defaults to the text's first words.")


class VideoGenerationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "prompt": "Slow pour of a flat white, steam rising, morning light",
                    "seconds": 4,
                    "size": "720x1280",
                }
            ]
        },
    )

    prompt: Prompt = Field(description="What the video shows.")
    seconds: VideoSeconds = Field(4, description="The clip's length, in seconds.")
    size: VideoSize = Field(
        "720x1280",
        description="The frame: portrait or landscape, as video models render them; a reframe "
        "job fits the clip to a platform format.",
    )
    name: AssetName | None = Field(None, description="Defaults to the prompt's first words.")


class VideoGenerationOperation(VideoGenerationRequest):
    """A video generation job, as its job reports it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "generate_video",
                    "prompt": "Slow pour of a flat white, steam rising, morning light",
                    "seconds": 4,
                    "size": "720x1280",
                    "model": "sora-2",
                }
            ]
        },
    )

    type: Literal["generate_video"] = Field(description="Generate a video from a prompt.")
    model: str = Field(description="The video model asked.")
