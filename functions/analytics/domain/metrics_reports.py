"""Reports on platform metrics: a post's targets with their time series, the overview of a
period against the one before, and refreshing a post now (docs/analytics.md, "Reports").

They read what the publish group's collector writes (functions/shared/post_metrics.py) by key:
a post's targets and snapshots are two queries of its sort-key prefixes; the overview is one
query of the day rollups, O(days x accounts) items, never a scan."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from functions.analytics.adapters import metrics_collector
from functions.analytics.domain.account_growth import compared, follower_growth
from functions.analytics.domain.account_models import FollowerGrowthSummary
from functions.analytics.domain.metrics_models import (
    Overview,
    Period,
    PostMetrics,
    RefreshOutcome,
    Snapshot,
    TargetMetrics,
)
from functions.shared.access import WorkspaceAccess
from functions.shared.engagement_figures import Totals, totals
from functions.shared.identity_items import WorkspaceItem
from functions.shared.metrics_rollups import day_sums
from functions.shared.post_metrics import (
    MetricsDayItem,
    MetricsSnapshotItem,
    MetricsTargetItem,
    engagements,
    post_exists,
)
from functions.shared.problems import (
    FieldError,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    ValidationFailed,
)
from functions.shared.rate_limits import count_in_window
from functions.shared.tables import key, utc_now

MAX_OVERVIEW_DAYS = 366
# A post's metrics are refreshed on demand at most once per window: the platforms' rate limits
# are shared by every post of the account.
REFRESH_WINDOW = timedelta(minutes=5)


def post_metrics(access: WorkspaceAccess, post_id: str) -> PostMetrics:
    if not post_exists(access.workspace_id, post_id):
        raise NotFound(f"Post {post_id} was not found.")
    series: dict[str, list[Snapshot]] = defaultdict(list)
    for snapshot in MetricsSnapshotItem.of_post(access.workspace_id, post_id):
        series[snapshot.account_id].append(
            Snapshot(
                taken_at=snapshot.taken_at,
                metrics=snapshot.metrics,
                extras=snapshot.extras or {},
            )
        )
    targets = [
        TargetMetrics(
            account_id=target.account_id,
            platform=target.platform,
            platform_post_id=target.platform_post_id,
            published_at=target.published_at,
            collected_at=target.collected_at,
            next_collection_at=target.due_at,
            metrics=target.last or {},
            extras=target.extras or {},
            engagements=engagements(target.last or {}),
            series=series.get(target.account_id, []),
            account_median=compared(target, access.workspace_id),
        )
        for target in MetricsTargetItem.of_post(access.workspace_id, post_id)
    ]
    return PostMetrics(post_id=post_id, targets=targets)


def refresh(access: WorkspaceAccess, post_id: str) -> RefreshOutcome:
    if not post_exists(access.workspace_id, post_id):
        raise NotFound(f"Post {post_id} was not found.")
    hits, window_end = count_in_window(
        key("WS", access.workspace_id), ("METRICSREFRESH", post_id), REFRESH_WINDOW
    )
    if hits > 1:
        wait = int((window_end - utc_now()).total_seconds()) + 1
        raise TooManyRequests(
            f"This post's metrics were refreshed less than {REFRESH_WINDOW.seconds // 60} "
            f"minutes ago; try again in {wait} seconds.",
            retry_after_seconds=wait,
        )
    try:
        report = metrics_collector.refresh_post(access.workspace_id, post_id)
    except metrics_collector.CollectorUnanswered:
        raise ServiceUnavailable(
            "The metrics collector did not answer; the metrics were not refreshed."
        ) from None
    return RefreshOutcome(
        collected=int(report.get("collected", 0)),
        gone=int(report.get("gone", 0)),
        postponed=int(report.get("postponed", 0)),
        post=post_metrics(access, post_id),
    )


def require_period(first: date, last: date) -> None:
    """422 unless `first` to `last` is a period a report answers (at most 366 days)."""
    if last < first:
        problem = "must not be before `from`"
    elif (last - first).days + 1 > MAX_OVERVIEW_DAYS:
        problem = f"a period spans at most {MAX_OVERVIEW_DAYS} days"
    else:
        return
    raise ValidationFailed(
        f"The period is not usable: `to` {problem}.",
        errors=[FieldError(pointer="/query/to", detail=problem, code="period_invalid")],
    )


def overview(access: WorkspaceAccess, first: date, last: date) -> Overview:
    require_period(first, last)
    length = last - first + timedelta(days=1)
    if first - date.min < length:
        problem = "leaves no room for the previous period before the year 1"
        raise ValidationFailed(
            f"The period is not usable: `from` {problem}.",
            errors=[FieldError(pointer="/query/from", detail=problem, code="period_invalid")],
        )
    previous_first = first - length
    previous_last = first - timedelta(days=1)
    workspace = WorkspaceItem.find(access.workspace_id)
    items = list(MetricsDayItem.between(access.workspace_id, previous_first, last))
    boundary = first.isoformat()
    current_followers, previous_followers = follower_growth(
        access.workspace_id, [(first, last), (previous_first, previous_last)]
    )
    return Overview(
        timezone=workspace.timezone if workspace is not None else "UTC",
        current=_period(
            first, last, [item for item in items if item.day() >= boundary], current_followers
        ),
        previous=_period(
            previous_first,
            previous_last,
            [item for item in items if item.day() < boundary],
            previous_followers,
        ),
    )


def _period(
    first: date, last: date, items: list[MetricsDayItem], followers: FollowerGrowthSummary
) -> Period:
    by_platform: dict[str, list[MetricsDayItem]] = defaultdict(list)
    by_account: dict[str, list[MetricsDayItem]] = defaultdict(list)
    for item in items:
        by_platform[item.platform or "unknown"].append(item)
        by_account[item.account_id or "unknown"].append(item)
    return Period(
        from_date=first.isoformat(),
        to_date=last.isoformat(),
        totals=day_totals(items),
        by_platform={name: day_totals(group) for name, group in sorted(by_platform.items())},
        by_account={name: day_totals(group) for name, group in sorted(by_account.items())},
        followers=followers,
    )


def day_totals(items: Iterable[MetricsDayItem]) -> Totals:
    return totals(*day_sums(items))
