"""The local stack the end-to-end tests run against: one server process per test module."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.local_stack import LocalServer, free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    logs = tmp_path_factory.mktemp("local-stack")
    port = free_port()
    stdout, stderr, outbox = logs / "stdout.txt", logs / "stderr.txt", logs / "outbox"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--port", str(port), "--outbox", str(outbox)],
            cwd=ROOT,
            stdout=out,
            stderr=err,
        )
    running = LocalServer(process, f"http://127.0.0.1:{port}", stdout, stderr, outbox)
    try:
        wait_until_serving(running)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
