"""The FFmpeg adapter on real files: probing, faststart, thumbnails, untrusted input, progress.

Every input is made in the test by FFmpeg's lavfi sources (tests/support/ffmpeg_samples.py).
"""

import struct
import subprocess
import time
from pathlib import Path

import pytest

from functions.media.adapters import ffmpeg
from functions.media.adapters.ffmpeg import (
    FFmpegError,
    MediaRejected,
    ProcessingTimedOut,
    moov_before_mdat,
    probe,
    run_ffmpeg,
    thumbnail,
)
from tests.support.ffmpeg_samples import make_tone, make_video

pytestmark = pytest.mark.ffmpeg

UNREADABLE = "the file is not a video or audio file we can read"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    make_video(folder / "plain.mp4")
    make_video(folder / "faststart.mp4", extra=("-movflags", "+faststart"))
    return folder


def test_probe_reads_an_mp4s_streams_and_container(clips: Path) -> None:
    found = probe(clips / "plain.mp4")

    assert found.kind == "video"
    assert found.container is not None
    assert "mp4" in found.container.split(",")
    assert (found.width, found.height, found.rotation) == (320, 240, 0)
    assert found.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert found.frame_rate == 25.0
    assert (found.video_codec, found.audio_codec) == ("h264", "aac")
    assert (found.audio_channels, found.audio_sample_rate) == (1, 44_100)
    assert found.bit_rate is not None
    assert found.bit_rate > 0
    assert (found.has_video, found.has_audio) == (True, True)


def test_faststart_tells_where_the_moov_box_is(clips: Path) -> None:
    # FFmpeg writes moov after the media data unless asked to move it to the front.
    assert probe(clips / "plain.mp4").faststart is False
    assert probe(clips / "faststart.mp4").faststart is True


def test_moov_before_mdat_walks_top_level_boxes_including_64_bit_sizes(tmp_path: Path) -> None:
    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(payload), kind) + payload

    def large_box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I4sQ", 1, kind, 16 + len(payload)) + payload

    moov_first = tmp_path / "moov-first.mp4"
    moov_first.write_bytes(
        box(b"ftyp", b"isom") + large_box(b"free", b"x" * 40) + box(b"moov", b"")
    )
    mdat_first = tmp_path / "mdat-first.mp4"
    mdat_first.write_bytes(
        box(b"ftyp", b"isom") + large_box(b"mdat", b"\0" * 64) + box(b"moov", b"")
    )
    neither = tmp_path / "neither.mp4"
    neither.write_bytes(box(b"ftyp", b"isom") + box(b"free", b""))
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(box(b"ftyp", b"isom") + struct.pack(">I4s", 3, b"junk") + b"\0" * 16)

    assert moov_before_mdat(moov_first) is True
    assert moov_before_mdat(mdat_first) is False
    assert moov_before_mdat(neither) is None
    assert moov_before_mdat(damaged) is None


@pytest.mark.parametrize(
    ("display_rotation", "clockwise"),
    [("90", 270), ("-90", 90), ("180", 180)],
)
def test_probe_reports_rotation_and_displayed_size(
    tmp_path: Path, clips: Path, display_rotation: str, clockwise: int
) -> None:
    # -display_rotation sets the display matrix (counter-clockwise degrees) on a stream copy.
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(
        [
            *(ffmpeg.ffmpeg_path(), "-v", "error", "-display_rotation", display_rotation),
            *("-i", str(clips / "plain.mp4"), "-c", "copy", str(rotated)),
        ],
        check=True,
    )

    found = probe(rotated)

    assert found.rotation == clockwise
    expected = (320, 240) if clockwise == 180 else (240, 320)
    assert (found.width, found.height) == expected


def test_probe_applies_the_sample_aspect_ratio_to_the_width(tmp_path: Path) -> None:
    anamorphic = make_video(tmp_path / "anamorphic.mp4", extra=("-vf", "setsar=4/3"))

    found = probe(anamorphic)

    assert (found.width, found.height) == (427, 240)  # 320 * 4/3, shown 16:9


def test_probe_reads_audio_files(tmp_path: Path) -> None:
    found = probe(make_tone(tmp_path / "tone.wav", seconds=1.5))

    assert found.kind == "audio"
    assert found.container == "wav"
    assert (found.audio_codec, found.audio_channels, found.audio_sample_rate) == (
        "pcm_s16le",
        1,
        48_000,
    )
    assert found.duration_seconds == pytest.approx(1.5, abs=0.01)
    assert (found.width, found.height, found.rotation, found.frame_rate) == (None,) * 4
    assert (found.has_video, found.has_audio, found.faststart) == (False, True, None)


def test_probe_reads_webm_gif_and_png(tmp_path: Path) -> None:
    webm = make_video(tmp_path / "clip.webm", video_codec=("-c:v", "libvpx"))
    gif = make_video(tmp_path / "clip.gif", audio=False, video_codec=(), pixel_format="rgb8")
    png = make_video(
        tmp_path / "still.png",
        audio=False,
        video_codec=(),
        pixel_format="rgb24",
        extra=("-frames:v", "1"),
    )

    webm_probe, gif_probe, png_probe = probe(webm), probe(gif), probe(png)

    assert (webm_probe.kind, webm_probe.container) == ("video", "matroska,webm")
    assert (webm_probe.video_codec, webm_probe.audio_codec) == ("vp8", "opus")
    assert webm_probe.faststart is None
    assert (gif_probe.kind, gif_probe.width, gif_probe.height) == ("gif", 320, 240)
    assert gif_probe.duration_seconds == pytest.approx(2.0, abs=0.1)
    assert (png_probe.kind, png_probe.video_codec, png_probe.duration_seconds) == (
        "image",
        "png",
        None,
    )


