"""Platform metrics reports: a post's targets and time series, the overview, refresh now."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from functions.analytics.domain.metrics_models import Overview, PostMetrics, RefreshOutcome
from functions.analytics.routes.export import CSV_EXPORT, Export
from functions.shared.access import ID_PATTERN, Permission, Role, Scope, WorkspaceAccess
from functions.shared.http.dependencies import require_workspace
from functions.shared.inputs import Rfc3339Date

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

ANALYTICS_READ = Permission(Role.VIEWER, Scope.ANALYTICS_READ)
# Refreshing spends the account's platform rate limits: people who write content may.
ANALYTICS_REFRESH = Permission(Role.EDITOR, Scope.ANALYTICS_READ)
AnalyticsReader = Annotated[WorkspaceAccess, Depends(require_workspace(ANALYTICS_READ))]
AnalyticsRefresher = Annotated[WorkspaceAccess, Depends(require_workspace(ANALYTICS_REFRESH))]
PostId = Annotated[str, Path(pattern=ID_PATTERN, description="The post.")]
FromDay = Annotated[
    Rfc3339Date,
    Query(alias="from", description="First day in the workspace's timezone, included."),
]
ToDay = Annotated[Rfc3339Date, Query(alias="to", description="Last day, included.")]


@router.get(
    "/posts/{post_id}",
    description=ANALYTICS_READ.description,
    response_model=PostMetrics,
    responses=CSV_EXPORT,
)
async def get_post_metrics(
    access: AnalyticsReader, post_id: PostId, export: Export
) -> PostMetrics | Response:
    """Every published target of the post with its latest metrics and their time series."""
    from functions.analytics.domain import metrics_reports

    return await export.respond(
        access, await run_in_threadpool(metrics_reports.post_metrics, access, post_id)
    )


@router.post("/posts/{post_id}/refresh", description=ANALYTICS_REFRESH.description)
async def refresh_post_metrics(access: AnalyticsRefresher, post_id: PostId) -> RefreshOutcome:
    """Read the post's metrics from the platforms now (once per 5 minutes per post; 429 with
    Retry-After sooner), outside the collection schedule, and answer the post's report."""
    from functions.analytics.domain import metrics_reports

    return await run_in_threadpool(metrics_reports.refresh, access, post_id)


@router.get(
    "/overview",
    description=ANALYTICS_READ.description,
    response_model=Overview,
    responses=CSV_EXPORT,
)
async def get_metrics_overview(
    access: AnalyticsReader, from_day: FromDay, to_day: ToDay, export: Export
) -> Overview | Response:
    """Posts published in the period (days in the workspace's timezone, at most 366) and what
    they earned, against the period of the same length before: in total, per platform and per
    account."""
    from functions.analytics.domain import metrics_reports

    return await export.respond(
        access, await run_in_threadpool(metrics_reports.overview, access, from_day, to_day)
    )
