"""Funnels and retention on Athena (functions/analytics/adapters/athena.py): the exact requests,
checked with botocore's Stubber against the service model, and the asynchronous flow over the
API: `POST` starts the execution (202, `running`), `GET` follows it to its rows or its failure,
and a query stays within its workspace.

Athena's execution parameters are SQL literals, strings with their quotes
(https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html); results
come back as text, the first row of the first page being the column names
(https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html).
"""

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from botocore.stub import ANY, Stubber

from functions.analytics.adapters import athena
from functions.analytics.domain.event_queries import TOO_LARGE
from functions.analytics.domain.queries import RETENTION_SQL, funnel_sql
from functions.shared import aws
from functions.shared.settings import get_settings
from tests.analytics.tracking_world import Tracking

WORKGROUP = "Herald-analytics"
DATABASE = "herald_events"
EXECUTION = "0d5e4d4a-2f5c-4bfe-9a8f-3f0a5b5e6c11"
FUNNEL = {
    "steps": ["page_view", "signup"],
    "from": "2030-03-01T00:00:00Z",
    "to": "2030-03-02T00:00:00Z",
    "window_seconds": 86400,
    "breakdown": "utm_source",
}


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def athena_stub(tracking: Tracking) -> Iterator[Stubber]:
    """The analytics engine set to Athena, its client stubbed (any unexpected call fails)."""
    variables = {
        "HERALD_ANALYTICS_ENGINE": "athena",
        "HERALD_ANALYTICS_ATHENA_WORKGROUP": WORKGROUP,
        "HERALD_ANALYTICS_GLUE_DATABASE": DATABASE,
    }
    with mock.patch.dict(os.environ, variables):
        get_settings.cache_clear()
        with Stubber(aws.athena()) as stub:
            yield stub
            stub.assert_no_pending_responses()
    get_settings.cache_clear()


def expect_state(stub: Stubber, state: str, reason: str | None = None) -> None:
    status: dict[str, Any] = {"State": state}
    if reason:
        status["StateChangeReason"] = reason
    stub.add_response(
        "get_query_execution",
        {"QueryExecution": {"QueryExecutionId": EXECUTION, "Status": status}},
        {"QueryExecutionId": EXECUTION},
    )


def expect_rows(stub: Stubber, *rows: list[str]) -> None:
    stub.add_response(
        "get_query_results",
        {"ResultSet": {"Rows": [{"Data": [{"VarCharValue": v} for v in row]} for row in rows]}},
        {"QueryExecutionId": EXECUTION},
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42, "42"),
        ("2030-03-01", "'2030-03-01'"),
        ("page_view", "'page_view'"),
        ("(none)", "'(none)'"),
    ],
)
def test_parameters_become_literals(value: object, expected: str) -> None:
    assert athena.literal(value) == expected


@pytest.mark.parametrize("value", ["x' OR '1'='1", "a b", "", "é", True, 1.5, None, "x" * 129])
def test_a_value_that_would_need_escaping_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="safely"):
        athena.literal(value)


def test_a_funnel_starts_in_the_workgroup_and_is_followed_to_its_result(
    tracking: Tracking, athena_stub: Stubber
) -> None:
    workspace = tracking.workspace_id
    start, end, window = ms("2030-03-01T00:00:00"), ms("2030-03-02T00:00:00"), 86_400_000
    athena_stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": EXECUTION},
        {
            "QueryString": funnel_sql(["page_view", "signup"], by_source=True),
            "ClientRequestToken": ANY,
            "QueryExecutionContext": {"Catalog": "AwsDataCatalog", "Database": DATABASE},
            "WorkGroup": WORKGROUP,
            # The step names (coded in the select list), then the workspace's partition and
            # days, which Athena reads and nothing else.
            "ExecutionParameters": [
                "'page_view'",
                "'signup'",
                f"'{workspace}'",
                "'2030-03-01'",
                "'2030-03-02'",
                str(start),
                str(end + window),
                str(end),
                str(window),
            ],
        },
    )
    expect_state(athena_stub, "RUNNING")
    started = tracking.client.post("/v1/analytics/funnels", json=FUNNEL, headers=tracking.headers)
    assert started.status_code == 202, started.text
    query = started.json()
    assert (query["status"], query["result"], query["error"]) == ("running", None, None)

    expect_state(athena_stub, "QUEUED")
    path = f"/v1/analytics/funnels/{query['id']}"
    assert tracking.client.get(path, headers=tracking.headers).json()["status"] == "running"

    expect_state(athena_stub, "SUCCEEDED")
    expect_rows(
        athena_stub, ["source", "step1", "step2"], ["(none)", "30", "3"], ["herald", "10", "5"]
    )
    done = tracking.client.get(path, headers=tracking.headers)
    assert done.status_code == 200
    result = done.json()["result"]
    assert done.json()["status"] == "succeeded"
    assert [step["visitors"] for step in result["steps"]] == [40, 8]
    assert result["steps"][1]["conversion"] == pytest.approx(0.2)
    assert [segment["value"] for segment in result["breakdown"]] == ["(none)", "herald"]
    assert [s["visitors"] for s in result["breakdown"][1]["steps"]] == [10, 5]


def test_another_workspace_cannot_follow_the_query(
    tracking: Tracking, athena_stub: Stubber
) -> None:
    athena_stub.add_response("start_query_execution", {"QueryExecutionId": EXECUTION})
    expect_state(athena_stub, "RUNNING")
    query_id = tracking.client.post(
        "/v1/analytics/funnels", json=FUNNEL, headers=tracking.headers
    ).json()["id"]
    stranger = tracking.herald.sign_up("stranger")
    elsewhere = tracking.herald.create_workspace(stranger, name="Elsewhere")
    theirs = stranger.headers | {"X-Workspace-Id": elsewhere["id"]}
    # 404 without asking Athena: the stub has no response left to give.
    response = tracking.client.get(f"/v1/analytics/funnels/{query_id}", headers=theirs)
    assert response.status_code == 404


def test_retention_past_the_bytes_scanned_limit_fails_with_a_reason(
    tracking: Tracking, athena_stub: Stubber
) -> None:
    athena_stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": EXECUTION},
        {
            "QueryString": RETENTION_SQL,
            "ClientRequestToken": ANY,
            "QueryExecutionContext": {"Catalog": "AwsDataCatalog", "Database": DATABASE},
            "WorkGroup": WORKGROUP,
            "ExecutionParameters": [
                f"'{tracking.workspace_id}'",
                "'2030-03-01'",
                "'2030-03-14'",
                str(ms("2030-03-01T00:00:00")),
                str(ms("2030-03-15T00:00:00")),
            ],
        },
    )
    expect_state(athena_stub, "RUNNING")
    started = tracking.client.post(
        "/v1/analytics/retention",
        json={"from": "2030-03-01", "to": "2030-03-14"},
        headers=tracking.headers,
    )
    assert started.status_code == 202
    expect_state(
        athena_stub,
        "FAILED",
        "Query cancelled! : Bytes scanned limit was exceeded",
    )
    followed = tracking.client.get(
        f"/v1/analytics/retention/{started.json()['id']}", headers=tracking.headers
    )
    assert followed.json() | {"created_at": None} == {
        "id": started.json()["id"],
        "status": "failed",
        "created_at": None,
        "request": {"from": "2030-03-01", "to": "2030-03-14"},
        "result": None,
        "error": TOO_LARGE,
    }
