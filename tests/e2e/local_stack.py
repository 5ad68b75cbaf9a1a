"""`python -m infra.local` as a real process on a free port, and a person signing up to it."""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

START_TIMEOUT = 120
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LocalServer:
    process: subprocess.Popen[bytes]
    base_url: str
    stdout: Path
    stderr: Path
    outbox: Path

    def output(self) -> str:
        return self.stdout.read_text(errors="replace")

    def diagnostics(self) -> str:
        return f"stdout:\n{self.output()}\nstderr:\n{self.stderr.read_text(errors='replace')}"


def moto_client(server: LocalServer, service: str) -> Any:
    """A boto3 client of the stack's moto server (its address is in the start-up log)."""
    found = re.search(r"AWS emulated by moto at (http://[0-9.:]+)", server.output())
    assert found, server.diagnostics()
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service,
        endpoint_url=found.group(1),
        region_name="us-east-1",
        aws_access_key_id="herald-local",
        aws_secret_access_key="herald-local",
    )


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


def emailed_token(server: LocalServer, to: str, purpose: str) -> str:
    for path in sorted(server.outbox.glob(f"*-{purpose}.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes())
        if message["To"] == to:
            body = message.get_payload(decode=True)
            assert isinstance(body, bytes)
            match = re.search(r"\?token=([A-Za-z0-9_\-]+)", body.decode())
            assert match, body
            return match.group(1)
    pytest.fail(f"No {purpose} email to {to} in {server.outbox}.\n" + server.diagnostics())


def sign_up(api: httpx.Client, server: LocalServer, email: str, name: str) -> dict[str, str]:
    registered = api.post(
        "/v1/auth/register",
        json={"email": email, "password": "violet-harbour-kettle-42", "name": name},
    )
    assert registered.status_code == 202, registered.text
    token = emailed_token(server, email, "verify_email")
    assert api.post("/v1/auth/email/verify", json={"token": token}).status_code == 204
    login = api.post(
        "/v1/auth/login", json={"email": email, "password": "violet-harbour-kettle-42"}
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def workspace_owner(
    api: httpx.Client, server: LocalServer, email: str, workspace: str
) -> tuple[str, dict[str, str]]:
    """A person signed up with a new workspace: its id, and their headers acting in it."""
    owner = sign_up(api, server, email, email.split("@")[0].title())
    created = api.post("/v1/workspaces", json={"name": workspace}, headers=owner)
    assert created.status_code == 201, created.text
    workspace_id: str = created.json()["id"]
    return workspace_id, owner | {"X-Workspace-Id": workspace_id}


def sandbox_post(api: httpx.Client, headers: dict[str, str], text: str, **account: str) -> str:
    """A new sandbox account (`account` adds to its body, e.g. `fail_with`) and a post to it,
    not yet published: the post's id."""
    added = api.post(
        "/v1/accounts", json={"platform": "sandbox", "name": "Sandbox", **account}, headers=headers
    )
    assert added.status_code == 201, added.text
    post = api.post(
        "/v1/posts",
        json={"text": text, "targets": [{"account_id": added.json()["id"]}]},
        headers=headers,
    )
    assert post.status_code == 201, post.text
    post_id: str = post.json()["id"]
    return post_id


UNTIL_SECONDS = 60


def until(check: Any, server: LocalServer) -> Any:
    """What `check` returns once it is truthy, asked every 0.25 s; the test fails with the
    server's output if that takes over UNTIL_SECONDS."""
    deadline = time.monotonic() + UNTIL_SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    pytest.fail("Nothing came within the deadline.\n" + server.diagnostics())


@contextmanager
def local_server(logs: Path, environment: Mapping[str, str] | None = None) -> Iterator[LocalServer]:
    """`python -m infra.local` on a free port, with `environment` added to this process's."""
    port = free_port()
    stdout, stderr, outbox = logs / "stdout.txt", logs / "stderr.txt", logs / "outbox"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--port", str(port), "--outbox", str(outbox)],
            cwd=ROOT,
            stdout=out,
            stderr=err,
            env={**os.environ, **(environment or {})},
        )
    running = LocalServer(process, f"http://127.0.0.1:{port}", stdout, stderr, outbox)
    try:
        wait_until_serving(running)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def upload(api: httpx.Client, clip: Path) -> dict[str, Any]:
    """Start an upload, post the file to the presigned form, complete it: the library asset."""
    started = api.post(
        "/v1/media/uploads",
        json={"name": clip.name, "content_type": "video/mp4", "size_bytes": clip.stat().st_size},
    )
    assert started.status_code == 201, started.text
    form = started.json()
    posted = httpx.post(
        form["url"],
        data=form["fields"],
        files={"file": (clip.name, clip.read_bytes(), "video/mp4")},
        timeout=60,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    completed = api.post(f"/v1/media/uploads/{form['upload_id']}/complete")
    assert completed.status_code == 201, completed.text
    asset: dict[str, Any] = completed.json()
    return asset
