"""Funnel and retention queries, started by `POST` and read by `GET`, whatever the engine.

In AWS, Athena runs them (adapters/athena.py): `POST` starts the execution and answers at once,
since one may outlast API Gateway's 29 seconds; `GET` asks Athena where it is and, once it
succeeded, reads its rows. Locally and in tests, DuckDB (adapters/event_files.py) answers within
the `POST`, whose query is then already `succeeded`, and its rows are kept with the query. The
query item binds the query to its workspace: another workspace's id is 404, and the Athena
execution id is never taken from the caller.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ulid import ULID

from functions.analytics.adapters import athena, event_files
from functions.analytics.adapters.items import EventQueryItem
from functions.analytics.domain.models import (
    FunnelQuery,
    FunnelRequest,
    QueryStatus,
    RetentionQuery,
    RetentionRequest,
)
from functions.analytics.domain.reports import (
    QueryPlan,
    funnel_plan,
    funnel_result,
    retention_plan,
    retention_result,
)
from functions.shared.access import WorkspaceAccess
from functions.shared.problems import NotFound
from functions.shared.settings import get_settings

# As long as the Athena results it reads (their lifecycle: infra/analytics_engine.py).
QUERY_DAYS = 7
TOO_LARGE = "The period holds more events than one query may scan; choose a shorter one."
FAILED = "The query failed; start it again."


def _start(access: WorkspaceAccess, kind: str, request: str, plan: QueryPlan) -> EventQueryItem:
    query_id = str(ULID())
    item = EventQueryItem(
        *EventQueryItem.keys(access.workspace_id, query_id),
        query_id=query_id,
        workspace_id=access.workspace_id,
        kind=kind,
        request=request,
        expires_at=datetime.now(UTC) + timedelta(days=QUERY_DAYS),
    )
    if get_settings().analytics_engine == "athena":
        item.execution_id = athena.start(plan.sql, plan.parameters, f"herald-query-{query_id}")
    else:
        rows = event_files.query(access.workspace_id, plan.days, plan.sql, plan.parameters)
        item.rows = json.dumps([list(row) for row in rows])
    item.save()
    return item


def _find(access: WorkspaceAccess, kind: str, query_id: str) -> EventQueryItem:
    item = EventQueryItem.find(access.workspace_id, query_id)
    if item is None or item.kind != kind:
        raise NotFound("No such query in this workspace.")
    return item


def _outcome[Result](
    item: EventQueryItem, shape: Callable[[list[tuple[Any, ...]]], Result]
) -> tuple[QueryStatus, Result | None, str | None]:
    if item.rows is not None:
        return "succeeded", shape([tuple(row) for row in json.loads(item.rows)]), None
    assert item.execution_id is not None
    outcome = athena.outcome(item.execution_id)
    if outcome.state == "failed":
        return "failed", None, TOO_LARGE if outcome.too_large else FAILED
    if outcome.rows is None:
        return outcome.state, None, None
    return outcome.state, shape(list(outcome.rows)), None


def _funnel_query(item: EventQueryItem) -> FunnelQuery:
    request = FunnelRequest.model_validate_json(item.request)
    status, result, error = _outcome(item, lambda rows: funnel_result(request, rows))
    return FunnelQuery(
        id=item.query_id,
        status=status,
        created_at=item.created_at,
        request=request,
        result=result,
        error=error,
    )


def _retention_query(item: EventQueryItem) -> RetentionQuery:
    request = RetentionRequest.model_validate_json(item.request)
    status, result, error = _outcome(item, lambda rows: retention_result(request, rows))
    return RetentionQuery(
        id=item.query_id,
        status=status,
        created_at=item.created_at,
        request=request,
        result=result,
        error=error,
    )


def start_funnel(access: WorkspaceAccess, request: FunnelRequest) -> FunnelQuery:
    plan = funnel_plan(access.workspace_id, request)
    return _funnel_query(_start(access, "funnel", request.model_dump_json(by_alias=True), plan))


def get_funnel(access: WorkspaceAccess, query_id: str) -> FunnelQuery:
    return _funnel_query(_find(access, "funnel", query_id))


def start_retention(access: WorkspaceAccess, request: RetentionRequest) -> RetentionQuery:
    plan = retention_plan(access.workspace_id, request)
    return _retention_query(
        _start(access, "retention", request.model_dump_json(by_alias=True), plan)
    )


def get_retention(access: WorkspaceAccess, query_id: str) -> RetentionQuery:
    return _retention_query(_find(access, "retention", query_id))
