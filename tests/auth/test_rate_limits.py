"""Rate limits per workspace and per API key, kept in DynamoDB (docs/api-conventions.md).

Past its budget a request answers 429 with a problem detail and `Retry-After` (RFC 9110 section
10.2.3, RFC 6585 section 4); every response of a workspace route carries the `RateLimit-Policy`
and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers
(https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/). The budgets here are
set small; the counters live in the application table, so two functions share them.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
import time_machine
from fastapi.testclient import TestClient
from httpx import Response
from pynamodb.connection.base import Connection
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from functions.shared import rate_limits
from functions.shared.settings import get_settings
from infra.local.openapi import merged_openapi
from tests.support.auth_world import Account, Herald

WINDOW = 60
WORKSPACE_READS = 6
WORKSPACE_WRITES = 3
KEY_READS = 3
KEY_WRITES = 2
RATE_LIMIT = re.compile(r'^"(?P<name>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


@pytest.fixture(autouse=True)
def small_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings().model_copy(
        update={
            "rate_limit_window_seconds": WINDOW,
            "rate_limit_workspace_reads": WORKSPACE_READS,
            "rate_limit_workspace_writes": WORKSPACE_WRITES,
            "rate_limit_api_key_reads": KEY_READS,
            "rate_limit_api_key_writes": KEY_WRITES,
        }
    )
    monkeypatch.setattr(rate_limits, "get_settings", lambda: settings)


@pytest.fixture
def mid_window() -> Iterator[datetime]:
    """Frozen 20 s into a window, so that no test straddles a window's end by chance."""
    now = datetime.now(UTC).timestamp()
    start = datetime.fromtimestamp((now // WINDOW + 1) * WINDOW + 20, tz=UTC)
    with time_machine.travel(start, tick=False):
        yield start


@pytest.fixture
def owner(herald: Herald) -> Account:
    return herald.sign_up("owner")


@pytest.fixture
def workspace_id(herald: Herald, owner: Account) -> str:
    return str(herald.create_workspace(owner)["id"])


def remaining(response: Response) -> dict[str, tuple[int, int]]:
    """The `RateLimit` field: each policy's remaining requests and seconds until it resets."""
    fields = {}
    for item in response.headers["RateLimit"].split(", "):
        match = RATE_LIMIT.match(item)
        assert match, f"not a RateLimit item: {item!r}"
        fields[match["name"]] = (int(match["r"]), int(match["t"]))
    return fields


def read(herald: Herald, caller: dict[str, str], workspace_id: str) -> Response:
    answer: Response = herald.client.get(f"/v1/workspaces/{workspace_id}", headers=caller)
    return answer


def write(herald: Herald, caller: dict[str, str], workspace_id: str) -> Response:
    """A write that is refused by validation: it still spends the budget, and changes nothing."""
    answer: Response = herald.client.patch(
        f"/v1/workspaces/{workspace_id}", json={"timezone": "Mars/Olympus"}, headers=caller
    )
    return answer


def test_the_headers_name_the_budget_and_count_down(
    herald: Herald, owner: Account, workspace_id: str, mid_window: datetime
) -> None:
    answers = [read(herald, owner.headers, workspace_id) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert {answer.headers["RateLimit-Policy"] for answer in answers} == {
        f'"workspace-reads";q={WORKSPACE_READS};w={WINDOW}'
    }
    assert [answer.headers["RateLimit"] for answer in answers] == [
        f'"workspace-reads";r={WORKSPACE_READS - n};t=40' for n in (1, 2, 3)
    ]


def test_past_the_budget_a_request_gets_429_with_retry_after_and_a_problem(
    herald: Herald, owner: Account, workspace_id: str, mid_window: datetime
) -> None:
    allowed = [read(herald, owner.headers, workspace_id) for _ in range(WORKSPACE_READS)]
    refused = read(herald, owner.headers, workspace_id)

    assert {answer.status_code for answer in allowed} == {200}
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "40"
    assert refused.headers["RateLimit"] == '"workspace-reads";r=0;t=40'
    assert refused.json() == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": f"This workspace may make {WORKSPACE_READS} reads per {WINDOW} seconds and has "
        "used them; try again in 40 seconds.",
    }


def test_a_429_answer_is_the_one_the_openapi_document_promises(
    herald: Herald, owner: Account, workspace_id: str, mid_window: datetime
) -> None:
    """What a generated client is told of a 429 (status, problem+json body, Retry-After and
    the RateLimit fields) is what it gets, checked by schemathesis as the fuzz run checks."""
    for _ in range(WORKSPACE_READS):
        read(herald, owner.headers, workspace_id)
    refused = read(herald, owner.headers, workspace_id)
    operation = schemathesis.openapi.from_dict(merged_openapi())["/v1/workspaces/{workspace_id}"][
        "GET"
    ]
    case = operation.Case(path_parameters={"workspace_id": workspace_id})
    checks = [
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]
    headers = {name: value for name, value in refused.headers.items() if name != "retry-after"}
    without_retry_after = Response(
        429, headers=headers, content=refused.content, request=refused.request
    )
    without_retry_after.elapsed = refused.elapsed

    assert refused.status_code == 429
    case.validate_response(schemathesis.Response.from_any(refused), checks=checks)
    # The document demands what the answer has: without Retry-After it would not conform.
    with pytest.raises(FailureGroup, match="`Retry-After`"):
        case.validate_response(schemathesis.Response.from_any(without_retry_after), checks=checks)


def test_reads_and_writes_have_separate_budgets_and_refused_writes_count(
    herald: Herald, owner: Account, workspace_id: str, mid_window: datetime
) -> None:
    writes = [write(herald, owner.headers, workspace_id) for _ in range(WORKSPACE_WRITES + 1)]

    assert [answer.status_code for answer in writes] == [422] * WORKSPACE_WRITES + [429]
    assert writes[0].headers["RateLimit-Policy"] == (
        f'"workspace-writes";q={WORKSPACE_WRITES};w={WINDOW}'
    )
    assert remaining(writes[0]) == {"workspace-writes": (WORKSPACE_WRITES - 1, 40)}
    assert remaining(read(herald, owner.headers, workspace_id)) == {
        "workspace-reads": (WORKSPACE_READS - 1, 40)
    }


def test_two_workspaces_have_budgets_of_their_own(
    herald: Herald, owner: Account, workspace_id: str, mid_window: datetime
) -> None:
    other = str(herald.create_workspace(owner, name="Other Brand")["id"])
    for _ in range(WORKSPACE_READS):
        read(herald, owner.headers, workspace_id)

    assert read(herald, owner.headers, workspace_id).status_code == 429
    answer = read(herald, owner.headers, other)
    assert answer.status_code == 200
    assert remaining(answer) == {"workspace-reads": (WORKSPACE_READS - 1, 40)}


def test_an_outsider_spends_nothing_of_the_workspace_budget(
    herald: Herald, owner: Account, workspace_id: str, mid_window: datetime
) -> None:
    outsider = herald.sign_up("outsider")
    probes = [read(herald, outsider.headers, workspace_id) for _ in range(WORKSPACE_READS + 1)]

    assert {probe.status_code for probe in probes} == {404}
    assert not any("RateLimit" in probe.headers for probe in probes)
    assert remaining(read(herald, owner.headers, workspace_id)) == {
        "workspace-reads": (WORKSPACE_READS - 1, 40)
    }


def test_an_api_key_has_its_own_budget_besides_its_workspace(
    herald: Herald, owner: Account, workspace_id: str, mid_window: datetime
) -> None:
    secrets = [herald.create_api_key(owner, workspace_id, ["workspace:read"]) for _ in range(2)]
    key, other_key = ({"Authorization": f"Bearer {secret}"} for secret in secrets)

    answers = [read(herald, key, workspace_id) for _ in range(KEY_READS + 1)]

    assert [answer.status_code for answer in answers] == [200] * KEY_READS + [429]
    assert answers[0].headers["RateLimit-Policy"] == (
        f'"workspace-reads";q={WORKSPACE_READS};w={WINDOW}, '
        f'"api-key-reads";q={KEY_READS};w={WINDOW}'
    )
    assert remaining(answers[0]) == {
        "workspace-reads": (WORKSPACE_READS - 1, 40),
        "api-key-reads": (KEY_READS - 1, 40),
    }
    assert answers[-1].json()["detail"].startswith(f"This API key may make {KEY_READS} reads")
    # Another key, and the people, still have the rest of the workspace's budget.
    assert remaining(read(herald, other_key, workspace_id)) == {
        "workspace-reads": (WORKSPACE_READS - KEY_READS - 2, 40),
        "api-key-reads": (KEY_READS - 1, 40),
    }
    assert read(herald, owner.headers, workspace_id).status_code == 200
    assert read(herald, owner.headers, workspace_id).status_code == 429


def test_a_spent_budget_comes_back_when_its_window_ends(
    herald: Herald, owner: Account, workspace_id: str
) -> None:
    now = datetime.now(UTC).timestamp()
    window_start = datetime.fromtimestamp((now // WINDOW + 1) * WINDOW, tz=UTC)
    with time_machine.travel(window_start + timedelta(seconds=45), tick=False):
        for _ in range(WORKSPACE_READS):
            read(herald, owner.headers, workspace_id)
        refused = read(herald, owner.headers, workspace_id)
    with time_machine.travel(window_start + timedelta(seconds=WINDOW - 1), tick=False):
        still_refused = read(herald, owner.headers, workspace_id)
    with time_machine.travel(window_start + timedelta(seconds=WINDOW), tick=False):
        next_window = read(herald, owner.headers, workspace_id)

    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "15")
    assert (still_refused.status_code, still_refused.headers["Retry-After"]) == (429, "1")
    assert next_window.status_code == 200
    assert remaining(next_window) == {"workspace-reads": (WORKSPACE_READS - 1, WINDOW)}


def test_every_function_counts_in_the_same_budget(
    herald: Herald, owner: Account, workspace_id: str, mid_window: datetime
) -> None:
    from functions.publish.app import app as publish_app

    publish = TestClient(publish_app)
    in_workspace = {**owner.headers, "X-Workspace-Id": workspace_id}

    answers = []
    for _ in range(WORKSPACE_READS // 2):
        answers.append(read(herald, owner.headers, workspace_id))
        answers.append(publish.get("/v1/posts", headers=in_workspace))
    refused = publish.get("/v1/posts", headers=in_workspace)

    assert [remaining(answer)["workspace-reads"][0] for answer in answers] == list(
        range(WORKSPACE_READS - 1, -1, -1)
    )
    assert refused.status_code == 429


def test_a_request_is_counted_by_one_atomic_update_of_its_counter(
    herald: Herald,
    owner: Account,
    workspace_id: str,
    mid_window: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No read-modify-write: one UpdateItem with `ADD`, so concurrent requests all count."""
    calls: list[tuple[str, dict[str, Any]]] = []
    make_api_call = Connection._make_api_call

    def recording(self: Connection, operation: str, kwargs: dict[str, Any]) -> Any:
        calls.append((operation, kwargs))
        return make_api_call(self, operation, kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", recording)

    read(herald, owner.headers, workspace_id)

    counter_calls = [
        (operation, kwargs)
        for operation, kwargs in calls
        if kwargs.get("Key", {}).get("SK", {}).get("S", "").startswith("RATE#")
    ]
    assert [operation for operation, _ in counter_calls] == ["UpdateItem"]
    update = counter_calls[0][1]
    assert update["Key"]["PK"] == {"S": f"WS#{workspace_id}"}
    assert "ADD" in update["UpdateExpression"]
    assert "ConditionExpression" not in update
    assert update["ReturnValues"] == "ALL_NEW"


def test_the_dashboard_may_read_the_fields_across_origins(
    herald: Herald, owner: Account, workspace_id: str
) -> None:
    """Fetch standard: a cross-origin page reads only safelisted and exposed response fields."""
    origin = get_settings().cors_origins[0]

    answer = herald.client.get(
        f"/v1/workspaces/{workspace_id}", headers={**owner.headers, "Origin": origin}
    )

    exposed = {name.strip() for name in answer.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"RateLimit-Policy", "RateLimit", "Retry-After"} <= exposed
