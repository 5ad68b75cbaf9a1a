"""The operations a video or audio job can run: one per job, told apart by `type`.

Each operation names its input assets (`input_asset_ids()`); the workflow downloads and probes
them in that order, and FFmpeg receives them in that order. Only numbers and the fixed words of
these models reach FFmpeg's filter graphs.
"""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.shared.platform_formats import VideoFormat

AudioFormat = Literal["mp3", "aac", "wav"]
ReframeMode = Literal["fit_pad", "blur", "crop"]
_MAX_SECONDS = 24 * 3600.0
_MAX_MERGED_CLIPS = 20


class _Operation(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReframeOperation(_Operation):
    """Resize a video to a preset's frame: fit inside with bars, over a blurred copy, or crop."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "reframe",
                    "asset_id": "01JB8ZC4Q6S8V0W2Y4A6C8E0G2",
                    "preset": "story",
                    "mode": "blur",
                }
            ]
        }
    )

    type: Literal["reframe"] = Field(description="Reframe a video.")
    asset_id: str = Field(min_length=1, max_length=64, description="The video to reframe.")
    preset: VideoFormat = Field(
        description="A platform format of the shared catalogue (docs/media.md): its frame size."
    )
    mode: ReframeMode = Field(
        "fit_pad",
        description="fit_pad: whole picture with black bars; blur: whole picture over a "
        "blurred, cropped copy of itself; crop: fill the frame, cutting the overflow.",
    )

    def input_asset_ids(self) -> list[str]:
        return [self.asset_id]


class MergeOperation(_Operation):
    """Join videos end to end in the given order."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "merge",
                    "asset_ids": ["01JB8ZC4Q6S8V0W2Y4A6C8E0G2", "01JB8ZE6S8T0W2Y4A6C8E0G2J4"],
                }
            ]
        }
    )

    type: Literal["merge"] = Field(description="Join videos.")
    asset_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=2,
        max_length=_MAX_MERGED_CLIPS,
        description="The videos, in the order they play.",
    )

    def input_asset_ids(self) -> list[str]:
        return list(self.asset_ids)


class TrimOperation(_Operation):
    """Keep the part of a video or audio file between two times."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "trim",
                    "asset_id": "01JB8ZC4Q6S8V0W2Y4A6C8E0G2",
                    "start_seconds": 2.5,
                    "end_seconds": 17.0,
                }
            ]
        }
    )

    type: Literal["trim"] = Field(description="Trim a video or audio file.")
    asset_id: str = Field(min_length=1, max_length=64, description="The video or audio file.")
    start_seconds: float = Field(
        0.0,
        ge=0,
        le=_MAX_SECONDS,
        description="Where the kept part starts, in seconds from the beginning.",
    )
    end_seconds: float = Field(
        gt=0,
        le=_MAX_SECONDS,
        description="Where the kept part ends, in seconds from the beginning.",
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.end_seconds <= self.start_seconds:
            raise ValueError("end_seconds must be after start_seconds")
        return self

    def input_asset_ids(self) -> list[str]:
        return [self.asset_id]


class AudioOperation(_Operation):
    """Change the audio of a video or audio file: volume or loudness, and/or its format.

    Without `format` a video stays a video (its picture copied untouched) and an audio file
    becomes AAC; with one, the result is an audio file in that format.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"type": "audio", "asset_id": "01JB8ZC4Q6S8V0W2Y4A6C8E0G2", "loudness_lufs": -14}
            ]
        }
    )

    type: Literal["audio"] = Field(description="Change the audio.")
    asset_id: str = Field(min_length=1, max_length=64, description="The video or audio file.")
    volume_db: float | None = Field(None, ge=-60, le=30, description="Gain in decibels.")
    loudness_lufs: float | None = Field(
        None,
        ge=-70,
        le=-5,
        description="Integrated loudness target (EBU R128); -14 suits most social platforms.",
    )
    format: AudioFormat | None = Field(None, description="Make an audio file in this format.")

    @model_validator(mode="after")
    def _one_change(self) -> Self:
        if self.volume_db is not None and self.loudness_lufs is not None:
            raise ValueError("choose either volume_db or loudness_lufs, not both")
        if self.volume_db is None and self.loudness_lufs is None and self.format is None:
            raise ValueError("give volume_db, loudness_lufs or format")
        return self

    def input_asset_ids(self) -> list[str]:
        return [self.asset_id]


class MusicOperation(_Operation):
    """Put a music track under a video: replace its sound, or mix the music in below it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "music",
                    "asset_id": "01JB8ZC4Q6S8V0W2Y4A6C8E0G2",
                    "music_asset_id": "01JB8ZD5R7T9V1X3Z5B7D9F1H3",
                    "mode": "mix",
                    "music_volume_db": -12,
                }
            ]
        }
    )

    type: Literal["music"] = Field(description="Add music under a video.")
    asset_id: str = Field(min_length=1, max_length=64, description="The video.")
    music_asset_id: str = Field(
        min_length=1, max_length=64, description="The music (an audio asset)."
    )
    mode: Literal["replace", "mix"] = Field(
        "mix",
        description="replace: the music becomes the only sound; mix: the music plays under the "
        "video's sound.",
    )
    music_volume_db: float = Field(
        -12.0, ge=-60, le=12, description="Gain applied to the music before it is used."
    )

    def input_asset_ids(self) -> list[str]:
        return [self.asset_id, self.music_asset_id]


class ExtractAudioOperation(_Operation):
    """The sound of a video as an audio file."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"type": "extract_audio", "asset_id": "01JB8ZC4Q6S8V0W2Y4A6C8E0G2", "format": "mp3"}
            ]
        }
    )

    type: Literal["extract_audio"] = Field(description="Extract the audio of a video.")
    asset_id: str = Field(min_length=1, max_length=64, description="The video.")
    format: AudioFormat = Field("mp3", description="The audio file's format.")

    def input_asset_ids(self) -> list[str]:
        return [self.asset_id]


class ThumbnailOperation(_Operation):
    """A JPEG of one frame of a video."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"type": "thumbnail", "asset_id": "01JB8ZC4Q6S8V0W2Y4A6C8E0G2", "at_seconds": 4.2}
            ]
        }
    )

    type: Literal["thumbnail"] = Field(description="Take one frame of a video.")
    asset_id: str = Field(min_length=1, max_length=64, description="The video.")
    at_seconds: float = Field(
        0.0, ge=0, le=_MAX_SECONDS, description="The frame's time, in seconds from the beginning."
    )

    def input_asset_ids(self) -> list[str]:
        return [self.asset_id]


JobOperation = Annotated[
    ReframeOperation
    | MergeOperation
    | TrimOperation
    | AudioOperation
    | MusicOperation
    | ExtractAudioOperation
    | ThumbnailOperation,
    Field(discriminator="type"),
]
