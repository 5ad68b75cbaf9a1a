"""Collecting account-level metrics once a day per account (docs/analytics.md, "Account
metrics").

Connecting an account (or connecting it again) writes its daily schedule in the connection's
transaction (`schedule_account`), due at once: it waits on the table's `by-due` index under
`ACCOUNTMETRICS#<shard>`. Each 15-minute run of the metrics collector takes the accounts that
are due, reads each one's numbers with one request (its adapter's `account_metrics`) and keeps
them as the account's item of that day in the workspace's timezone; the next collection falls
early in the next local day, at a time drawn from the account id within `SPREAD`, so the runs
after midnight share the accounts out rather than take them all at once, and every local day
gets its one read however late a run comes.

An account that is gone stops its schedule; one that needs reconnecting, or a busy platform,
waits; a platform that offers no account numbers (`NotSupported`, a missing scope) is asked
again the next day.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pynamodb.transactions import TransactWrite

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import (
    AccountMetrics,
    ConnectedAccount,
    NotSupported,
    Permanent,
    PlatformAdapter,
    ReauthRequired,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.post_items import TargetItem, due_bucket, longest_overdue
from functions.publish.domain.platform_calls import call_platform
from functions.shared.account_metrics import (
    ACCOUNT_DUE_KIND,
    AccountDayItem,
    AccountMetricsScheduleItem,
    AccountPostItem,
    split_account_metrics,
)
from functions.shared.identity_items import WorkspaceItem
from functions.shared.observability import logger
from functions.shared.tables import utc_now

ACCOUNTS_PER_RUN = 500
CONCURRENT_ACCOUNTS = 8
# The daily collection falls within this long after local midnight.
SPREAD = timedelta(hours=2)
POSTPONED_BY = timedelta(hours=1)
RATE_LIMITED_BY = timedelta(minutes=15)


@dataclass
class AccountCollectionReport:
    collected: int = 0
    unsupported: int = 0
    postponed: int = 0
    stopped: int = 0


def schedule_account(
    write: TransactWrite, workspace_id: str, account_id: str, platform: str
) -> None:
    """Add to an account's connection its daily collection, the first one due now."""
    write.save(
        AccountMetricsScheduleItem(
            *AccountMetricsScheduleItem.keys(workspace_id, account_id),
            workspace_id=workspace_id,
            account_id=account_id,
            platform=platform,
            due_bucket=due_bucket(ACCOUNT_DUE_KIND, account_id),
            due_at=utc_now(),
        )
    )


def record_account_post(write: TransactWrite, target: TargetItem, now: datetime) -> None:
    """Add to a published target's transaction its place among the account's recent posts."""
    write.save(
        AccountPostItem(
            *AccountPostItem.keys(target.workspace_id, target.account_id, now, target.post_id),
            post_id=target.post_id,
            published_at=now,
        )
    )


def next_collection(account_id: str, zone: ZoneInfo, now: datetime) -> datetime:
    """Early in the local day after `now`'s, at the account's own offset within `SPREAD`."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    offset = timedelta(minutes=int(account_id[-4:], 36) % int(SPREAD.total_seconds() // 60))
    return datetime.combine(tomorrow, time(), tzinfo=zone) + offset


def collect_due_accounts() -> AccountCollectionReport:
    """Collect the accounts whose day has come, longest overdue first, at most
    `ACCOUNTS_PER_RUN`."""
    now = utc_now()
    due = longest_overdue(
        AccountMetricsScheduleItem.by_due,
        ACCOUNT_DUE_KIND,
        AccountMetricsScheduleItem.due_at <= now,
        ACCOUNTS_PER_RUN,
    )
    schedules = [
        item
        for entry in due
        if (item := AccountMetricsScheduleItem.find_key(entry.pk, entry.sk)) is not None
        and item.due_at is not None
        and item.due_at <= now
    ]
    report = AccountCollectionReport()
    asyncio.run(_collect_all(schedules, report))
    logger.info("account metrics collection finished", extra=vars(report))
    return report


async def _collect_all(
    schedules: Sequence[AccountMetricsScheduleItem], report: AccountCollectionReport
) -> None:
    gate = asyncio.Semaphore(CONCURRENT_ACCOUNTS)
    zones: dict[str, ZoneInfo] = {}

    async def one(schedule: AccountMetricsScheduleItem) -> None:
        if schedule.workspace_id not in zones:
            workspace = WorkspaceItem.find(schedule.workspace_id)
            zones[schedule.workspace_id] = ZoneInfo(workspace.timezone if workspace else "UTC")
        async with gate:
            await _collect_account(schedule, zones[schedule.workspace_id], report)

    await asyncio.gather(*(one(schedule) for schedule in schedules))


async def _read(
    adapter: PlatformAdapter, tokens: TokenSet, account: ConnectedAccount
) -> dict[str, int]:
    if not isinstance(adapter, AccountMetrics):
        raise NotSupported(adapter.platform, "This platform offers no account metrics.")
    return await adapter.account_metrics(tokens, account)


async def _collect_account(
    schedule: AccountMetricsScheduleItem, zone: ZoneInfo, report: AccountCollectionReport
) -> None:
    account = SocialAccountItem.find(schedule.workspace_id, schedule.account_id)
    if account is None:
        report.stopped += 1  # disconnected: its days stay, nothing more can be read
        schedule.update(
            actions=[
                AccountMetricsScheduleItem.due_at.remove(),
                AccountMetricsScheduleItem.due_bucket.remove(),
            ]
        )
        return
    now = utc_now()
    if account.status != "active":
        _postpone(schedule, now + POSTPONED_BY, report)
        return
    try:
        reported = await call_platform(account, _read)
    except Retryable as busy:
        wait = max(RATE_LIMITED_BY, timedelta(seconds=busy.retry_after or 0))
        _postpone(schedule, now + wait, report)
        return
    except ReauthRequired:
        _postpone(schedule, now + POSTPONED_BY, report)  # call_platform marked the account
        return
    except Permanent as refused:
        logger.info(
            "account metrics not offered",
            extra={"platform": account.platform, "reason": refused.message},
        )
        report.unsupported += 1
        _move_on(schedule, zone, now)
        return
    metrics, extras = split_account_metrics(reported)
    day = now.astimezone(zone).date().isoformat()
    AccountDayItem(
        *AccountDayItem.keys(schedule.workspace_id, schedule.account_id, day),
        account_id=schedule.account_id,
        platform=account.platform,
        taken_at=now,
        metrics=metrics,
        extras=extras or None,
    ).save()
    report.collected += 1
    _move_on(schedule, zone, now)


def _move_on(schedule: AccountMetricsScheduleItem, zone: ZoneInfo, now: datetime) -> None:
    schedule.update(
        actions=[
            AccountMetricsScheduleItem.collected_at.set(now),
            AccountMetricsScheduleItem.due_at.set(next_collection(schedule.account_id, zone, now)),
        ]
    )


def _postpone(
    schedule: AccountMetricsScheduleItem, due: datetime, report: AccountCollectionReport
) -> None:
    report.postponed += 1
    schedule.update(actions=[AccountMetricsScheduleItem.due_at.set(due)])
