"""Reports on tracked events: the traffic dashboard, funnels and retention."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from functions.analytics.domain.models import FunnelRequest, FunnelResult, Retention, Traffic
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


@router.get("/traffic", description=READ)
async def get_traffic(access: AnalyticsReader, from_day: FromDay, to_day: ToDay) -> Traffic:
    """Daily events, pageviews, sessions and visitors; top pages, events, referrers and UTM
    sources; revenue per day and per source, from the rollups (at most 366 days)."""
    from functions.analytics.domain import reports

    return await run_in_threadpool(reports.traffic, access, from_day, to_day)


@router.post("/funnels", description=READ)
async def run_funnel(access: AnalyticsReader, body: FunnelRequest) -> FunnelResult:
    """Conversion and drop-off per step of an ordered funnel, over the raw events (at most 92
    days), optionally per UTM source."""
    from functions.analytics.domain import reports

    return await run_in_threadpool(reports.funnel, access, body)


@router.get("/retention", description=READ)
async def get_retention(access: AnalyticsReader, from_day: FromDay, to_day: ToDay) -> Retention:
    """Weekly cohorts of visitors by their first week in the period (at most 184 days)."""
    from functions.analytics.domain import reports

    return await run_in_threadpool(reports.retention, access, from_day, to_day)
