"""`python -m infra.local` end to end: a real process, real sockets, Ctrl-C at the end.

The tests of this module share one server and run in order; the last one stops it.
"""

import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from functions.shared.groups import GROUPS, FunctionGroup
from tests.e2e.local_stack import LocalServer, emailed_token, sign_up, workspace_owner

STOP_TIMEOUT = 15


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


def test_two_people_share_a_workspace_over_http(server: LocalServer) -> None:
    """Register, verify, sign in, create a workspace, invite a second user who accepts."""
    with httpx.Client(base_url=server.base_url, timeout=30) as api:
        owner = sign_up(api, server, "owner@example.com", "Olive Owner")
        created = api.post("/v1/workspaces", json={"name": "Acme Coffee"}, headers=owner)
        assert created.status_code == 201, created.text
        workspace_id = created.json()["id"]
        editor = sign_up(api, server, "editor@example.com", "Eddie Editor")

        invited = api.post(
            f"/v1/workspaces/{workspace_id}/invites",
            json={"email": "editor@example.com", "role": "editor"},
            headers=owner,
        )
        assert invited.status_code == 201, invited.text
        invite_token = emailed_token(server, "editor@example.com", "invite")
        accepted = api.post(f"/v1/invites/{invite_token}/accept", headers=editor)
        assert accepted.status_code == 200, accepted.text

        owners_view = api.get("/v1/workspaces", headers=owner).json()["items"]
        editors_view = api.get("/v1/workspaces", headers=editor).json()["items"]
        members = api.get(f"/v1/workspaces/{workspace_id}/members", headers=editor).json()

    assert [(w["id"], w["name"], w["role"]) for w in owners_view] == [
        (workspace_id, "Acme Coffee", "owner")
    ]
    assert [(w["id"], w["name"], w["role"]) for w in editors_view] == [
        (workspace_id, "Acme Coffee", "editor")
    ]
    assert sorted((m["email"], m["role"]) for m in members["items"]) == [
        ("editor@example.com", "editor"),
        ("owner@example.com", "owner"),
    ]


def test_the_sandbox_account_works_over_http(server: LocalServer) -> None:
    """Add the built-in sandbox account and check it live, through the publish function."""
    with httpx.Client(base_url=server.base_url, timeout=30) as api:
        _workspace_id, headers = workspace_owner(
            api, server, "sandbox-owner@example.com", "Sandbox Brand"
        )

        added = api.post("/v1/accounts", json={"platform": "sandbox"}, headers=headers)
        checked = api.post(f"/v1/accounts/{added.json()['id']}/check", headers=headers)
        listed = api.get("/v1/accounts", headers=headers).json()["items"]

    assert added.status_code == 201, added.text
    assert checked.status_code == 200, checked.text
    assert checked.json()["healthy"] is True
    assert [(a["platform"], a["status"]) for a in listed] == [("sandbox", "active")]


def test_a_post_scheduled_seconds_ahead_becomes_published(server: LocalServer) -> None:
    """Schedule a sandbox post 3 s ahead: the local scheduler fires it into the worker (at once:
    its schedule is armed a minute early), which publishes it at the requested second."""
    with httpx.Client(base_url=server.base_url, timeout=30) as api:
        _workspace_id, headers = workspace_owner(
            api, server, "scheduler@example.com", "Scheduled Brand"
        )
        account = api.post("/v1/accounts", json={"platform": "sandbox"}, headers=headers).json()
        post = api.post(
            "/v1/posts",
            json={"text": "Hello from the local stack", "targets": [{"account_id": account["id"]}]},
            headers=headers,
        ).json()
        at = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
        scheduled = api.post(
            f"/v1/posts/{post['id']}/schedule", json={"at": at.isoformat()}, headers=headers
        )
        assert scheduled.status_code == 200, scheduled.text
        assert scheduled.json()["status"] == "scheduled"
        deadline = time.monotonic() + 60
        while True:
            current = api.get(f"/v1/posts/{post['id']}", headers=headers).json()
            if current["status"] == "published" or time.monotonic() > deadline:
                break
            time.sleep(0.5)

    assert current["status"] == "published", server.diagnostics()
    (target,) = current["publishing"]
    assert target["state"] == "published"
    assert target["url"].startswith("https://sandbox.herald.invalid/")
    # Its schedule fired a minute early; the worker waited for the requested second.
    assert datetime.fromisoformat(target["published_at"]) >= at


def test_the_local_s3_enforces_the_upload_form_policy(server: LocalServer) -> None:
    """A form declared for 1,000 bytes of JPEG: S3's answers to what a user might post instead.

    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
    """
    with httpx.Client(base_url=server.base_url, timeout=30) as api:
        workspace_id, headers = workspace_owner(api, server, "uploader@example.com", "Upload Brand")
        started = api.post(
            "/v1/media/uploads",
            json={"name": "photo.jpg", "content_type": "image/jpeg", "size_bytes": 1_000},
            headers=headers,
        )
        assert started.status_code == 201, started.text
        form = started.json()

        def post(data: bytes, **fields: str) -> tuple[int, str]:
            posted = httpx.post(
                form["url"],
                data=form["fields"] | fields,
                files={"file": ("photo.jpg", data, "image/jpeg")},
                timeout=30,
            )
            code = re.search(r"<Code>(\w+)</Code>", posted.text)
            return posted.status_code, code.group(1) if code else ""

        oversize = post(b"\xff" * 200_000)
        mistyped = post(b"\xff" * 500, **{"Content-Type": "text/html"})
        elsewhere = post(b"\xff" * 500, key=f"workspaces/{workspace_id}/media/elsewhere")
        declared = post(b"\xff" * 500)
        early = api.get("/v1/media", headers=headers).json()["items"]

    assert (oversize, mistyped, elsewhere) == (
        (400, "EntityTooLarge"),
        (403, "AccessDenied"),
        (403, "AccessDenied"),
    )
    assert declared == (204, "")
    assert early == []


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
