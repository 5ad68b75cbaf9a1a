"""Engagement by day, platform and local weekday x hour, top posts, labels compared, and an
account's best times (docs/analytics.md, "Engagement reports").

Each reads rollups the collector keeps up to date on write (functions/shared/metrics_rollups.py)
by key: one query of the period's post items (days x accounts) or label items (days x labels),
or one item for best times. Days are the workspace's, as the posts were counted when published.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from functions.analytics.domain.engagement_models import (
    DayTotals,
    Engagement,
    HourTotals,
    Labels,
    LabelTotals,
    TopMetric,
    TopPost,
    TopPosts,
    TopPostTarget,
)
from functions.analytics.domain.metrics_models import Totals
from functions.analytics.domain.metrics_reports import require_period, totals
from functions.shared.access import WorkspaceAccess
from functions.shared.best_times import BestTimes, best_times
from functions.shared.identity_items import WorkspaceItem
from functions.shared.metrics_rollups import (
    PublishedPost,
    label_days,
    published_posts,
    summed,
)


def _timezone(workspace_id: str) -> str:
    workspace = WorkspaceItem.find(workspace_id)
    return workspace.timezone if workspace is not None else "UTC"


def _totals_of(posts: Iterable[PublishedPost]) -> Totals:
    listed = list(posts)
    return totals(len(listed), summed(post.metrics for post in listed))


def engagement(
    access: WorkspaceAccess, first: date, last: date, platform: str | None
) -> Engagement:
    require_period(first, last)
    posts = [
        post
        for post in published_posts(access.workspace_id, first, last)
        if platform is None or post.platform == platform
    ]
    by_day: dict[str, list[PublishedPost]] = defaultdict(list)
    by_platform: dict[str, list[PublishedPost]] = defaultdict(list)
    by_slot: dict[tuple[int, int], list[PublishedPost]] = defaultdict(list)
    for post in posts:
        by_day[post.day].append(post)
        by_platform[post.platform].append(post)
        by_slot[(post.weekday, post.hour)].append(post)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return Engagement(
        timezone=_timezone(access.workspace_id),
        from_date=first.isoformat(),
        to_date=last.isoformat(),
        platform=platform,
        totals=_totals_of(posts),
        by_day=[
            DayTotals(day=day.isoformat(), **_totals_of(by_day[day.isoformat()]).model_dump())
            for day in days
        ],
        by_platform={name: _totals_of(group) for name, group in sorted(by_platform.items())},
        by_weekday_hour=[
            HourTotals(weekday=weekday, hour=hour, **_totals_of(group).model_dump())
            for (weekday, hour), group in sorted(by_slot.items())
        ],
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
    per_post: dict[str, list[PublishedPost]] = defaultdict(list)
    for post in published_posts(access.workspace_id, first, last):
        if (platform is None or post.platform == platform) and (
            label is None or label in post.labels
        ):
            per_post[post.post_id].append(post)
    ranked = []
    for post_id, targets in per_post.items():
        figures = _totals_of(targets)
        value = _value(figures, metric)
        if value is not None:
            ranked.append((value, min(t.published_at for t in targets), post_id, figures))
    ranked.sort(key=lambda entry: (-entry[0], -entry[1].timestamp(), entry[2]))
    return TopPosts(
        timezone=_timezone(access.workspace_id),
        metric=metric,
        from_date=first.isoformat(),
        to_date=last.isoformat(),
        platform=platform,
        label=label,
        posts=[
            TopPost(
                rank=rank,
                post_id=post_id,
                value=value,
                published_at=published_at,
                labels=sorted({name for t in per_post[post_id] for name in t.labels}),
                totals=figures,
                targets=[
                    TopPostTarget(
                        account_id=target.account_id,
                        platform=target.platform,
                        published_at=target.published_at,
                        metrics=dict(target.metrics),
                    )
                    for target in sorted(per_post[post_id], key=lambda t: t.account_id)
                ],
            )
            for rank, (value, published_at, post_id, figures) in enumerate(ranked[:limit], 1)
        ],
    )


def _value(figures: Totals, metric: TopMetric) -> float | None:
    """The post's figure for `metric`; None when it has none to rank by (a rate without
    impressions)."""
    if metric == "engagement_rate":
        return figures.engagement_rate
    if metric == "engagements":
        return figures.engagements
    return figures.metrics[metric]


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
