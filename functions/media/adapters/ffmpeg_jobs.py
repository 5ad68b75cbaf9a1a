"""Video and audio job operations as FFmpeg commands: one run per operation.

`run_operation` checks the inputs first (job_validation.py), then builds the FFmpeg command for
the operation, runs it with progress reporting and returns the output file.

Every MP4 written is H.264 (yuv420p) with AAC sound and its `moov` box at the front
(`+faststart`). Filter graphs are built from numbers and fixed words only.
"""

import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, assert_never

from functions.media.adapters.ffmpeg import (
    DEFAULT_TIMEOUT_SECONDS,
    UNTRUSTED_INPUT,
    MediaRejected,
    Probe,
    main_stream,
    read_streams,
    rotation_of,
    run_ffmpeg,
    thumbnail,
)
from functions.media.domain.job_operations import (
    AudioFormat,
    AudioOperation,
    ExtractAudioOperation,
    JobOperation,
    MergeOperation,
    MusicOperation,
    ReframeMode,
    ReframeOperation,
    ThumbnailOperation,
    TrimOperation,
)
from functions.media.domain.job_validation import validate_inputs
from functions.shared import platform_formats

ProgressCallback = Callable[[float], None]

OUTPUT_CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".jpg": "image/jpeg",
}
VIDEO_ENCODING = (
    *("-c:v", "libx264", "-preset", "veryfast", "-crf", "21"),
    *("-pix_fmt", "yuv420p", "-profile:v", "high"),
)
AAC_ENCODING = ("-c:a", "aac", "-b:a", "160k")
MP4_OUTPUT = ("-movflags", "+faststart", "-f", "mp4")
AUDIO_OUTPUTS: dict[AudioFormat, tuple[str, tuple[str, ...]]] = {
    "mp3": (".mp3", ("-c:a", "libmp3lame", "-q:a", "2", "-f", "mp3")),
    "aac": (".m4a", (*AAC_ENCODING, "-movflags", "+faststart", "-f", "ipod")),
    "wav": (".wav", ("-c:a", "pcm_s16le", "-f", "wav")),
}
NORMALISED_SAMPLE_RATE = 48_000
DEFAULT_FRAME_RATE = 30.0
THUMBNAIL_MAX_WIDTH = 1280
# EBU R128 settings of the second loudnorm pass besides the integrated target.
LOUDNORM_TRUE_PEAK = -1.5
LOUDNORM_RANGE = 11.0
# The first loudnorm pass reads the whole file; the second one writes it.
MEASURE_SHARE = 40.0
_LOUDNORM_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.DOTALL)


@dataclass(frozen=True)
class FFmpegCommand:
    """The arguments after `ffmpeg` for one run, and how long its output will be."""

    arguments: list[str]
    expected_seconds: float | None


def content_type_for(output: Path) -> str:
    return OUTPUT_CONTENT_TYPES[output.suffix]


