"""Engagement reports: by day, platform and weekday x hour; top posts; labels; best times."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from functions.analytics.domain.engagement_models import Engagement, Labels, TopPosts
from functions.analytics.routes.export import CSV_EXPORT, Export
from functions.analytics.routes.metrics import ANALYTICS_READ, AnalyticsReader, FromDay, ToDay
from functions.shared.access import ID_PATTERN
from functions.shared.best_times import MAX_SLOTS, BestTimes
from functions.shared.engagement_figures import TopMetric
from functions.shared.inputs import SingleLine

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

PlatformFilter = Annotated[
    str | None,
    Query(pattern=r"^[a-z_]{1,32}$", description="Only posts on this platform (`x`, ...)."),
]


@router.get(
    "/engagement",
    description=ANALYTICS_READ.description,
    response_model=Engagement,
    responses=CSV_EXPORT,
)
async def get_engagement(
    access: AnalyticsReader,
    from_day: FromDay,
    to_day: ToDay,
    export: Export,
    platform: PlatformFilter = None,
) -> Engagement | Response:
    """What the posts published in the period earned (days in the workspace's timezone, at most
    366): per day, per platform, and per local weekday and hour of publishing."""
    from functions.analytics.domain import engagement_reports

    return await export.respond(
        access,
        await run_in_threadpool(engagement_reports.engagement, access, from_day, to_day, platform),
    )


@router.get(
    "/top-posts",
    description=ANALYTICS_READ.description,
    response_model=TopPosts,
    responses=CSV_EXPORT,
)
async def get_top_posts(
    access: AnalyticsReader,
    from_day: FromDay,
    to_day: ToDay,
    export: Export,
    metric: Annotated[TopMetric, Query(description="What to rank by.")] = "engagements",
    platform: PlatformFilter = None,
    label: Annotated[
        SingleLine | None,
        Query(min_length=1, max_length=40, description="Only posts with this label."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="How many posts.")] = 10,
) -> TopPosts | Response:
    """The posts published in the period that did best by a normalized metric, engagements or
    engagement rate, over their targets on the platform asked for (all by default)."""
    from functions.analytics.domain import engagement_reports

    return await export.respond(
        access,
        await run_in_threadpool(
            engagement_reports.top_posts, access, from_day, to_day, metric, platform, label, limit
        ),
    )


@router.get(
    "/labels",
    description=ANALYTICS_READ.description,
    response_model=Labels,
    responses=CSV_EXPORT,
)
async def get_label_report(
    access: AnalyticsReader, from_day: FromDay, to_day: ToDay, export: Export
) -> Labels | Response:
    """Labels (campaigns) compared: posts published in the period with each label, their
    impressions, engagements and engagement rate."""
    from functions.analytics.domain import engagement_reports

    return await export.respond(
        access, await run_in_threadpool(engagement_reports.labels, access, from_day, to_day)
    )


@router.get(
    "/best-times",
    description=ANALYTICS_READ.description,
    response_model=BestTimes,
    responses=CSV_EXPORT,
)
async def get_best_times(
    access: AnalyticsReader,
    account_id: Annotated[str, Query(pattern=ID_PATTERN, description="The social account.")],
    export: Export,
    count: Annotated[int, Query(ge=1, le=MAX_SLOTS, description="How many slots.")] = 7,
) -> BestTimes | Response:
    """The account's best weekly slots from its own history (engagement rate per local weekday
    and hour of publishing), each with its sample size; defaults fill in where history is thin.
    `POST /v1/posts/queue/slots/best-times` makes them the account's queue slots."""
    from functions.analytics.domain import engagement_reports

    return await export.respond(
        access,
        await run_in_threadpool(engagement_reports.account_best_times, access, account_id, count),
    )
