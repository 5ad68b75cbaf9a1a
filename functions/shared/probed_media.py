"""What probing found in a media file's bytes: the one description of it every group reads.

Media fills it when a file enters the library (Pillow for images, ffprobe for video and audio),
stores it on the asset (MediaAssetItem), shows it in the asset's view and checks media jobs
against it; publishing checks the platforms' media rules against it and hands it to the
platform adapters. It comes from the file's content, never from its name or the uploader's
claims; a field a probe cannot tell stays null.
"""

from pydantic import BaseModel, ConfigDict, Field


class ProbedMedia(BaseModel):
    # Every field is in every dump, so a response's schema lists them all as required.
    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    # Pillow's format ("JPEG") or FFmpeg's demuxer names ("mov,mp4,m4a,3gp,3g2,mj2").
    container: str | None = Field(None, description="Image format (JPEG...) or FFmpeg's container.")
    # Sample aspect ratio, rotation and EXIF orientation applied.
    width: int | None = Field(None, description="As displayed, after rotation or EXIF orientation.")
    height: int | None = Field(
        None, description="As displayed, after rotation or EXIF orientation."
    )
    # From the video's display matrix; null without video.
    rotation: int | None = Field(None, description="Degrees a player turns the video, clockwise.")
    duration_seconds: float | None = Field(
        None, description="Length of a video or audio file, in seconds."
    )
    frame_rate: float | None = Field(None, description="Video frames per second.")
    video_codec: str | None = Field(
        None, description="FFmpeg's name of the video codec (h264, hevc, vp9...)."
    )  # FFmpeg's codec names: h264, hevc, vp9...
    audio_codec: str | None = Field(
        None, description="FFmpeg's name of the audio codec (aac, mp3, opus...)."
    )  # aac, mp3, opus...
    audio_channels: int | None = Field(None, description="Audio channels (1 mono, 2 stereo...).")
    audio_sample_rate: int | None = Field(None, description="Audio samples per second (Hz).")
    bit_rate: int | None = Field(None, description="Overall bit rate, in bits per second.")
    faststart: bool | None = Field(None, description="MP4/MOV: whether `moov` precedes the media.")
