"""Small media files made on the spot by FFmpeg's lavfi sources, for tests that need real media.

Every file is generated with the same FFmpeg binary the code under test uses, so no sample is
committed and each test states exactly what its input is.
"""

import re
import subprocess
from pathlib import Path

from functions.media.adapters.ffmpeg import ffmpeg_path


def make_video(
    path: Path,
    *,
    size: str = "320x240",
    rate: int = 25,
    seconds: float = 2.0,
    audio: bool = True,
    tone_hz: int = 440,
    sample_rate: int = 44_100,
    video_codec: tuple[str, ...] = ("-c:v", "libx264", "-preset", "ultrafast"),
    pixel_format: str = "yuv420p",
    extra: tuple[str, ...] = (),
) -> Path:
    """A test-pattern video (testsrc2) with a sine tone, in the container `path`'s suffix names."""
    inputs = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    streams = [*video_codec, "-pix_fmt", pixel_format]
    if audio:
        inputs += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={tone_hz}:sample_rate={sample_rate}:duration={seconds}",
        ]
        streams += ["-c:a", "aac" if path.suffix in (".mp4", ".mov") else "libopus"]
    return _ffmpeg([*inputs, *streams, *extra, str(path)], path)


def make_tone(
    path: Path,
    *,
    seconds: float = 3.0,
    tone_hz: int = 440,
    volume_db: float = -20.0,
    sample_rate: int = 48_000,
) -> Path:
    """A sine tone at a known level, encoded as `path`'s suffix says (.wav, .mp3, .m4a)."""
    return _ffmpeg(
        [
            *("-f", "lavfi", "-i"),
            f"sine=frequency={tone_hz}:sample_rate={sample_rate}:duration={seconds}",
            *("-af", f"volume={volume_db}dB"),
            str(path),
        ],
        path,
    )


def _ffmpeg(arguments: list[str], path: Path) -> Path:
    subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-v", "error", "-y", *arguments],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return path


def integrated_loudness(path: Path, *, start: float = 0.0, seconds: float | None = None) -> float:
    """EBU R128 integrated loudness (LUFS) of the first audio stream, measured by ebur128."""
    window = ["-ss", f"{start}"] if start else []
    window += ["-t", f"{seconds}"] if seconds else []
    log = _ffmpeg_log(
        [*window, "-i", str(path), "-map", "0:a:0", "-af", "ebur128", "-f", "null", "-"]
    )
    summary = log[log.rindex("Summary:") :]
    found = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    assert found is not None, summary
    return float(found.group(1))  # -70.0 is the meter's floor: nothing above its gate


def packet_hashes(path: Path, stream: str = "v:0") -> list[str]:
    """The MD5 of every packet of a stream, read without decoding (what stream copy preserves)."""
    result = subprocess.run(
        [
            *(ffmpeg_path(), "-v", "error", "-i", str(path)),
            *("-map", f"0:{stream}", "-c", "copy", "-f", "framemd5", "-"),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Lines are "stream, dts, pts, duration, size, md5", then any side data ("S=1, size, md5").
    lines = [line.split(",") for line in result.stdout.splitlines() if line[:1] != "#"]
    return [fields[5].strip() for fields in lines]


def frame_luma(path: Path, *, at_seconds: float = 0.5) -> tuple[int, int, bytes]:
    """Width, height and the 8-bit luma plane of the frame at a time, as a player shows it."""
    from functions.media.adapters.ffmpeg import probe

    shown = probe(path)
    assert shown.width is not None
    assert shown.height is not None
    result = subprocess.run(
        [
            *(ffmpeg_path(), "-v", "error", "-ss", f"{at_seconds}", "-i", str(path)),
            *("-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert len(result.stdout) == shown.width * shown.height
    return shown.width, shown.height, result.stdout


def band_mean(luma: tuple[int, int, bytes], *, rows: range, columns: range | None = None) -> float:
    """Mean luma of a rectangle of a frame from `frame_luma` (16 is video black)."""
    width, _, plane = luma
    columns = columns or range(width)
    values = [plane[row * width + column] for row in rows for column in columns]
    return sum(values) / len(values)


def _ffmpeg_log(arguments: list[str]) -> str:
    result = subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-nostats", *arguments],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stderr
