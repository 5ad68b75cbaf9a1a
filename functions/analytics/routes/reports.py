"""Reports on tracked events: the traffic dashboard, funnels and retention."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from starlette.concurrency import run_in_threadpool

from functions.analytics.domain.models import FunnelRequest, FunnelResult, Retention, Traffic
from functions.analytics.routes.export import CSV_EXPORT, Export
from functions.shared.access import Permission, Role, Scope, WorkspaceAccess
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


@router.post("/funnels", description=READ, response_model=FunnelResult, responses=CSV_EXPORT)
async def run_funnel(
    access: AnalyticsReader, body: FunnelRequest, export: Export
) -> FunnelResult | Response:
    """Conversion and drop-off per step of an ordered funnel, over the raw events (at most 92
    days), optionally per UTM source."""
    from functions.analytics.domain import reports

    return await export.respond(access, await run_in_threadpool(reports.funnel, access, body))


@router.get("/retention", description=READ, response_model=Retention, responses=CSV_EXPORT)
async def get_retention(
    access: AnalyticsReader, from_day: FromDay, to_day: ToDay, export: Export
) -> Retention | Response:
    """Weekly cohorts of visitors by their first week in the period (at most 184 days)."""
    from functions.analytics.domain import reports

    return await export.respond(
        access, await run_in_threadpool(reports.retention, access, from_day, to_day)
    )
