"""Collecting the platform metrics of published targets (docs/analytics.md, "Platform metrics").

Publishing a target starts its schedule (`start_metrics`, in the publish transaction): it is
looked at 1 h, 6 h, 24 h, 3 days, 7 days and 30 days after publication, then weekly up to 90
days, when nearly all of a post's audience has come. Each target waits on the table's `by-due`
index under `METRICS#<shard>`; a run (every 15 minutes) takes what is due, longest overdue first,
groups it per account and asks each platform for as many posts per request as it allows (X 100,
YouTube 50, TikTok 20; the others one at a time). A run that comes late skips the steps it
missed rather than catching up on each.

Each answer becomes a snapshot, and the target's day rollup takes the snapshot's delta from the
last one, in one transaction conditional on the target's version: two collections of the same
target at once cannot both add their delta.
"""

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import (
    BatchMetrics,
    ConnectedAccount,
    Permanent,
    PlatformAdapter,
    ReauthRequired,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.post_items import (
    PostItem,
    TargetItem,
    due_bucket,
    longest_overdue,
)
from functions.publish.domain.account_metrics_collection import record_account_post
from functions.publish.domain.platform_calls import call_platform
from functions.shared import metrics_rollups
from functions.shared.identity_items import WorkspaceItem
from functions.shared.observability import logger
from functions.shared.post_metrics import (
    SUMMED,
    MetricsDayItem,
    MetricsSnapshotItem,
    MetricsTargetItem,
    normalize,
)
from functions.shared.tables import transaction, utc_now

# When each scheduled collection falls, counted from publication.
SCHEDULE = (
    *(timedelta(hours=hours) for hours in (1, 6, 24, 72, 168, 720)),
    *(timedelta(days=days) for days in range(37, 91, 7)),
)
# After a refused token or an account that is not active, the next try; after a rate limit,
# the platform's Retry-After if longer.
POSTPONED_BY = timedelta(hours=1)
RATE_LIMITED_BY = timedelta(minutes=5)
# One run takes at most this many targets; what is left waits for the next run.
TARGETS_PER_RUN = 1000
CONCURRENT_ACCOUNTS = 8


@dataclass
class CollectionReport:
    collected: int = 0
    requests: int = 0
    gone: int = 0
    postponed: int = 0
    conflicts: int = 0


def next_due(published_at: datetime, now: datetime) -> datetime | None:
    """The first scheduled collection after `now`, None once the schedule has ended."""
    for offset in SCHEDULE:
        if published_at + offset > now:
            return published_at + offset
    return None


def start_metrics(
    write: TransactWrite, target: TargetItem, platform_post_id: str | None, now: datetime
) -> None:
    """Add to a published target's transaction its metrics schedule and its post in the
    account's day rollup (the day in the workspace's timezone). `platform_post_id`: the post's
    (or its thread's first part's) id, which the same transaction records on the target."""
    if not platform_post_id:
        return
    workspace = WorkspaceItem.find(target.workspace_id)
    timezone = workspace.timezone if workspace is not None else "UTC"
    day = now.astimezone(ZoneInfo(timezone)).date().isoformat()
    weekday, hour = metrics_rollups.local_slot(now, timezone)
    post = PostItem.find(target.workspace_id, target.post_id)
    first = now + SCHEDULE[0]
    tracked = MetricsTargetItem(
        *MetricsTargetItem.keys(target.workspace_id, target.post_id, target.account_id),
        workspace_id=target.workspace_id,
        post_id=target.post_id,
        account_id=target.account_id,
        platform=target.platform,
        platform_post_id=platform_post_id,
        published_at=now,
        day=day,
        labels=set(post.labels or ()) or None if post is not None else None,
        slot=metrics_rollups.slot_name(weekday, hour),
        due_bucket=due_bucket("METRICS", target.account_id),
        due_at=first,
    )
    write.save(tracked)
    metrics_rollups.start(write, tracked, weekday, hour)
    record_account_post(write, target, now)
    write.update(
        MetricsDayItem(*MetricsDayItem.keys(target.workspace_id, day, target.account_id)),
        actions=[
            MetricsDayItem.posts.add(1),
            MetricsDayItem.account_id.set(target.account_id),
            MetricsDayItem.platform.set(target.platform),
        ],
    )


def collect_due() -> CollectionReport:
    """Collect what is due, longest overdue first, at most `TARGETS_PER_RUN`."""
    now = utc_now()
    due = longest_overdue(
        MetricsTargetItem.by_due, "METRICS", MetricsTargetItem.due_at <= now, TARGETS_PER_RUN
    )
    targets = [
        item
        for entry in due
        if (item := MetricsTargetItem.find_key(entry.pk, entry.sk)) is not None
        and item.due_at is not None
        and item.due_at <= now
    ]
    report = CollectionReport()
    asyncio.run(_collect_all(targets, report, scheduled=True))
    logger.info("metrics collection finished", extra=vars(report))
    return report


def refresh_post(workspace_id: str, post_id: str) -> CollectionReport:
    """Collect every published target of a post now, outside its schedule (which goes on)."""
    report = CollectionReport()
    asyncio.run(_collect_all(MetricsTargetItem.of_post(workspace_id, post_id), report, False))
    return report


async def _collect_all(
    targets: Sequence[MetricsTargetItem], report: CollectionReport, scheduled: bool
) -> None:
    per_account: dict[tuple[str, str], list[MetricsTargetItem]] = defaultdict(list)
    for target in targets:
        per_account[(target.workspace_id, target.account_id)].append(target)
    gate = asyncio.Semaphore(CONCURRENT_ACCOUNTS)

    async def one(account_key: tuple[str, str], items: list[MetricsTargetItem]) -> None:
        async with gate:
            await _collect_account(*account_key, items, report, scheduled)

    await asyncio.gather(*(one(k, items) for k, items in per_account.items()))


async def _collect_account(
    workspace_id: str,
    account_id: str,
    targets: list[MetricsTargetItem],
    report: CollectionReport,
    scheduled: bool,
) -> None:
    account = SocialAccountItem.find(workspace_id, account_id)
    if account is None:
        for target in targets:
            _stop(target)  # disconnected: its numbers can no longer be read
        return
    if account.status != "active":
        _postpone(targets, POSTPONED_BY, report, scheduled)
        return
    ids = [target.platform_post_id for target in targets]
    try:
        found, requests = await call_platform(account, _lookup(ids))
    except Retryable as busy:
        wait = max(RATE_LIMITED_BY, timedelta(seconds=busy.retry_after or 0))
        _postpone(targets, wait, report, scheduled)
        return
    except ReauthRequired:
        _postpone(targets, POSTPONED_BY, report, scheduled)  # call_platform marked the account
        return
    except Permanent as refused:
        # The platform will not give these numbers (a missing scope, say): try at the next step.
        logger.warning(
            "metrics refused", extra={"platform": account.platform, "reason": refused.message}
        )
        report.requests += 1
        if scheduled:
            for target in targets:
                _record(target, None, report, scheduled)
        return
    report.requests += requests
    for target in targets:
        reported = found.get(target.platform_post_id)
        if reported is None:
            report.gone += 1
            _stop(target)  # deleted on the platform: the last numbers stay
        else:
            _record(target, reported, report, scheduled)


type Found = tuple[dict[str, dict[str, int]], int]  # metrics per id found, requests made


def _lookup(
    ids: list[str],
) -> Callable[[PlatformAdapter, TokenSet, ConnectedAccount], Awaitable[Found]]:
    async def lookup(
        adapter: PlatformAdapter, tokens: TokenSet, account: ConnectedAccount
    ) -> Found:
        found: dict[str, dict[str, int]] = {}
        if isinstance(adapter, BatchMetrics):
            size = adapter.metrics_batch_size
            batches = [ids[start : start + size] for start in range(0, len(ids), size)]
            for batch in batches:
                found |= await adapter.metrics_many(tokens, account, batch)
            return found, len(batches)
        for platform_post_id in ids:
            try:
                found[platform_post_id] = await adapter.metrics(tokens, account, platform_post_id)
            except Permanent:
                continue  # this post is gone; the others may not be
        return found, len(ids)

    return lookup


def _record(
    target: MetricsTargetItem,
    reported: dict[str, int] | None,
    report: CollectionReport,
    scheduled: bool,
) -> None:
    """Store a snapshot and its delta (`reported` None: nothing was read, the schedule moves
    on)."""
    now = utc_now()
    actions: list[Action] = []
    if scheduled:
        due = next_due(target.published_at, now)
        actions += [
            MetricsTargetItem.collections.add(1),
            MetricsTargetItem.due_at.set(due) if due else MetricsTargetItem.due_at.remove(),
            MetricsTargetItem.due_bucket.set(due_bucket("METRICS", target.account_id))
            if due
            else MetricsTargetItem.due_bucket.remove(),
        ]
    try:
        with transaction() as write:
            if reported is not None:
                metrics, extras = normalize(target.platform, reported)
                previous = target.last or {}
                delta = {
                    name: metrics.get(name, 0) - int(previous.get(name, 0))
                    for name in SUMMED
                    if metrics.get(name, 0) != int(previous.get(name, 0))
                }
                write.save(
                    MetricsSnapshotItem(
                        *MetricsSnapshotItem.keys(
                            target.workspace_id, target.post_id, target.account_id, now
                        ),
                        account_id=target.account_id,
                        platform=target.platform,
                        taken_at=now,
                        metrics=metrics,
                        extras=extras or None,
                    )
                )
                actions += [
                    MetricsTargetItem.last.set(metrics),
                    MetricsTargetItem.extras.set(extras)
                    if extras
                    else MetricsTargetItem.extras.remove(),
                    MetricsTargetItem.collected_at.set(now),
                ]
                if delta:
                    write.update(
                        MetricsDayItem(
                            *MetricsDayItem.keys(target.workspace_id, target.day, target.account_id)
                        ),
                        actions=[
                            MetricsDayItem.account_id.set(target.account_id),
                            MetricsDayItem.platform.set(target.platform),
                            *(getattr(MetricsDayItem, name).add(n) for name, n in delta.items()),
                        ],
                    )
                metrics_rollups.record(write, target, metrics, delta)
            write.update(target, actions=actions)
    except TransactWriteError:
        report.conflicts += 1  # collected by another run meanwhile: its delta is in
        return
    if reported is not None:
        report.collected += 1


def _postpone(
    targets: Sequence[MetricsTargetItem], wait: timedelta, report: CollectionReport, scheduled: bool
) -> None:
    report.postponed += len(targets)
    if not scheduled:
        return  # a refresh asked now leaves the schedule as it is
    for target in targets:
        target.update(actions=[MetricsTargetItem.due_at.set(utc_now() + wait)])


def _stop(target: MetricsTargetItem) -> None:
    target.update(
        actions=[MetricsTargetItem.due_at.remove(), MetricsTargetItem.due_bucket.remove()]
    )
