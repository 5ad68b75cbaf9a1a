"""The process environment of a benchmark that runs Herald in-process against moto.

Settings are read once per process, so a benchmark calls `use_moto_environment()` before it
imports any Herald module.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The child process: moto as local mode runs it, its address on the first line, until stdin ends.
MOTO_SERVER = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from infra.local.cloud import LocalCloud
cloud = LocalCloud().start()
print(cloud.endpoint_url, flush=True)
sys.stdin.read()
cloud.stop()
"""


def use_moto_environment() -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 (moto's fake credentials)
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        HERALD_STAGE="test",
        HERALD_MAIL_OUTBOX_DIR=tempfile.mkdtemp(prefix="herald-bench-outbox-"),
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_DISABLED="true",
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


@contextlib.contextmanager
def moto_in_its_own_process() -> Iterator[int]:
    """A moto server in a child process, whose process id is given (to read its CPU time);
    this process's AWS clients point at it."""
    child = subprocess.Popen(
        [sys.executable, "-c", MOTO_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    assert child.stdin is not None
    endpoint = child.stdout.readline().strip()
    if not endpoint.startswith("http"):
        child.kill()
        raise SystemExit("the moto server did not start")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        yield child.pid
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()  # a server still answering a busy machine's last requests
            child.wait()


def process_cpu(pid: int) -> float:
    """Seconds of CPU a process has used (Linux's /proc; 10 ms ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    user, system = int(fields[11]), int(fields[12])
    return (user + system) / os.sysconf("SC_CLK_TCK")