def run_operation(
    operation: JobOperation,
    inputs: Sequence[Path],
    probes: Sequence[Probe],
    workdir: Path,
    on_progress: ProgressCallback,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> Path:
    """Run the operation on local files (in `input_asset_ids()` order); the output file.

    `on_progress` receives percents from 0 to 100, never decreasing; an exception it raises stops
    FFmpeg and propagates (a cancelled job). FFmpeg is killed after `timeout_seconds`.
    """
    validate_inputs(operation, probes)
    if len(inputs) != len(probes):
        raise ValueError(f"{len(inputs)} input files for {len(probes)} probes")
    sources = [path.resolve() for path in inputs]
    deadline = time.monotonic() + timeout_seconds
    runner = _Runner(on_progress, deadline)
    match operation:
        case ReframeOperation():
            output = _output(workdir, operation.type, ".mp4", sources)
            runner.run(reframe_command(operation, sources[0], probes[0], output))
        case MergeOperation():
            output = _output(workdir, operation.type, ".mp4", sources)
            runner.run(merge_command(sources, probes, workdir, output))
        case TrimOperation():
            suffix = ".mp4" if probes[0].has_video else ".m4a"
            output = _output(workdir, operation.type, suffix, sources)
            runner.run(trim_command(operation, sources[0], probes[0], output))
        case AudioOperation():
            output = _audio_output(operation, sources, probes[0], workdir)
            _process_audio(operation, sources[0], probes[0], output, runner)
        case MusicOperation():
            output = _output(workdir, operation.type, ".mp4", sources)
            runner.run(music_command(operation, sources, probes, output))
        case ExtractAudioOperation():
            suffix, _ = AUDIO_OUTPUTS[operation.format]
            output = _output(workdir, operation.type, suffix, sources)
            runner.run(extract_audio_command(operation, sources[0], probes[0], output))
        case ThumbnailOperation():
            output = _output(workdir, operation.type, ".jpg", sources)
            width = min(THUMBNAIL_MAX_WIDTH, probes[0].width or THUMBNAIL_MAX_WIDTH)
            thumbnail(sources[0], output, at_seconds=operation.at_seconds, width=width)
            on_progress(100.0)
        case _:
            assert_never(operation)
    return output


class _Runner:
    """Runs the commands of one operation against one deadline, each over a share of 0-100%."""

    def __init__(self, on_progress: ProgressCallback, deadline: float) -> None:
        self._on_progress = on_progress
        self._deadline = deadline

    def run(self, command: FFmpegCommand, *, start: float = 0.0, end: float = 100.0) -> str:
        def scaled(percent: float) -> None:
            self._on_progress(round(start + (end - start) * percent / 100, 1))

        return run_ffmpeg(
            command.arguments,
            expected_seconds=command.expected_seconds,
            on_progress=scaled,
            timeout_seconds=max(1.0, self._deadline - time.monotonic()),
        )


def _output(workdir: Path, name: str, suffix: str, sources: Sequence[Path]) -> Path:
    output = (workdir / f"{name}-output{suffix}").resolve()
    if output in sources:
        raise ValueError(f"the output {output} would overwrite an input")
    return output


def _input(source: Path, *, seek: float | None = None) -> list[str]:
    seek_arguments = ["-ss", f"{seek:.3f}"] if seek else []
    return [*seek_arguments, *UNTRUSTED_INPUT, "-i", str(source)]


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def fit_filter(width: int, height: int) -> str:
    """Scale the whole picture into width x height, keeping its shape (even sides, square pixels).

    `dar`, the display aspect ratio, includes the sample aspect ratio, so anamorphic video keeps
    its shape; FFmpeg has already turned the picture upright (autorotate).
    """
    return (
        f"scale=w='trunc(min({width},{height}*dar)/2)*2'"
        f":h='trunc(min({height},{width}/dar)/2)*2',setsar=1"
    )


def cover_filter(width: int, height: int) -> str:
    """Scale the picture to cover width x height, keeping its shape, and crop the overflow."""
    return (
        f"scale=w='trunc(max({width},{height}*dar)/2)*2'"
        f":h='trunc(max({height},{width}/dar)/2)*2',setsar=1,crop={width}:{height}"
    )


def pad_filter(width: int, height: int) -> str:
    return f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:black"


def reframe_filter(mode: ReframeMode, width: int, height: int) -> str:
    """A filter graph from `[0:v:0]` to `[video]`: the picture in a width x height frame."""
    match mode:
        case "fit_pad":
            return f"[0:v:0]{fit_filter(width, height)},{pad_filter(width, height)}[video]"
        case "crop":
            return f"[0:v:0]{cover_filter(width, height)}[video]"
        case "blur":
            # The background is blurred at an eighth of the size: as soft, and far cheaper.
            small_width, small_height = _even(width / 8), _even(height / 8)
            return (
                "[0:v:0]split=2[background][foreground];"
                f"[background]{cover_filter(small_width, small_height)},"
                f"boxblur=luma_radius=8:luma_power=2,scale={width}:{height},setsar=1[blurred];"
                f"[foreground]{fit_filter(width, height)}[picture];"
                "[blurred][picture]overlay=x=(W-w)/2:y=(H-h)/2[video]"
            )
        case _:
            assert_never(mode)


def _audio_of_video(probe: Probe) -> list[str]:
    """Keep the first audio stream; AAC is copied, anything else becomes AAC."""
    if not probe.has_audio:
        return []
    codec = ["-c:a", "copy"] if probe.audio_codec == "aac" else list(AAC_ENCODING)
    return ["-map", "0:a:0", *codec]


def reframe_command(
    operation: ReframeOperation, source: Path, probe: Probe, output: Path
) -> FFmpegCommand:
    width, height = platform_formats.size_of(operation.preset)
    return FFmpegCommand(
        [
            *_input(source),
            "-filter_complex",
            reframe_filter(operation.mode, width, height),
            "-map",
            "[video]",
            *VIDEO_ENCODING,
            *_audio_of_video(probe),
            *MP4_OUTPUT,
            str(output),
        ],
        probe.duration_seconds,
    )


def trim_command(
    operation: TrimOperation, source: Path, probe: Probe, output: Path
) -> FFmpegCommand:
    # Seeking before the input while re-encoding cuts at the exact time, not at a keyframe.
    end = min(operation.end_seconds, probe.duration_seconds or operation.end_seconds)
    length = end - operation.start_seconds
    if probe.has_video:
        streams = ["-map", "0:v:0", *VIDEO_ENCODING]
        if probe.has_audio:
            streams += ["-map", "0:a:0", *AAC_ENCODING]
        container = list(MP4_OUTPUT)
    else:
        streams = ["-map", "0:a:0", *AAC_ENCODING]
        container = ["-movflags", "+faststart", "-f", "ipod"]
    return FFmpegCommand(
        [
            *_input(source, seek=operation.start_seconds),
            "-t",
            f"{length:.3f}",
            *streams,
            *container,
            str(output),
        ],
        length,
    )


@dataclass(frozen=True)
class _StreamSignature:
    """What must be equal across clips for their packets to be joined without re-encoding."""

    container: str
    rotation: int
    video: dict[str, object]
    audio: dict[str, object] | None


_VIDEO_SIGNATURE_FIELDS = (
    "codec_name",
    "profile",
    "level",
    "width",
    "height",
    "pix_fmt",
    "sample_aspect_ratio",
    "field_order",
    "r_frame_rate",
    "time_base",
    "extradata_hash",  # H.264 parameter sets: the joined file keeps only the first clip's
)
_AUDIO_SIGNATURE_FIELDS = (
    "codec_name",
    "profile",
    "sample_rate",
    "channels",
    "channel_layout",
    "time_base",
    "extradata_hash",
)


def stream_signature(source: Path) -> _StreamSignature:
    info = read_streams(source, extradata_hash=True)
    video = main_stream(info, "video")
    audio = main_stream(info, "audio")
    if video is None:
        raise MediaRejected("the clip has no video stream")
    return _StreamSignature(
        container=str(info["format"].get("format_name")),
        rotation=rotation_of(video),
        video={field: video.get(field) for field in _VIDEO_SIGNATURE_FIELDS},
        audio={field: audio.get(field) for field in _AUDIO_SIGNATURE_FIELDS} if audio else None,
    )


def can_copy_streams(sources: Sequence[Path]) -> bool:
    """True when the clips are H.264 (and AAC) MP4/MOV files that share every codec parameter."""
    signatures = [stream_signature(source) for source in sources]
    first = signatures[0]
    return (
        "mp4" in first.container.split(",")
        and first.video["codec_name"] == "h264"
        and (first.audio is None or first.audio["codec_name"] == "aac")
        and all(signature == first for signature in signatures)
    )


def merge_command(
    sources: Sequence[Path], probes: Sequence[Probe], workdir: Path, output: Path
) -> FFmpegCommand:
    """Stream copy through the concat demuxer when the clips allow it, else normalise and join."""
    total = sum(probe.duration_seconds or 0.0 for probe in probes)
    if can_copy_streams(sources):
        return copy_merge_command(sources, workdir, output, total)
    return normalised_merge_command(sources, probes, output, total)


def copy_merge_command(
    sources: Sequence[Path], workdir: Path, output: Path, total_seconds: float
) -> FFmpegCommand:
    listing = workdir / "merge-list.ffconcat"
    lines = ["ffconcat version 1.0", *(f"file {_concat_quoted(source)}" for source in sources)]
    listing.write_text("\n".join(lines) + "\n")
    return FFmpegCommand(
        [
            # The list is ours, naming inputs already probed as untrusted files. No automatic
            # conversion: the clips share their parameter sets, so packets pass untouched.
            *("-f", "concat", "-safe", "0", "-auto_convert", "0", "-protocol_whitelist", "file"),
            "-i",
            str(listing),
            *("-map", "0:v:0", "-map", "0:a:0?", "-c", "copy"),
            *MP4_OUTPUT,
            str(output),
        ],
        total_seconds,
    )


def _concat_quoted(path: Path) -> str:
    """A path as one quoted token of a concat list: inside quotes only `'` needs escaping."""
    return "'" + str(path).replace("'", "'\\''") + "'"


def normalised_merge_command(
    sources: Sequence[Path], probes: Sequence[Probe], output: Path, total_seconds: float
) -> FFmpegCommand:
    """One encode: every clip scaled into the first clip's frame, same rate, audio, then joined."""
    first = probes[0]
    width, height = _even(first.width or 1280), _even(first.height or 720)
    frame_rate = first.frame_rate if first.frame_rate and first.frame_rate <= 120 else None
    frame_rate = frame_rate or DEFAULT_FRAME_RATE
    arguments: list[str] = []
    for source in sources:
        arguments += _input(source)
    silence_inputs: dict[int, int] = {}
    for index, probe in enumerate(probes):
        if not probe.has_audio:
            silence_inputs[index] = len(sources) + len(silence_inputs)
            arguments += [
                *("-f", "lavfi", "-t", f"{probe.duration_seconds or 0:.3f}", "-i"),
                f"anullsrc=r={NORMALISED_SAMPLE_RATE}:cl=stereo",
            ]
    parts: list[str] = []
    for index, probe in enumerate(probes):
        duration = f"{probe.duration_seconds or 0:.3f}"
        parts.append(
            f"[{index}:v:0]{fit_filter(width, height)},{pad_filter(width, height)},"
            f"fps={frame_rate:.3f},format=yuv420p,setpts=PTS-STARTPTS[v{index}]"
        )
        audio_label = f"{silence_inputs[index]}:a:0" if index in silence_inputs else f"{index}:a:0"
        # Each clip's sound lasts exactly as long as the clip, so the next one starts in sync.
        parts.append(
            f"[{audio_label}]aresample={NORMALISED_SAMPLE_RATE},"
            "aformat=sample_fmts=fltp:channel_layouts=stereo,asetpts=PTS-STARTPTS,"
            f"apad=whole_dur={duration},atrim=end={duration}[a{index}]"
        )
    joined = "".join(f"[v{index}][a{index}]" for index in range(len(probes)))
    parts.append(f"{joined}concat=n={len(probes)}:v=1:a=1[video][audio]")
    return FFmpegCommand(
        [
            *arguments,
            "-filter_complex",
            ";".join(parts),
            *("-map", "[video]", "-map", "[audio]"),
            *VIDEO_ENCODING,
            *AAC_ENCODING,
            *MP4_OUTPUT,
            str(output),
        ],
        total_seconds,
    )


def _audio_output(
    operation: AudioOperation, sources: Sequence[Path], probe: Probe, workdir: Path
) -> Path:
    if operation.format is not None:
        suffix, _ = AUDIO_OUTPUTS[operation.format]
    else:
        suffix = ".mp4" if probe.has_video else ".m4a"
    return _output(workdir, operation.type, suffix, sources)


def _process_audio(
    operation: AudioOperation, source: Path, probe: Probe, output: Path, runner: _Runner
) -> None:
    if operation.loudness_lufs is not None:
        measured = _measure_loudness(source, probe, operation.loudness_lufs, runner)
        audio_filter = loudnorm_filter(operation.loudness_lufs, measured)
        # loudnorm works at 192 kHz; write the source's rate back.
        rate = probe.audio_sample_rate or NORMALISED_SAMPLE_RATE
        audio_filter += f",aresample={rate}"
        start = MEASURE_SHARE
    elif operation.volume_db is not None:
        audio_filter = f"volume={operation.volume_db:.2f}dB"
        start = 0.0
    else:
        audio_filter = "anull"
        start = 0.0
    if operation.format is not None:
        _, encoding = AUDIO_OUTPUTS[operation.format]
        streams = ["-map", "0:a:0", "-vn", *encoding]
    elif probe.has_video:
        video = ["-c:v", "copy"] if probe.video_codec == "h264" else list(VIDEO_ENCODING)
        streams = ["-map", "0:v:0", *video, "-map", "0:a:0", *AAC_ENCODING, *MP4_OUTPUT]
    else:
        streams = ["-map", "0:a:0", *AUDIO_OUTPUTS["aac"][1]]
    channels = _channel_count(probe, operation.format)
    command = FFmpegCommand(
        [*_input(source), "-af", audio_filter, *channels, *streams, str(output)],
        probe.duration_seconds,
    )
    runner.run(command, start=start)


def _channel_count(probe: Probe, audio_format: AudioFormat | None) -> list[str]:
    """The source's channel count, stated: filters such as loudnorm leave the layout open, and
    encoders then fail to negotiate one. MP3 holds two channels at most."""
    channels = probe.audio_channels
    if channels is None:
        return []
    if audio_format == "mp3":
        channels = min(channels, 2)
    return ["-ac", str(channels)]


def _measure_loudness(
    source: Path, probe: Probe, target_lufs: float, runner: _Runner
) -> dict[str, float]:
    """loudnorm's first pass: the file's integrated loudness, range, true peak and threshold."""
    log = runner.run(
        FFmpegCommand(
            [
                *_input(source),
                *("-map", "0:a:0", "-af"),
                f"loudnorm=I={target_lufs:.1f}:TP={LOUDNORM_TRUE_PEAK}:LRA={LOUDNORM_RANGE}"
                ":print_format=json",
                *("-f", "null", "-"),
            ],
            probe.duration_seconds,
        ),
        end=MEASURE_SHARE,
    )
    found = _LOUDNORM_JSON.search(log)
    if found is None:
        raise RuntimeError("loudnorm printed no measurement")
    report: dict[str, Any] = json.loads(found.group(0))
    measured = {name: float(report[f"input_{name}"]) for name in ("i", "tp", "lra", "thresh")} | {
        "offset": float(report["target_offset"])
    }
    if not all(math.isfinite(value) for value in measured.values()):
        raise MediaRejected("the audio is silent, so there is no loudness to adjust")
    return measured


def loudnorm_filter(target_lufs: float, measured: dict[str, float]) -> str:
    """loudnorm's second pass: with the first pass's figures it can apply one linear gain."""
    return (
        f"loudnorm=I={target_lufs:.1f}:TP={LOUDNORM_TRUE_PEAK}:LRA={LOUDNORM_RANGE}"
        f":measured_I={measured['i']:.2f}:measured_TP={measured['tp']:.2f}"
        f":measured_LRA={measured['lra']:.2f}:measured_thresh={measured['thresh']:.2f}"
        f":offset={measured['offset']:.2f}:linear=true:print_format=summary"
    )


def music_command(
    operation: MusicOperation, sources: Sequence[Path], probes: Sequence[Probe], output: Path
) -> FFmpegCommand:
    """The video's picture with the music under (mix) or instead of (replace) its sound.

    The result lasts as long as the video: shorter music ends in silence, longer music is cut.
    """
    video, _ = probes
    duration = f"{video.duration_seconds or 0:.3f}"
    music = (
        f"[1:a:0]volume={operation.music_volume_db:.2f}dB,"
        f"aresample={NORMALISED_SAMPLE_RATE},aformat=channel_layouts=stereo,"
        f"apad=whole_dur={duration},atrim=end={duration}"
    )
    if operation.mode == "mix" and video.has_audio:
        graph = (
            f"{music}[music];[0:a:0]aresample={NORMALISED_SAMPLE_RATE},"
            "aformat=channel_layouts=stereo[sound];"
            # normalize=0: the video's own sound keeps its level; the music sits under it.
            "[sound][music]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[audio]"
        )
    else:
        graph = f"{music}[audio]"
    picture = ["-c:v", "copy"] if video.video_codec == "h264" else list(VIDEO_ENCODING)
    return FFmpegCommand(
        [
            *_input(sources[0]),
            *_input(sources[1]),
            "-filter_complex",
            graph,
            *("-map", "0:v:0", *picture, "-map", "[audio]", *AAC_ENCODING),
            *MP4_OUTPUT,
            str(output),
        ],
        video.duration_seconds,
    )


def extract_audio_command(
    operation: ExtractAudioOperation, source: Path, probe: Probe, output: Path
) -> FFmpegCommand:
    _, encoding = AUDIO_OUTPUTS[operation.format]
    if operation.format == "aac" and probe.audio_codec == "aac":
        encoding = ("-c:a", "copy", "-movflags", "+faststart", "-f", "ipod")
    channels = _channel_count(probe, operation.format) if encoding[1] != "copy" else []
    return FFmpegCommand(
        [*_input(source), "-map", "0:a:0", "-vn", *channels, *encoding, str(output)],
        probe.duration_seconds,
    )
