"""`python -m infra.local` end to end: a real process, real sockets, Ctrl-C at the end.

The tests of this module share one server and run in order; the last one stops it.
"""

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from functions.shared.groups import GROUPS, FunctionGroup

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120
STOP_TIMEOUT = 15


@dataclass
class LocalServer:
    process: subprocess.Popen[bytes]
    base_url: str
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(errors="replace")

    def diagnostics(self) -> str:
        return f"stdout:\n{self.output()}\nstderr:\n{self.stderr.read_text(errors='replace')}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(server: LocalServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"The local stack exited with {server.process.returncode}.\n" + server.diagnostics()
            )
        try:
            httpx.get(f"{server.base_url}/v1/auth/health", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.5)
    pytest.fail(
        f"The local stack did not answer within {START_TIMEOUT} s.\n" + server.diagnostics()
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    logs = tmp_path_factory.mktemp("local-stack")
    port = free_port()
    stdout, stderr = logs / "stdout.txt", logs / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=err,
        )
    running = LocalServer(process, f"http://127.0.0.1:{port}", stdout, stderr)
    try:
        wait_until_serving(running)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("group", GROUPS, ids=lambda group: group.name)
def test_every_group_answers_under_its_prefix(server: LocalServer, group: FunctionGroup) -> None:
    response = httpx.get(server.base_url + group.health_path)

    assert response.status_code == 200
    assert response.json()["group"] == group.name
    # Read from the environment that local mode set up, not from the test's.
    assert response.json()["stage"] == "local"


def test_one_openapi_31_document_lists_every_group(server: LocalServer) -> None:
    document = httpx.get(f"{server.base_url}/openapi.json").json()

    assert document["openapi"].startswith("3.1.")
    assert {group.health_path for group in GROUPS} <= set(document["paths"])


def test_docs_are_swagger_ui(server: LocalServer) -> None:
    response = httpx.get(f"{server.base_url}/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text


def test_an_unknown_path_is_a_problem_404(server: LocalServer) -> None:
    response = httpx.get(f"{server.base_url}/v2/nothing")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_ctrl_c_stops_it_cleanly(server: LocalServer) -> None:
    server.process.send_signal(signal.SIGINT)
    try:
        returncode = server.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"Still running {STOP_TIMEOUT} s after SIGINT.\n" + server.diagnostics())

    assert returncode == 0, server.diagnostics()
    output = server.output()
    assert f"Herald is listening on {server.base_url} (docs: {server.base_url}/docs;" in output
    assert "AWS emulated by moto at http://127.0.0.1:" in output
    assert "Traceback" not in server.stderr.read_text(errors="replace")
