"""A property-based run over the merged OpenAPI document against `make dev`'s stack.

Schemathesis generates requests for every operation (valid ones and, from the schema's
constraints, the edges around them) and sends them over HTTP, signed in as a member of a
workspace, to the same server a developer runs. No answer may be a server error, and every
answer must match what the document says of it (status, content type, body schema). Each
operation gets FUZZ_EXAMPLES cases, which keeps the run to a few minutes.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, CheckContext, Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infra.local.openapi import merged_openapi
from tests.e2e.local_stack import LocalServer, local_server, sign_up

FUZZ_EXAMPLES = 12
EMAIL = "fuzz@example.com"
PASSWORD = "violet-harbour-kettle-42"  # what sign_up registers


class Member:
    """Bearer and workspace headers of a signed-in owner, signed in again after a case ended
    the session (logging out, ending every session)."""

    def __init__(self, server: LocalServer) -> None:
        self.api = httpx.Client(base_url=server.base_url, timeout=30)
        self.headers = sign_up(self.api, server, EMAIL, "Fuzz Owner")
        workspace = self.api.post("/v1/workspaces", headers=self.headers, json={"name": "Fuzz"})
        assert workspace.status_code == 201, workspace.text
        self.workspace_id = workspace.json()["id"]

    def current(self) -> dict[str, str]:
        return {**self.headers, "X-Workspace-Id": self.workspace_id}

    def sign_in_again_if_signed_out(self) -> None:
        """After a 401: most are the case's own doing (a token it made up), and sign-in is
        throttled per network, so sign in again only when the session really ended."""
        if self.api.get("/v1/me", headers=self.headers).status_code != 401:
            return
        login = self.api.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert login.status_code == 200, login.text
        self.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The local stack with budgets no run exhausts: the fuzz tests inputs, not rate limits
    (tests/auth/test_rate_limits.py does)."""
    unlimited = {
        f"HERALD_RATE_LIMIT_{budget}": "1000000"
        for budget in ("WORKSPACE_READS", "WORKSPACE_WRITES", "API_KEY_READS", "API_KEY_WRITES")
    }
    with local_server(tmp_path_factory.mktemp("fuzz-stack"), unlimited) as running:
        yield running


@pytest.fixture(scope="module")
def member(server: LocalServer) -> Iterator[Member]:
    signed_in = Member(server)
    yield signed_in
    signed_in.api.close()


# The document the local server serves at /openapi.json, built the same way.
schema = schemathesis.openapi.from_dict(merged_openapi())


@schemathesis.check
def no_server_error(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """No 5xx but 503, and a 503 only as a problem detail: a dependency that is not configured
    or not reachable (a platform's OAuth app in local mode) is the one documented 5xx."""
    if response.status_code >= 500 and (
        response.status_code != 503
        or response.headers.get("content-type", [""])[0] != "application/problem+json"
    ):
        raise AssertionError(f"{response.status_code}: {response.content[:500]!r}")
    return None


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_gives_a_server_error_or_an_undocumented_answer(
    case: Case[Any], member: Member, server: LocalServer
) -> None:
    # A generous timeout: moto snapshots the whole table for each transaction, so local writes
    # slow down as the run fills the table (infra/local/moto_quirks.py).
    response = case.call(base_url=server.base_url, headers=member.current(), timeout=30)
    if response.status_code == 401:
        member.sign_in_again_if_signed_out()
    case.validate_response(
        response,
        checks=[
            no_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
