"""Funnel and retention SQL on Athena, in the analytics workgroup over the Glue table of the raw
event files (infra/analytics_engine.py), started now and read back later: a query may outlast
API Gateway's 29 seconds.

Athena's execution parameters are not bound values but SQL literals pasted in place of each `?`
(https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html: a string
parameter is passed with its quotes). So each value becomes a literal here, and only values that
need no escaping are accepted: integers, and text of letters, digits and `_ . : $ - ( )` (workspace
ids, UTC days, event names, the no-source label). Anything else is a programming error.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from functions.shared import aws
from functions.shared.settings import get_settings

_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_.:$()\-]{1,128}")
# The Glue table is `tracked_events` of this catalog's database (domain/queries.py).
_CATALOG = "AwsDataCatalog"
State = Literal["running", "succeeded", "failed"]
_STATES: dict[str, State] = {
    "QUEUED": "running",
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "CANCELLED": "failed",
}
# Athena cancels a query past the workgroup's BytesScannedCutoffPerQuery with "Query cancelled!
# : Bytes scanned limit was exceeded" (https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html).
_BYTES_LIMIT = "bytes scanned limit"


def literal(value: object) -> str:
    """`value` as an Athena SQL literal (an integer, or quoted plain text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and _PLAIN_TEXT.fullmatch(value):
        return f"'{value}'"
    raise ValueError(f"not a value Athena's parameters can carry safely: {value!r}")


def start(sql: str, parameters: Sequence[object], request_token: str) -> str:
    """The id of the execution of `sql` with `parameters`; `request_token` (32 to 128
    characters) makes a retried start the same execution."""
    settings = get_settings()
    answer = aws.athena().start_query_execution(
        QueryString=sql,
        ClientRequestToken=request_token,
        QueryExecutionContext={"Catalog": _CATALOG, "Database": settings.analytics_glue_database},
        WorkGroup=settings.analytics_athena_workgroup,
        ExecutionParameters=[literal(value) for value in parameters],
    )
    return answer["QueryExecutionId"]


@dataclass(frozen=True, slots=True)
class Outcome:
    state: State
    rows: list[tuple[str | None, ...]] | None = None
    too_large: bool = False
    """Failed because the workgroup's bytes-scanned limit cancelled it."""


def outcome(execution_id: str) -> Outcome:
    """Where the execution is; its rows (as text, header left out) once it succeeded."""
    client = aws.athena()
    execution = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    status = execution["Status"]
    state = _STATES[status["State"]]
    if state == "failed":
        reason = status.get("StateChangeReason", "").lower()
        return Outcome(state, too_large=_BYTES_LIMIT in reason)
    if state == "running":
        return Outcome(state)
    rows: list[tuple[str | None, ...]] = []
    for page in client.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
        rows.extend(
            tuple(cell.get("VarCharValue") for cell in row["Data"])
            for row in page["ResultSet"]["Rows"]
        )
    return Outcome(state, rows=rows[1:])
