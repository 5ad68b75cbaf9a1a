"""The account report: an account's follower trend from its daily numbers and its engagement
trend from the day rollups of what it published (docs/analytics.md, "Account metrics").

Both are read by key: the account's days are one query of its sort-key range, O(days); the day
rollups one query of the period's days, O(days x accounts), keeping this account's."""

from datetime import date

from functions.analytics.domain.account_growth import growth
from functions.analytics.domain.account_report_models import (
    AccountDay,
    AccountReport,
    EngagementDay,
    FollowerTrend,
)
from functions.analytics.domain.metrics_reports import day_totals, require_period
from functions.shared.access import WorkspaceAccess
from functions.shared.account_metrics import AccountDayItem, account_platform
from functions.shared.identity_items import WorkspaceItem
from functions.shared.post_metrics import MetricsDayItem
from functions.shared.problems import NotFound


def account_report(
    access: WorkspaceAccess, account_id: str, first: date, last: date
) -> AccountReport:
    require_period(first, last)
    platform = account_platform(access.workspace_id, account_id)
    if platform is None:
        raise NotFound(f"Account {account_id} was not found.")
    workspace = WorkspaceItem.find(access.workspace_id)
    days = AccountDayItem.between(access.workspace_id, account_id, first, last)
    rollups = [
        item
        for item in MetricsDayItem.between(access.workspace_id, first, last)
        if item.account_id == account_id
    ]
    return AccountReport(
        account_id=account_id,
        platform=platform,
        timezone=workspace.timezone if workspace is not None else "UTC",
        from_date=first.isoformat(),
        to_date=last.isoformat(),
        followers=FollowerTrend(
            **growth(access.workspace_id, account_id, first, last).model_dump(),
            series=[
                AccountDay(day=item.day(), metrics=item.metrics, extras=item.extras or {})
                for item in days
            ],
        ),
        engagement=[_engagement_day(item) for item in rollups],
        totals=day_totals(rollups),
    )


def _engagement_day(item: MetricsDayItem) -> EngagementDay:
    day = day_totals([item])
    return EngagementDay(
        day=item.day(),
        posts=day.posts,
        impressions=day.impressions,
        engagements=day.engagements,
        engagement_rate=day.engagement_rate,
    )
