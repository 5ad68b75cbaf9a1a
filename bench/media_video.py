"""Video job figures (b) and (c) of bench/media.py, each a ratio measured in the same run.

(b) Merging three compatible 20-second 1080p clips: the merge operation (which copies the
    streams) against re-encoding the same clips into one file (the normalising merge, what a
    merge costs when the clips differ). Goal: at least 20x faster.
(c) A reframe job's `run_operation` (progress parsing, deadline, Python around FFmpeg) against
    the bare `ffmpeg` command with the same arguments and filters. Goal: at most 1.1x.

The clips are generated first (testsrc2 and a tone, libx264/AAC); generation is not timed.
"""

import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from functions.media.adapters import ffmpeg_jobs
from functions.media.adapters.ffmpeg import ffmpeg_path, probe, run_ffmpeg
from functions.media.domain.job_operations import MergeOperation, ReframeOperation

MERGE_GOAL = 20.0
REFRAME_GOAL = 1.1


def _clip(path: Path, *, seconds: int, tone_hz: int) -> Path:
    subprocess.run(
        [
            *(ffmpeg_path(), "-hide_banner", "-v", "error", "-y"),
            *("-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}"),
            *(
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency={tone_hz}:sample_rate=48000:duration={seconds}",
            ),
            *("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-movflags", "+faststart", str(path)),
        ],
        check=True,
    )
    return path


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def merge_copy_vs_reencode(workdir: Path) -> float:
    """(b): seconds of re-encoding divided by seconds of the stream-copy merge."""
    clips = [_clip(workdir / f"clip{n}.mp4", seconds=20, tone_hz=300 + 200 * n) for n in range(3)]
    probes = [probe(clip) for clip in clips]
    operation = MergeOperation(type="merge", asset_ids=["1", "2", "3"])
    assert ffmpeg_jobs.can_copy_streams(clips), "the clips should be copy-compatible"

    copy_seconds = _seconds(
        lambda: ffmpeg_jobs.run_operation(operation, clips, probes, workdir, lambda _: None)
    )
    total = sum(found.duration_seconds or 0 for found in probes)
    reencode = ffmpeg_jobs.normalised_merge_command(clips, probes, workdir / "reencoded.mp4", total)
    reencode_seconds = _seconds(lambda: run_ffmpeg(reencode.arguments))
    ratio = reencode_seconds / copy_seconds
    print(
        f"(b) merge of 3 compatible 20 s 1080p clips: stream copy {copy_seconds:.2f} s, "
        f"re-encode {reencode_seconds:.1f} s -> {ratio:.0f}x faster "
        f"(goal >= {MERGE_GOAL:.0f}x: {'met' if ratio >= MERGE_GOAL else 'NOT met'})"
    )
    return ratio


def reframe_job_vs_bare_ffmpeg(workdir: Path, *, rounds: int = 5) -> float:
    """(c): best seconds of run_operation divided by best seconds of the bare command.

    The best of several alternated runs: other work on the machine only ever adds time.
    """
    clip = _clip(workdir / "reframe-source.mp4", seconds=4, tone_hz=440)
    found = probe(clip)
    operation = ReframeOperation(
        type="reframe", asset_id="1", preset="instagram_portrait", mode="blur"
    )
    bare_output = workdir / "bare.mp4"
    command = ffmpeg_jobs.reframe_command(operation, clip, found, bare_output)
    bare = [ffmpeg_path(), "-hide_banner", "-nostdin", "-y", *command.arguments]

    def job() -> None:
        ffmpeg_jobs.run_operation(operation, [clip], [found], workdir, lambda _: None)

    def bare_ffmpeg() -> None:
        subprocess.run(bare, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    job_times, bare_times = [], []
    for _ in range(rounds):  # alternated, so that any drift of the machine hits both alike
        bare_times.append(_seconds(bare_ffmpeg))
        job_times.append(_seconds(job))
    job_best, bare_best = min(job_times), min(bare_times)
    ratio = job_best / bare_best
    verdict = "met" if ratio <= REFRAME_GOAL else "NOT met"
    print(
        f"(c) reframe job (4 s 1080p -> 1080x1350 blur, best of {rounds}): run_operation "
        f"{job_best:.2f} s, bare ffmpeg {bare_best:.2f} s -> {ratio:.3f}x "
        f"(goal <= {REFRAME_GOAL}x: {verdict})"
    )
    return ratio


def video_figures() -> bool:
    """Prints (b) and (c); True when both meet their goals."""
    with tempfile.TemporaryDirectory(prefix="herald-bench-video-") as folder:
        merge_ratio = merge_copy_vs_reencode(Path(folder))
        reframe_ratio = reframe_job_vs_bare_ffmpeg(Path(folder))
    return merge_ratio >= MERGE_GOAL and reframe_ratio <= REFRAME_GOAL
