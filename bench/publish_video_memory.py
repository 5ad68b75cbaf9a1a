"""Peak memory while publishing a large video: the YouTube adapter's resumable upload, streamed.

The video is a sparse file of the chosen size standing in for the S3 object: its `read_range`
reads the asked bytes with `os.pread`, as `media_files` asks S3 for them with a ranged
GetObject (moto is not used: it reads a whole object to answer a ranged GET). A fake YouTube on
loopback, in a child process so that its memory is not counted, opens the upload session, reads
each PUT chunk in 1 MiB pieces and discards it, answering 308 with the Range it holds until the
last byte, then 200 with the video. The adapter's requests are sent there by an httpx transport
that rewrites the address.

Each size runs in a fresh process, so that its peak resident set size (ru_maxrss) is its own.
Prints, per size: the resident set before publishing (interpreter and imports), the peak while
publishing, and the time. Goal: a peak under 300 MB whatever the size.
Usage: `python bench/publish_video_memory.py [--size MiB ...]` (default: 256 and 1024).
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loopback import ToLoopback  # noqa: E402
from functions.publish.adapters.platforms.base import (  # noqa: E402
    ConnectedAccount,
    MediaFile,
    PublishRequest,
    TokenSet,
)
from functions.publish.adapters.platforms.youtube import YouTubeAdapter  # noqa: E402

GOAL_MB = 300
MIB = 1024 * 1024
SESSION_PATH = "/upload/session"


class FakeYouTube(BaseHTTPRequestHandler):
    """The resumable upload protocol's answers, keeping nothing of the bytes."""

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: one line per chunk would drown the figures."""

    def _drain(self) -> None:
        left = int(self.headers.get("Content-Length") or 0)
        while left:
            left -= len(self.rfile.read(min(left, MIB)))

    def do_POST(self) -> None:
        self._drain()
        # The transport sends every request to loopback, whatever host the Location names.
        self.send_response(200)
        self.send_header("Location", f"https://www.googleapis.com{SESSION_PATH}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self) -> None:
        self._drain()
        span, total = self.headers["Content-Range"].removeprefix("bytes ").split("/")
        last = int(total) - 1 if span == "*" else int(span.split("-")[1])
        if last + 1 < int(total):
            self.send_response(308)
            self.send_header("Range", f"bytes=0-{last}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"kind": "youtube#video", "id": "bench-video"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(port_out: "multiprocessing.Queue[int]") -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeYouTube)
    port_out.put(server.server_port)
    server.serve_forever()


def sparse_video(path: Path, size: int) -> MediaFile:
    """A MediaFile over a sparse file: `read_range` reads only the asked bytes."""
    with path.open("wb") as file:
        file.truncate(size)

    async def read() -> bytes:
        raise AssertionError("a video is never read whole")

    async def read_range(start: int, end: int) -> bytes:
        def fetch() -> bytes:
            with path.open("rb") as file:
                return os.pread(file.fileno(), end - start, start)

        return await asyncio.to_thread(fetch)

    return MediaFile(
        kind="video",
        content_type="video/mp4",
        size=size,
        url="https://media.example/video",
        read=read,
        read_range=read_range,
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def publish_once(size: int, port: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="herald-bench-video-") as directory:
        video = sparse_video(Path(directory) / "video.mp4", size)
        async with httpx.AsyncClient(transport=ToLoopback(port), timeout=60) as http:
            adapter = YouTubeAdapter(client_id="bench", client_secret="bench", http=http)  # noqa: S106
            before = peak_mb()
            started = time.perf_counter()
            result = await adapter.publish(
                TokenSet(access_token="bench"),  # noqa: S106
                ConnectedAccount(platform_account_id="UC-bench", name="Bench", kind="channel"),
                PublishRequest(text="Bench video", media=[video]),
            )
            seconds = time.perf_counter() - started
    assert result.platform_post_id == "bench-video", result
    return {"before_mb": before, "peak_mb": peak_mb(), "seconds": seconds}


def measure_one(size_mib: int) -> None:
    """Child mode: publish once, print the figures as JSON."""
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    try:
        figures = asyncio.run(publish_once(size_mib * MIB, ports.get(timeout=10)))
    finally:
        server.terminate()
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", default=[256, 1024], help="MiB")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        measure_one(args.one)
        return
    print("YouTube resumable upload, 16 MiB chunks, streamed from a sparse file")
    print(f"{'size':>9}  {'RSS before':>11}  {'peak RSS':>9}  {'time':>7}  goal < {GOAL_MB} MB")
    for size in args.size:
        answer = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(answer.stdout.strip().splitlines()[-1])
        verdict = "ok" if figures["peak_mb"] < GOAL_MB else "OVER"
        print(
            f"{size:>5} MiB  {figures['before_mb']:>8.0f} MB  {figures['peak_mb']:>6.0f} MB"
            f"  {figures['seconds']:>5.1f} s  {verdict}"
        )


if __name__ == "__main__":
    main()
