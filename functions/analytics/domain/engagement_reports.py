"""Engagement by day, platform and local weekday x hour, top posts, labels compared, and an
account's best times (docs/analytics.md, "Engagement reports").

Each reads rollups the collector keeps up to date on write (functions/shared/metrics_rollups.py)
by key: one query of the period's post items (days x accounts) or label items (days x labels),
or one item for best times. Days are the workspace's, as the posts were counted when published.
"""

from collections import defaultdict
from datetime import date

from functions.analytics.domain.engagement_models import (
    Engagement,
    Labels,
    LabelTotals,
    TopPosts,
)
from functions.analytics.domain.metrics_reports import require_period
from functions.shared import engagement_figures
from functions.shared.access import WorkspaceAccess
from functions.shared.best_times import BestTimes, best_times
from functions.shared.engagement_figures import TopMetric, totals
from functions.shared.identity_items import WorkspaceItem
from functions.shared.metrics_rollups import label_days, summed


def _timezone(workspace_id: str) -> str:
    workspace = WorkspaceItem.find(workspace_id)
    return workspace.timezone if workspace is not None else "UTC"


def engagement(
    access: WorkspaceAccess, first: date, last: date, platform: str | None
) -> Engagement:
    require_period(first, last)
    figures = engagement_figures.breakdown(access.workspace_id, first, last, platform)
    return Engagement(
        timezone=_timezone(access.workspace_id),
        from_date=first.isoformat(),
        to_date=last.isoformat(),
        platform=platform,
        totals=figures.totals,
        by_day=figures.by_day,
        by_platform=figures.by_platform,
        by_weekday_hour=figures.by_weekday_hour,
    )


def top_posts(
    access: WorkspaceAccess,
    first: date,
    last: date,
    metric: TopMetric,
    platform: str | None,
    label: str | None,
    limit: int,
) -> TopPosts:
    require_period(first, last)
    return TopPosts(
        timezone=_timezone(access.workspace_id),
        metric=metric,
        from_date=first.isoformat(),
        to_date=last.isoformat(),
        platform=platform,
        label=label,
        posts=engagement_figures.top_posts(
            access.workspace_id, first, last, metric, platform, label, limit
        ),
    )


def labels(access: WorkspaceAccess, first: date, last: date) -> Labels:
    require_period(first, last)
    posts: dict[str, int] = defaultdict(int)
    earned: dict[str, list[dict[str, int]]] = defaultdict(list)
    for day in label_days(access.workspace_id, first, last):
        posts[day.label] += day.posts
        earned[day.label].append(dict(day.metrics))
    compared = [
        LabelTotals(label=label, **totals(posts[label], summed(earned[label])).model_dump())
        for label in posts
    ]
    compared.sort(key=lambda entry: (-entry.engagements, entry.label))
    return Labels(
        timezone=_timezone(access.workspace_id),
        from_date=first.isoformat(),
        to_date=last.isoformat(),
        labels=compared,
    )


def account_best_times(access: WorkspaceAccess, account_id: str, count: int) -> BestTimes:
    return best_times(access.workspace_id, account_id, count)
