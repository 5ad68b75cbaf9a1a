"""Whether a media job's inputs suit its operation, decided on what probing found in them.

Checked when the job is created (on the figures stored with each asset), again by the Probe step
(on the files themselves) and by `run_operation` before FFmpeg starts: what cannot succeed is
refused before any work, with a message the user understands (`MediaRejected`).
"""

from collections.abc import Sequence
from typing import assert_never

from functions.media.adapters.ffmpeg import MediaRejected, Probe
from functions.media.domain.job_operations import (
    AudioOperation,
    ExtractAudioOperation,
    JobOperation,
    MergeOperation,
    MusicOperation,
    ReframeOperation,
    ThumbnailOperation,
    TrimOperation,
)

_VIDEO_KINDS = ("video", "gif")
_END_TOLERANCE_SECONDS = 0.05


def validate_inputs(operation: JobOperation, probes: Sequence[Probe]) -> None:
    """Refuse inputs the operation cannot use; `probes` follow `operation.input_asset_ids()`."""
    expected = len(operation.input_asset_ids())
    if len(probes) != expected:
        raise ValueError(f"{operation.type} takes {expected} probes, got {len(probes)}")
    match operation:
        case ReframeOperation() | ThumbnailOperation():
            _require_video(probes[0], "the file")
            if isinstance(operation, ThumbnailOperation):
                _require_within(probes[0], operation.at_seconds, "the thumbnail time", "video")
        case MergeOperation():
            for number, clip in enumerate(probes, start=1):
                _require_video(clip, f"clip {number}")
        case TrimOperation():
            source = probes[0]
            if source.kind not in ("video", "audio"):
                raise MediaRejected(f"the file is {_described(source)}, not a video or audio file")
            _require_within(source, operation.start_seconds, "the trim start", "clip")
            _require_within(source, operation.end_seconds, "the trim end", "clip", inclusive=True)
        case AudioOperation() | ExtractAudioOperation():
            if not probes[0].has_audio:
                raise MediaRejected("the file has no audio stream")
        case MusicOperation():
            _require_video(probes[0], "the video file")
            if not probes[1].has_audio:
                raise MediaRejected("the music track has no audio stream")
        case _:
            assert_never(operation)


def _require_video(probe: Probe, name: str) -> None:
    if probe.kind == "image":
        raise MediaRejected(f"{name} is a still image, not a video")
    if probe.kind not in _VIDEO_KINDS or not probe.has_video:
        raise MediaRejected(f"{name} has no video stream")
    if probe.duration_seconds is None:
        raise MediaRejected(f"{name} has no known duration; it may be damaged")


def _require_within(
    probe: Probe, seconds: float, what: str, noun: str, *, inclusive: bool = False
) -> None:
    duration = probe.duration_seconds
    if duration is None:
        raise MediaRejected(f"the {noun} has no known duration; it may be damaged")
    past_end = seconds > duration + _END_TOLERANCE_SECONDS if inclusive else seconds >= duration
    if past_end:
        raise MediaRejected(f"{what} {seconds:g} s is after the {noun}'s end {duration:.1f} s")


def _described(probe: Probe) -> str:
    return {"image": "a still image", "gif": "a GIF"}.get(probe.kind, f"a {probe.kind} file")