def test_a_text_file_named_mp4_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / "holiday.mp4"
    fake.write_text("this is a shopping list, not a video\n" * 20)

    with pytest.raises(MediaRejected, match=UNREADABLE):
        probe(fake)


def test_a_truncated_mp4_is_rejected(tmp_path: Path, clips: Path) -> None:
    # moov is at the end of this file: cut in half, the index of the media is gone.
    whole = (clips / "plain.mp4").read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(MediaRejected, match=UNREADABLE):
        probe(truncated)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("concat", "ffconcat version 1.0\nfile secret.ts\n"),
        ("hls", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nsecret.ts\n#EXT-X-ENDLIST\n"),
    ],
)
def test_files_that_point_at_other_files_are_refused_before_anything_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    # An upload that is a concat list or an HLS playlist naming another file (or a URL) would make
    # FFmpeg open it. The format whitelist stops FFmpeg at the list itself.
    make_video(tmp_path / "secret.ts")
    listing = tmp_path / "upload.mp4"
    listing.write_text(text)
    commands: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(command: list[str], **options: object) -> object:
        commands.append(command)
        return real_run(command, **options)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", recording_run)

    with pytest.raises(MediaRejected, match=UNREADABLE):
        probe(listing)

    (command,) = commands
    refused = real_run([*command[:-1], "-v", "info", str(listing)], capture_output=True, text=True)
    assert refused.returncode == 1
    assert f"[{name} @" in refused.stderr
    assert "Format not on whitelist" in refused.stderr


def test_thumbnail_is_a_jpeg_of_the_upright_frame(tmp_path: Path, clips: Path) -> None:
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(
        [
            *(ffmpeg.ffmpeg_path(), "-v", "error", "-display_rotation", "90"),
            *("-i", str(clips / "plain.mp4"), "-c", "copy", str(rotated)),
        ],
        check=True,
    )

    output = thumbnail(rotated, tmp_path / "thumb.jpg", at_seconds=1.0, width=200)

    assert output.read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG SOI marker
    found = probe(output)
    assert (found.kind, found.video_codec) == ("image", "mjpeg")
    assert (found.width, found.height) == (200, 266)  # portrait 240x320 scaled to 200 wide


def test_thumbnail_never_enlarges(tmp_path: Path, clips: Path) -> None:
    output = thumbnail(clips / "plain.mp4", tmp_path / "thumb.jpg")

    assert (probe(output).width, probe(output).height) == (320, 240)


def test_thumbnail_after_the_end_or_of_audio_is_rejected(tmp_path: Path, clips: Path) -> None:
    with pytest.raises(MediaRejected, match="there is no picture at 9 s"):
        thumbnail(clips / "plain.mp4", tmp_path / "late.jpg", at_seconds=9)
    with pytest.raises(MediaRejected, match="no picture to make a thumbnail from"):
        thumbnail(make_tone(tmp_path / "tone.wav"), tmp_path / "tone.jpg")


def _long_encode(output: Path, seconds: int) -> list[str]:
    return [
        *("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}"),
        *("-c:v", "libx264", "-preset", "ultrafast", str(output)),
    ]


def test_run_ffmpeg_reports_increasing_progress_up_to_100(tmp_path: Path) -> None:
    seen: list[float] = []

    run_ffmpeg(_long_encode(tmp_path / "out.mp4", 8), expected_seconds=8, on_progress=seen.append)

    assert seen[-1] == 100.0
    assert seen == sorted(seen)
    assert len(seen) > 1
    assert all(0 < percent <= 100 for percent in seen)


def test_run_ffmpeg_kills_ffmpeg_at_the_timeout(tmp_path: Path) -> None:
    # -re reads the source in real time: 60 s of video takes 60 s.
    arguments = ["-re", *_long_encode(tmp_path / "out.mp4", 60)]
    started = time.monotonic()

    with pytest.raises(ProcessingTimedOut, match="longer than 1 s"):
        run_ffmpeg(arguments, timeout_seconds=1)

    assert time.monotonic() - started < 10


def test_an_error_raised_by_the_progress_callback_stops_ffmpeg(tmp_path: Path) -> None:
    class Cancelled(Exception):
        pass

    def cancel(percent: float) -> None:
        raise Cancelled

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_ffmpeg(
            ["-re", *_long_encode(tmp_path / "out.mp4", 60)],
            expected_seconds=60,
            on_progress=cancel,
        )

    assert time.monotonic() - started < 10


def test_run_ffmpeg_failure_carries_ffmpegs_message(tmp_path: Path) -> None:
    missing = tmp_path / "missing.mp4"

    with pytest.raises(FFmpegError, match="No such file or directory"):
        run_ffmpeg(["-i", str(missing), str(tmp_path / "out.mp4")])


def test_the_layer_binaries_are_preferred_when_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ffmpeg").write_bytes(b"")
    monkeypatch.setattr(ffmpeg, "LAYER_BIN", tmp_path)
    ffmpeg._binary.cache_clear()
    try:
        assert ffmpeg.ffmpeg_path() == str(tmp_path / "ffmpeg")
        assert ffmpeg.ffprobe_path().endswith("ffmpeg/binaries/ffprobe")  # not in that layer
    finally:
        ffmpeg._binary.cache_clear()
