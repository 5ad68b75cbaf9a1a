"""Every job operation run by real FFmpeg on small generated clips, its output probed.

Each output MP4 must be H.264/AAC with its moov box first; sizes, durations and codecs are read
back with ffprobe, picture geometry from decoded frames, loudness with FFmpeg's ebur128 meter.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from functions.media.adapters import ffmpeg_jobs
from functions.media.adapters.ffmpeg import MediaRejected, Probe, probe, read_streams
from functions.media.adapters.ffmpeg_jobs import run_operation
from functions.media.domain.job_operations import JobOperation
from functions.media.domain.job_validation import validate_inputs
from tests.support.ffmpeg_samples import (
    band_mean,
    frame_luma,
    integrated_loudness,
    make_tone,
    make_video,
    packet_hashes,
)

pytestmark = pytest.mark.ffmpeg

OPERATION = TypeAdapter[Any](JobOperation)
BLACK = 0  # luma of black once decoded to full-range grey
DURATION_TOLERANCE = 0.1


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    return {
        "a": make_video(folder / "a.mp4", seconds=2),
        "b": make_video(folder / "b.mp4", seconds=1, tone_hz=880),
        "wide_silent": make_video(folder / "wide.mp4", size="640x360", rate=30, audio=False),
        "webm": make_video(folder / "clip.webm", seconds=1, video_codec=("-c:v", "libvpx")),
        "tone": make_tone(folder / "tone.wav", seconds=3, volume_db=-30),
        "music": make_tone(folder / "music.wav", seconds=1.5, tone_hz=1000, volume_db=0),
        "still": make_video(
            folder / "still.png",
            audio=False,
            video_codec=(),
            pixel_format="rgb24",
            extra=("-frames:v", "1"),
        ),
    }


class Progress:
    def __init__(self) -> None:
        self.seen: list[float] = []

    def __call__(self, percent: float) -> None:
        self.seen.append(percent)

    def assert_complete(self) -> None:
        assert self.seen, "no progress was reported"
        assert self.seen == sorted(self.seen), self.seen
        assert all(0 <= percent <= 100 for percent in self.seen)
        assert self.seen[-1] == 100.0


def run(body: dict[str, Any], inputs: Sequence[Path], workdir: Path) -> tuple[Path, Probe]:
    operation = OPERATION.validate_python(body)
    progress = Progress()
    output = run_operation(operation, inputs, [probe(path) for path in inputs], workdir, progress)
    progress.assert_complete()
    return output, probe(output)


def assert_web_mp4(found: Probe, *, width: int, height: int, seconds: float) -> None:
    assert found.container is not None
    assert "mp4" in found.container.split(",")
    assert (found.width, found.height) == (width, height)
    assert (found.video_codec, found.audio_codec) == ("h264", "aac")
    assert found.faststart is True
    assert found.duration_seconds == pytest.approx(seconds, abs=DURATION_TOLERANCE)


def _rotated(source: Path, folder: Path) -> Path:
    import subprocess

    from functions.media.adapters.ffmpeg import ffmpeg_path

    rotated = folder / "rotated.mp4"
    subprocess.run(
        [
            *(ffmpeg_path(), "-v", "error", "-y", "-display_rotation", "90"),
            *("-i", str(source), "-c", "copy", str(rotated)),
        ],
        check=True,
    )
    return rotated


# Validation -------------------------------------------------------------------------------


def _probes(media: dict[str, Path], *names: str) -> list[Probe]:
    return [probe(media[name]) for name in names]


@pytest.mark.parametrize(
    ("body", "inputs", "message"),
    [
        ({"type": "merge", "asset_ids": ["1", "2"]}, ("a", "tone"), "clip 2 has no video stream"),
        (
            {"type": "merge", "asset_ids": ["1", "2", "3"]},
            ("a", "b", "still"),
            "clip 3 is a still image, not a video",
        ),
        (
            {"type": "trim", "asset_id": "1", "start_seconds": 1, "end_seconds": 12},
            ("a",),
            "the trim end 12 s is after the clip's end 2.0 s",
        ),
        (
            {"type": "trim", "asset_id": "1", "start_seconds": 2.5, "end_seconds": 3},
            ("a",),
            "the trim start 2.5 s is after the clip's end 2.0 s",
        ),
        (
            {"type": "reframe", "asset_id": "1", "preset": "story"},
            ("tone",),
            "the file has no video stream",
        ),
        (
            {"type": "audio", "asset_id": "1", "loudness_lufs": -14},
            ("wide_silent",),
            "the file has no audio stream",
        ),
        (
            {"type": "extract_audio", "asset_id": "1"},
            ("wide_silent",),
            "the file has no audio stream",
        ),
        (
            {"type": "music", "asset_id": "1", "music_asset_id": "2"},
            ("a", "wide_silent"),
            "the music track has no audio stream",
        ),
        (
            {"type": "thumbnail", "asset_id": "1", "at_seconds": 5},
            ("a",),
            "the thumbnail time 5 s is after the video's end 2.0 s",
        ),
    ],
)
def test_validate_inputs_explains_what_is_wrong(
    media: dict[str, Path], body: dict[str, Any], inputs: tuple[str, ...], message: str
) -> None:
    with pytest.raises(MediaRejected) as rejected:
        validate_inputs(OPERATION.validate_python(body), _probes(media, *inputs))

    assert str(rejected.value) == message


def test_run_operation_validates_before_running_anything(
    media: dict[str, Path], tmp_path: Path
) -> None:
    operation = OPERATION.validate_python({"type": "merge", "asset_ids": ["1", "2"]})

    with pytest.raises(MediaRejected, match="clip 2 has no video stream"):
        run_operation(
            operation,
            [media["a"], media["tone"]],
            _probes(media, "a", "tone"),
            tmp_path,
            Progress(),
        )

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        pytest.param(
            {"type": "trim", "asset_id": "1", "start_seconds": 3, "end_seconds": 2},
            ("value_error", None, "Value error, end_seconds must be after start_seconds"),
            id="trim ends before it starts",
        ),
        pytest.param(
            {"type": "audio", "asset_id": "1"},
            ("value_error", None, "Value error, give volume_db, loudness_lufs or format"),
            id="audio changes nothing",
        ),
        pytest.param(
            {"type": "audio", "asset_id": "1", "volume_db": 3, "loudness_lufs": -14},
            (
                "value_error",
                None,
                "Value error, choose either volume_db or loudness_lufs, not both",
            ),
            id="audio both gain and loudness",
        ),
        pytest.param(
            {"type": "reframe", "asset_id": "1", "preset": "cinema"},
            ("literal_error", "preset", None),
            id="reframe unknown preset",
        ),
        pytest.param(
            {"type": "merge", "asset_ids": ["only-one"]},
            ("too_short", "asset_ids", None),
            id="merge one clip",
        ),
        pytest.param(
            {"type": "music", "asset_id": "1", "music_asset_id": "2", "mode": "duck"},
            ("literal_error", "mode", None),
            id="music unknown mode",
        ),
        pytest.param(
            {"type": "extract_audio", "asset_id": "1", "format": "flac"},
            ("literal_error", "format", None),
            id="extract_audio unknown format",
        ),
    ],
)
def test_operations_refuse_impossible_requests(
    body: dict[str, Any], rule: tuple[str, str | None, str | None]
) -> None:
    """Each is refused by the rule it breaks, and that one alone: the error's type, the field
    (None for a rule across fields, whose message then says which) and the message."""
    kind, field, message = rule
    with pytest.raises(ValidationError) as refused:
        OPERATION.validate_python(body)

    (error,) = refused.value.errors()
    assert error["type"] == kind
    # The operation's own fields sit under its tag; a rule across fields is the operation's.
    assert error["loc"] == (body["type"], *([field] if field else []))
    if message is not None:
        assert error["msg"] == message


# Reframe ----------------------------------------------------------------------------------


def test_reframe_fit_pad_letterboxes_inside_the_preset(
    media: dict[str, Path], tmp_path: Path
) -> None:
    output, found = run(
        {"type": "reframe", "asset_id": "1", "preset": "story", "mode": "fit_pad"},
        [media["a"]],
        tmp_path,
    )

    assert_web_mp4(found, width=1080, height=1920, seconds=2.0)
    # 4:3 in 9:16: the picture is 1080x810 in the middle, black above and below.
    luma = frame_luma(output)
    assert band_mean(luma, rows=range(0, 500)) == pytest.approx(BLACK, abs=2)
    assert band_mean(luma, rows=range(1420, 1920)) == pytest.approx(BLACK, abs=2)
    assert band_mean(luma, rows=range(600, 1300)) > BLACK + 40


def test_reframe_blur_fills_the_bars_with_the_picture(
    media: dict[str, Path], tmp_path: Path
) -> None:
    output, found = run(
        {"type": "reframe", "asset_id": "1", "preset": "story", "mode": "blur"},
        [media["a"]],
        tmp_path,
    )

    assert_web_mp4(found, width=1080, height=1920, seconds=2.0)
    luma = frame_luma(output)
    assert band_mean(luma, rows=range(0, 500)) > BLACK + 20


def test_reframe_crop_fills_the_frame(media: dict[str, Path], tmp_path: Path) -> None:
    output, found = run(
        {"type": "reframe", "asset_id": "1", "preset": "instagram_square", "mode": "crop"},
        [media["a"]],
        tmp_path,
    )

    assert_web_mp4(found, width=1080, height=1080, seconds=2.0)
    luma = frame_luma(output)
    assert band_mean(luma, rows=range(0, 40)) > BLACK + 20
    assert band_mean(luma, rows=range(0, 1080), columns=range(0, 40)) > BLACK + 20


def test_reframe_turns_a_rotated_video_upright_first(
    media: dict[str, Path], tmp_path: Path
) -> None:
    # Shown as 240x320 (portrait), the clip fits 9:16 as 1080x1440: bars of 240 rows only.
    output, found = run(
        {"type": "reframe", "asset_id": "1", "preset": "story", "mode": "fit_pad"},
        [_rotated(media["a"], tmp_path)],
        tmp_path,
    )

    assert_web_mp4(found, width=1080, height=1920, seconds=2.0)
    assert found.rotation == 0
    luma = frame_luma(output)
    assert band_mean(luma, rows=range(0, 230)) == pytest.approx(BLACK, abs=2)
    assert band_mean(luma, rows=range(300, 1620)) > BLACK + 40


def test_reframe_keeps_the_shape_of_anamorphic_video(tmp_path: Path) -> None:
    # 320x240 stored, shown 16:9 (sample aspect 4:3): it fills a 16:9 frame with no side bars.
    anamorphic = make_video(tmp_path / "anamorphic.mp4", extra=("-vf", "setsar=4/3"))

    output, found = run(
        {"type": "reframe", "asset_id": "1", "preset": "x_landscape", "mode": "fit_pad"},
        [anamorphic],
        tmp_path,
    )

    assert_web_mp4(found, width=1280, height=720, seconds=2.0)
    luma = frame_luma(output)
    assert band_mean(luma, rows=range(0, 720), columns=range(0, 60)) > BLACK + 20


# Merge ------------------------------------------------------------------------------------


def test_merge_of_compatible_clips_copies_their_packets(
    media: dict[str, Path], tmp_path: Path
) -> None:
    clips = [media["a"], media["b"]]
    assert ffmpeg_jobs.can_copy_streams(clips)

    output, found = run({"type": "merge", "asset_ids": ["1", "2"]}, clips, tmp_path)

    assert_web_mp4(found, width=320, height=240, seconds=3.0)
    # Stream copy: every packet of the output is a packet of an input, in order, untouched.
    assert packet_hashes(output) == packet_hashes(clips[0]) + packet_hashes(clips[1])
    assert packet_hashes(output, "a:0") == packet_hashes(clips[0], "a:0") + packet_hashes(
        clips[1], "a:0"
    )


def test_merge_of_different_clips_normalises_them(media: dict[str, Path], tmp_path: Path) -> None:
    # Different size and rate, one without sound, one VP8/Opus in WebM.
    clips = [media["a"], media["wide_silent"], media["webm"]]
    assert not ffmpeg_jobs.can_copy_streams(clips)

    output, found = run({"type": "merge", "asset_ids": ["1", "2", "3"]}, clips, tmp_path)

    assert_web_mp4(found, width=320, height=240, seconds=5.0)
    assert found.frame_rate == 25.0
    assert (found.audio_channels, found.audio_sample_rate) == (2, 48_000)
    streams = read_streams(output)["streams"]
    assert [float(stream["duration"]) for stream in streams] == pytest.approx([5.0, 5.0], abs=0.1)
    # The silent clip keeps its place: silence from 2 s to 4 s, the WebM's tone after it.
    assert integrated_loudness(output, start=2.2, seconds=1.6) == -70.0  # the meter floor
    assert integrated_loudness(output, start=4.1, seconds=0.8) > -40


def test_merge_with_other_h264_parameter_sets_is_not_copied(
    media: dict[str, Path], tmp_path: Path
) -> None:
    # Same size, rate, profile and level, but other parameter sets (two reference frames): the
    # joined file would carry only clip 1's, and clip 2 would decode wrongly.
    other = make_video(
        tmp_path / "other.mp4",
        video_codec=("-c:v", "libx264", "-preset", "ultrafast", "-x264-params", "ref=2"),
    )
    first, second = ffmpeg_jobs.stream_signature(media["a"]), ffmpeg_jobs.stream_signature(other)
    differing = {name for name in first.video if first.video[name] != second.video[name]}

    assert differing == {"extradata_hash"}
    assert not ffmpeg_jobs.can_copy_streams([media["a"], other])


# Trim -------------------------------------------------------------------------------------


def test_trim_cuts_at_the_exact_times(media: dict[str, Path], tmp_path: Path) -> None:
    output, found = run(
        {"type": "trim", "asset_id": "1", "start_seconds": 0.52, "end_seconds": 1.48},
        [media["a"]],
        tmp_path,
    )

    assert_web_mp4(found, width=320, height=240, seconds=0.96)
    assert len(packet_hashes(output)) == 24  # 0.96 s at 25 fps, not rounded to keyframes


def test_trim_of_audio_gives_audio(media: dict[str, Path], tmp_path: Path) -> None:
    _, found = run(
        {"type": "trim", "asset_id": "1", "start_seconds": 1, "end_seconds": 2.5},
        [media["tone"]],
        tmp_path,
    )

    assert (found.kind, found.audio_codec, found.faststart) == ("audio", "aac", True)
    assert found.duration_seconds == pytest.approx(1.5, abs=0.05)


# Audio ------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [-14.0, -23.0])
def test_loudness_normalisation_reaches_the_target(
    media: dict[str, Path], tmp_path: Path, target: float
) -> None:
    assert integrated_loudness(media["tone"]) < target - 5

    output, found = run(
        {"type": "audio", "asset_id": "1", "loudness_lufs": target, "format": "wav"},
        [media["tone"]],
        tmp_path,
    )

    assert (found.kind, found.audio_codec, found.audio_sample_rate) == (
        "audio",
        "pcm_s16le",
        48_000,
    )
    assert found.duration_seconds == pytest.approx(3.0, abs=0.05)
    assert integrated_loudness(output) == pytest.approx(target, abs=1.0)


def test_loudness_of_a_video_keeps_its_picture_untouched(
    media: dict[str, Path], tmp_path: Path
) -> None:
    output, found = run(
        {"type": "audio", "asset_id": "1", "loudness_lufs": -16},
        [media["a"]],
        tmp_path,
    )

    assert_web_mp4(found, width=320, height=240, seconds=2.0)
    assert packet_hashes(output) == packet_hashes(media["a"])
    assert integrated_loudness(output) == pytest.approx(-16, abs=1.0)


def test_volume_change_and_mp3_conversion(media: dict[str, Path], tmp_path: Path) -> None:
    output, found = run(
        {"type": "audio", "asset_id": "1", "volume_db": 6, "format": "mp3"},
        [media["tone"]],
        tmp_path,
    )

    assert (found.kind, found.container, found.audio_codec) == ("audio", "mp3", "mp3")
    assert integrated_loudness(output) == pytest.approx(
        integrated_loudness(media["tone"]) + 6, abs=0.5
    )


def test_format_conversion_alone_to_aac(media: dict[str, Path], tmp_path: Path) -> None:
    output, found = run(
        {"type": "audio", "asset_id": "1", "format": "aac"}, [media["tone"]], tmp_path
    )

    assert output.suffix == ".m4a"
    assert (found.kind, found.audio_codec, found.faststart) == ("audio", "aac", True)
    assert ffmpeg_jobs.content_type_for(output) == "audio/mp4"


def test_silence_cannot_be_normalised(tmp_path: Path) -> None:
    silent = make_tone(tmp_path / "silent.wav", volume_db=-200)

    with pytest.raises(MediaRejected, match="the audio is silent"):
        run({"type": "audio", "asset_id": "1", "loudness_lufs": -14}, [silent], tmp_path)


# Music ------------------------------------------------------------------------------------


def test_music_replaces_the_sound_for_the_videos_length(
    media: dict[str, Path], tmp_path: Path
) -> None:
    output, found = run(
        {
            "type": "music",
            "asset_id": "1",
            "music_asset_id": "2",
            "mode": "replace",
            "music_volume_db": -50,
        },
        [media["a"], media["music"]],
        tmp_path,
    )

    # The video lasts 2 s, the music 1.5 s: the result lasts 2 s, with the music's level only.
    assert_web_mp4(found, width=320, height=240, seconds=2.0)
    assert packet_hashes(output) == packet_hashes(media["a"])
    assert integrated_loudness(output) < integrated_loudness(media["a"]) - 30


def test_music_mixes_under_the_videos_own_sound(media: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "quiet").mkdir()
    (tmp_path / "loud").mkdir()
    quiet_mix, _ = run(
        {"type": "music", "asset_id": "1", "music_asset_id": "2", "music_volume_db": -50},
        [media["a"], media["music"]],
        tmp_path / "quiet",
    )
    loud_mix, found = run(
        {"type": "music", "asset_id": "1", "music_asset_id": "2", "music_volume_db": 6},
        [media["a"], media["music"]],
        tmp_path / "loud",
    )

    assert_web_mp4(found, width=320, height=240, seconds=2.0)
    original = integrated_loudness(media["a"])
    # Music far below: the video's own sound keeps its level. Music 6 dB up: louder.
    assert integrated_loudness(quiet_mix) == pytest.approx(original, abs=1.0)
    assert integrated_loudness(loud_mix) > original + 1.5


# Extract audio and thumbnail ------------------------------------------------------------


@pytest.mark.parametrize(
    ("audio_format", "codec", "suffix"),
    [("mp3", "mp3", ".mp3"), ("aac", "aac", ".m4a"), ("wav", "pcm_s16le", ".wav")],
)
def test_extract_audio(
    media: dict[str, Path], tmp_path: Path, audio_format: str, codec: str, suffix: str
) -> None:
    output, found = run(
        {"type": "extract_audio", "asset_id": "1", "format": audio_format},
        [media["a"]],
        tmp_path,
    )

    assert output.suffix == suffix
    assert (found.kind, found.audio_codec, found.has_video) == ("audio", codec, False)
    assert found.duration_seconds == pytest.approx(2.0, abs=DURATION_TOLERANCE)


def test_thumbnail_operation(media: dict[str, Path], tmp_path: Path) -> None:
    output, found = run(
        {"type": "thumbnail", "asset_id": "1", "at_seconds": 1.5}, [media["wide_silent"]], tmp_path
    )

    assert ffmpeg_jobs.content_type_for(output) == "image/jpeg"
    assert (found.kind, found.video_codec, found.width, found.height) == (
        "image",
        "mjpeg",
        640,
        360,
    )
