"""What a media file really is, found in its bytes: kind, type, probe fields and a thumbnail.

Images and GIFs are read by Pillow (the shared, bomb-guarded decoding of functions/shared/
images.py); video and audio by ffprobe through the FFmpeg adapter, only after their leading
bytes named a container (sniffing.py) and only if ffprobe then reads them with that container's
demuxer. Thumbnails are JPEGs at most 640 pixels wide: Pillow's for images, FFmpeg's frame
for video (and an audio file's cover art, when it has one).
"""

from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

from functions.media.adapters import ffmpeg
from functions.media.domain import image_ops
from functions.media.domain.kinds import Kind
from functions.media.domain.sniffing import ISO_MEDIA_DEMUXER, MATROSKA_DEMUXER, Sniffed
from functions.shared import images
from functions.shared.images import ImageRejected
from functions.shared.probed_media import ProbedMedia

if TYPE_CHECKING:
    from PIL.Image import Image

THUMBNAIL_WIDTH = 640
# Frames times pixels a GIF may hold: reading every frame's delay decodes each frame.
MAX_GIF_FRAME_PIXELS = 1_000_000_000


class MediaRefused(Exception):
    """The file is not media Herald can keep; the message tells the user why."""


@dataclass(frozen=True)
class Inspection:
    kind: Kind
    content_type: str
    probed: ProbedMedia
    thumbnail: bytes | None


def inspect(path: Path, sniffed: Sniffed) -> Inspection:
    """Read the file as the kind its leading bytes announced; MediaRefused if it is not."""
    if sniffed.demuxer is None:
        return _inspect_image(path, sniffed)
    return _inspect_audio_video(path, sniffed)


def _inspect_image(path: Path, sniffed: Sniffed) -> Inspection:
    try:
        with path.open("rb") as file, images.open_image(file, image_ops.LIBRARY_POLICY) as image:
            identified = images.image_format(image)
            if image_ops.CONTENT_TYPES[identified] != sniffed.content_type:
                raise MediaRefused("The image's content does not match its own header.")
            width, height = images.displayed_size(image)
            fields: dict[str, Any] = {"container": identified, "width": width, "height": height}
            if identified == "GIF":
                fields |= _gif_timing(image)
                image.seek(0)
            thumbnail = image_ops.thumbnail(image, THUMBNAIL_WIDTH)
    except ImageRejected as refusal:
        raise MediaRefused(str(refusal)) from None
    return Inspection(sniffed.kind, sniffed.content_type, ProbedMedia(**fields), thumbnail)


def _gif_timing(image: "Image") -> dict[str, Any]:
    """Duration and frame rate of an animated GIF; nothing for a still one."""
    frames = int(getattr(image, "n_frames", 1))
    if frames <= 1:
        return {}
    if frames * image.width * image.height > MAX_GIF_FRAME_PIXELS:
        raise MediaRefused(
            f"The GIF has {frames} frames of {image.width}x{image.height} pixels, more than "
            "Herald reads; shorten it or make it smaller."
        )
    total_ms = 0
    for frame in range(frames):
        image.seek(frame)
        total_ms += int(image.info.get("duration", 0) or 0)
    if total_ms <= 0:
        return {}
    return {"duration_seconds": total_ms / 1000, "frame_rate": round(frames * 1000 / total_ms, 3)}


def _inspect_audio_video(path: Path, sniffed: Sniffed) -> Inspection:
    try:
        probe = ffmpeg.probe(path)
    except ffmpeg.MediaRejected as refusal:
        raise MediaRefused(f"The file could not be read: {refusal}.") from None
    if probe.container != sniffed.demuxer:
        raise MediaRefused(
            "The file could not be read: its content does not match the container its header names."
        )
    content_type = _content_type(sniffed, has_video=probe.has_video)
    kind: Kind = "video" if probe.has_video else "audio"
    # The library keeps the kind apart, and which streams the file has shows in its codecs.
    probed = ProbedMedia(**probe.model_dump(include=set(ProbedMedia.model_fields)))
    return Inspection(kind, content_type, probed, _video_thumbnail(path, probe))


def _content_type(sniffed: Sniffed, *, has_video: bool) -> str:
    """ISO media and WebM carry either; the other containers Herald takes carry sound only."""
    if sniffed.demuxer == ISO_MEDIA_DEMUXER:
        if not has_video:
            return "audio/mp4"
        return "video/quicktime" if sniffed.content_type == "video/quicktime" else "video/mp4"
    if sniffed.demuxer == MATROSKA_DEMUXER:
        return "video/webm" if has_video else "audio/webm"
    if has_video:
        raise MediaRefused(
            f"A {sniffed.content_type} file should hold sound only; this one has video."
        )
    return sniffed.content_type


def _video_thumbnail(path: Path, probe: ffmpeg.Probe) -> bytes | None:
    duration = probe.duration_seconds or 0.0
    # A second in, past fade-ins and black first frames, unless the clip is shorter.
    at_seconds = min(1.0, duration / 2) if duration else 0.0
    with TemporaryDirectory() as workdir:
        output = Path(workdir) / "thumbnail.jpg"
        try:
            ffmpeg.thumbnail(path, output, at_seconds=at_seconds, width=THUMBNAIL_WIDTH)
        except ffmpeg.MediaRejected:
            if probe.has_video:
                raise MediaRefused("The video has no picture Herald can show.") from None
            return None  # audio without cover art
        except ffmpeg.FFmpegError:
            raise MediaRefused(
                "The video's pictures could not be decoded; the file may be damaged."
            ) from None
        return output.read_bytes()
