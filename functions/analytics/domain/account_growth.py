"""What the platform-metrics reports take from the accounts' own numbers: follower growth over a
period (the overview) and the account's median post (a post's report). Both read by key
(functions/shared/account_metrics.py): follower growth only the days at the period's edges, a
few one-item queries per account whatever the period's length; the median post one query of
the account's latest `RECENT_POSTS` keys and one batch read of their targets."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from statistics import median

from functions.analytics.domain.account_models import (
    FollowerGrowth,
    FollowerGrowthSummary,
    MedianComparison,
)
from functions.shared.account_metrics import (
    AccountDayItem,
    AccountPostItem,
    workspace_schedules,
)
from functions.shared.post_metrics import METRICS, MetricsTargetItem, engagements

# The account's median post is that of its latest posts published before the one compared, at
# most this many, among those whose metrics have been collected.
RECENT_POSTS = 20


def growth(workspace_id: str, account_id: str, first: date, last: date) -> FollowerGrowth:
    """Followers on the period's last day read against the last day read before it (or, when
    none was, the period's first): at most three queries of one item each."""
    end = AccountDayItem.nearest(workspace_id, account_id, first, last, newest=True)
    if end is None or "followers" not in end.metrics:
        return FollowerGrowth(start=None, end=None, growth=None)
    before = AccountDayItem.nearest(
        workspace_id, account_id, None, first - timedelta(days=1), newest=True
    ) or AccountDayItem.nearest(workspace_id, account_id, first, last, newest=False)
    ending = int(end.metrics["followers"])
    if before is None or "followers" not in before.metrics:
        return FollowerGrowth(start=None, end=ending, growth=None)
    starting = int(before.metrics["followers"])
    return FollowerGrowth(start=starting, end=ending, growth=ending - starting)


def follower_growth(
    workspace_id: str, periods: Sequence[tuple[date, date]]
) -> list[FollowerGrowthSummary]:
    """Each period's follower growth, in total, per platform and per account: one query of the
    accounts, then a few queries of one item per account and period, whatever its length."""
    summaries = [FollowerGrowthSummary(growth=0, by_platform={}, by_account={}) for _ in periods]
    for schedule in workspace_schedules(workspace_id):
        for summary, (first, last) in zip(summaries, periods, strict=True):
            found = growth(workspace_id, schedule.account_id, first, last)
            summary.by_account[schedule.account_id] = found
            if found.growth is not None:
                summary.growth += found.growth
                platform = summary.by_platform
                platform[schedule.platform] = platform.get(schedule.platform, 0) + found.growth
    return summaries


def median_post(
    workspace_id: str, account_id: str, post_id: str, published_at: datetime
) -> tuple[int, dict[str, float]]:
    """(how many posts, the median of each metric and of engagements) of the account's recent
    posts published before `published_at`."""
    recent = [
        item.post_id
        for item in AccountPostItem.latest(workspace_id, account_id, published_at, RECENT_POSTS + 1)
        if item.post_id != post_id
    ][:RECENT_POSTS]
    keys = [MetricsTargetItem.keys(workspace_id, post, account_id) for post in recent]
    lasts = [target.last for target in MetricsTargetItem.batch_get(keys) if target.last]
    values: dict[str, list[int]] = defaultdict(list)
    for last in lasts:
        for name in METRICS:
            values[name].append(int(last.get(name, 0)))
        values["engagements"].append(engagements(last))
    return len(lasts), {name: float(median(numbers)) for name, numbers in values.items()}


def compared(target: MetricsTargetItem, workspace_id: str) -> MedianComparison | None:
    """The target against its account's median post; None without a collected recent post."""
    count, medians = median_post(
        workspace_id, target.account_id, target.post_id, target.published_at
    )
    if not count:
        return None
    mine = dict(target.last or {})
    mine["engagements"] = engagements(mine)
    return MedianComparison(
        posts=count,
        metrics={name: value for name, value in medians.items() if name != "engagements"},
        engagements=medians["engagements"],
        ratio={
            name: round(int(mine.get(name, 0)) / value, 4)
            for name, value in medians.items()
            if value > 0
        },
    )
