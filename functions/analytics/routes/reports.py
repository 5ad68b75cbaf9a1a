"""Reports on tracked events: the traffic dashboard, funnels and retention."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from starlette.concurrency import run_in_threadpool

from functions.analytics.domain.models import (
    FunnelQuery,
    FunnelRequest,
    RetentionQuery,
    RetentionRequest,
    Traffic,
)
from functions.analytics.routes.export import CSV_EXPORT, Export
from functions.shared.access import ID_PATTERN, Permission, Role, Scope, WorkspaceAccess
from functions.shared.http.dependencies import require_workspace
from functions.shared.inputs import Rfc3339Date

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

ANALYTICS_READ = Permission(Role.VIEWER, Scope.ANALYTICS_READ)
AnalyticsReader = Annotated[WorkspaceAccess, Depends(require_workspace(ANALYTICS_READ))]
READ = ANALYTICS_READ.description
FromDay = Annotated[
    Rfc3339Date, Query(alias="from", description="First UTC day (RFC 3339 full-date), included.")
]
ToDay = Annotated[Rfc3339Date, Query(alias="to", description="Last UTC day, included.")]


@router.get("/traffic", description=READ, response_model=Traffic, responses=CSV_EXPORT)
async def get_traffic(
    access: AnalyticsReader, from_day: FromDay, to_day: ToDay, export: Export
) -> Traffic | Response:
    """Daily events, pageviews, sessions and visitors; top pages, events, referrers and UTM
    sources; revenue per day and per source, from the rollups (at most 366 days)."""
    from functions.analytics.domain import reports

    return await export.respond(
        access, await run_in_threadpool(reports.traffic, access, from_day, to_day)
    )


QueryId = Annotated[str, Path(pattern=ID_PATTERN, description="Query id.")]


@router.post("/funnels", status_code=status.HTTP_202_ACCEPTED, description=READ)
async def run_funnel(access: AnalyticsReader, body: FunnelRequest) -> FunnelQuery:
    """Start a funnel: conversion and drop-off per step of an ordered funnel, over the raw events
    (at most 92 days), optionally per UTM source. 202 with the query: `succeeded` with its
    `result` when the engine answered at once (locally), else `running`: `GET` it until it is
    `succeeded` or `failed` (in AWS, Athena may take longer than an API request may last)."""
    from functions.analytics.domain import event_queries

    return await run_in_threadpool(event_queries.start_funnel, access, body)


@router.get(
    "/funnels/{query_id}", description=READ, response_model=FunnelQuery, responses=CSV_EXPORT
)
async def get_funnel(
    access: AnalyticsReader, query_id: QueryId, export: Export
) -> FunnelQuery | Response:
    """A funnel query started by `POST /v1/analytics/funnels`: its status, and its result once
    it succeeded."""
    from functions.analytics.domain import event_queries

    return await export.respond(
        access, await run_in_threadpool(event_queries.get_funnel, access, query_id)
    )


@router.post("/retention", status_code=status.HTTP_202_ACCEPTED, description=READ)
async def run_retention(access: AnalyticsReader, body: RetentionRequest) -> RetentionQuery:
    """Start a retention query: weekly cohorts of visitors by their first week in the period
    (at most 184 days). 202 with the query, as for funnels."""
    from functions.analytics.domain import event_queries

    return await run_in_threadpool(event_queries.start_retention, access, body)


@router.get(
    "/retention/{query_id}", description=READ, response_model=RetentionQuery, responses=CSV_EXPORT
)
async def get_retention(
    access: AnalyticsReader, query_id: QueryId, export: Export
) -> RetentionQuery | Response:
    """A retention query started by `POST /v1/analytics/retention`: its status, and its result
    once it succeeded."""
    from functions.analytics.domain import event_queries

    return await export.respond(
        access, await run_in_threadpool(event_queries.get_retention, access, query_id)
    )
