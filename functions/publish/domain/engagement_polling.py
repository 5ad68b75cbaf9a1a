"""Polling for comments and mentions where no webhook brings them (docs/inbox.md, "Polling").

- Comments on a published post, for the platforms whose comments no webhook an app like Herald
  can subscribe to carries: YouTube (WebSub announces a channel's videos, never comments) and
  LinkedIn (its webhooks are for partner apps). Polled on a decaying schedule after publishing,
  when nearly all comments arrive, for about eight days.
- Mentions of an X account, every 15 minutes while it is connected. A reply to the account's
  post names the account, so this also finds the replies to what Herald published. Once a minute
  at most of X's per-user limit on the mentions timeline.

Each poll asks for what is newer than the platform cursor it kept, and hands each item found to
the inbound queue (`functions/shared/inbound.py`) as a `polled` event, keyed by the platform's
item id: the processor records it once, whether a webhook brought it already or not. More new
items than a page are read page by page (the adapter's cursor remembers the page), a few pages
per poll; the rest a minute later, before the schedule moves on.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    EngagementPage,
    NotSupported,
    Permanent,
    PlatformAdapter,
    ReauthRequired,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.poll_items import PollItem
from functions.publish.adapters.post_items import TargetItem, due_bucket, longest_overdue
from functions.publish.domain.platform_calls import call_platform
from functions.publish.domain.x_account_activity import x_activity_subscribed
from functions.shared.inbound import InboundDelivery, accept
from functions.shared.observability import logger
from functions.shared.tables import utc_now

COMMENTS_POLLED = frozenset({"youtube", "linkedin"})
MENTIONS_POLLED = frozenset({"x"})
# The wait before each poll of a post's comments, counted from the one before.
COMMENT_WAITS = tuple(
    timedelta(minutes=minutes)
    for minutes in (5, 10, 15, 30, 60, 120, 240, 480, 720, 1440, 1440, 2880, 4320)
)
MENTIONS_EVERY = timedelta(minutes=15)
# After a refused token or a rate limit, the next try; a platform's Retry-After wins if longer.
POSTPONED_BY = timedelta(hours=1)
RATE_LIMITED_BY = timedelta(minutes=5)
# One run (every 5 minutes) polls at most this many, a few at a time: what is left waits for
# the next run, which takes the longest-overdue first.
POLLS_PER_RUN = 200
CONCURRENT_POLLS = 8
# A poll reads at most this many pages; a longer burst goes on after a short wait.
PAGES_PER_POLL = 5
MORE_WAITING_AFTER = timedelta(minutes=1)
POLLED = "polled"  # the inbound event's platform: an engagement normalized already


@dataclass
class PollReport:
    polled: int = 0
    found: int = 0
    queued: int = 0
    postponed: int = 0
    finished: int = 0


def start_polling(write: TransactWrite, target: TargetItem, now: datetime) -> None:
    """Add to a published target's transaction what polling its engagement needs, if any: the
    post's comments poll, and the account's mentions poll unless it exists."""
    if target.platform in COMMENTS_POLLED and target.platform_post_id:
        pk, sk = PollItem.comments_keys(target.workspace_id, target.post_id, target.account_id)
        write.save(
            PollItem(
                pk,
                sk,
                workspace_id=target.workspace_id,
                account_id=target.account_id,
                post_id=target.post_id,
                kind="comments",
                platform=target.platform,
                platform_post_id=target.platform_post_id,
                due_bucket=_bucket(target.account_id),
                due_at=now + COMMENT_WAITS[0],
            )
        )
    if target.platform in MENTIONS_POLLED:
        keys = PollItem.mentions_keys(target.workspace_id, target.account_id)
        if PollItem.find_key(*keys) is not None:
            return  # watched already: it keeps its cursor and its place
        # Created only if still absent (the item's version condition): should another post of
        # the account publish meanwhile and create it, this transaction is cancelled and the
        # target is retried as after any failed write, finding the item there.
        write.save(
            PollItem(
                *keys,
                workspace_id=target.workspace_id,
                account_id=target.account_id,
                kind="mentions",
                platform=target.platform,
                due_bucket=_bucket(target.account_id),
                due_at=now + MENTIONS_EVERY,
            )
        )


def _bucket(account_id: str) -> str:
    return due_bucket("POLLS", account_id)


def poll_due() -> PollReport:
    """Poll what is due, longest overdue first, at most `POLLS_PER_RUN`."""
    now = utc_now()
    due = longest_overdue(PollItem.by_due, "POLLS", PollItem.due_at <= now, POLLS_PER_RUN)
    report = PollReport()
    asyncio.run(_poll_all(due, report))
    logger.info("engagement poll finished", extra=vars(report))
    return report


async def _poll_all(due: Sequence[PollItem], report: PollReport) -> None:
    gate = asyncio.Semaphore(CONCURRENT_POLLS)

    async def one(entry: PollItem) -> None:
        async with gate:
            await _poll(entry, report)

    await asyncio.gather(*(one(entry) for entry in due))


async def _poll(entry: PollItem, report: PollReport) -> None:
    item = PollItem.find_key(entry.pk, entry.sk)
    if item is None or item.due_at > utc_now():
        return  # another run polled it meanwhile
    account = SocialAccountItem.find(item.workspace_id, item.account_id)
    if account is None:
        item.delete()  # disconnected: nothing to watch any more
        report.finished += 1
        return
    if account.status != "active":
        _postpone(item, POSTPONED_BY, item.cursor, report)
        return
    if item.kind == "mentions" and x_activity_subscribed(item.workspace_id, item.account_id):
        # X pushes this account's mentions and replies: look again later, in case the
        # subscription lapses.
        _postpone(item, MENTIONS_EVERY, item.cursor, report)
        return
    cursor, more = item.cursor, False
    for _ in range(PAGES_PER_POLL):
        try:
            page = await call_platform(account, _listing(item, cursor))
        except Retryable as busy:
            wait = max(RATE_LIMITED_BY, timedelta(seconds=busy.retry_after or 0))
            _postpone(item, wait, cursor, report)
            return
        except ReauthRequired:
            _postpone(item, POSTPONED_BY, cursor, report)  # call_platform marked the account
            return
        except (NotSupported, Permanent) as refused:
            # The post is gone, or the platform will not list it for us: polling again cannot
            # help.
            logger.warning(
                "engagement poll stopped",
                extra={"platform": item.platform, "kind": item.kind, "reason": refused.message},
            )
            item.delete()
            report.finished += 1
            return
        report.polled += 1
        report.found += len(page.items)
        # Queued page by page, before the cursor moves past them: a poll cut short reads them
        # again, and their receipts keep them from being queued twice.
        report.queued += accept(
            [
                InboundDelivery(
                    POLLED, f"{found.platform}:{found.platform_item_id}", found.to_payload()
                )
                for found in page.items
            ]
        )
        cursor, more = page.cursor or cursor, page.more
        if not more:
            break
    if more:
        # A burst longer than this run reads: the rest comes next, before the schedule goes on.
        _postpone(item, MORE_WAITING_AFTER, cursor, report)
        return
    _advance(item, cursor, report)


def _listing(
    item: PollItem, cursor: str | None
) -> Callable[[PlatformAdapter, TokenSet, ConnectedAccount], Awaitable[EngagementPage]]:
    if item.kind == "comments":
        platform_post_id = item.platform_post_id or ""
        return lambda adapter, tokens, who: adapter.list_comments(
            tokens, who, platform_post_id, cursor
        )
    return lambda adapter, tokens, who: adapter.list_mentions(tokens, who, cursor)


def _advance(item: PollItem, cursor: str | None, report: PollReport) -> None:
    polls = int(item.polls) + 1
    if item.kind == "comments":
        if polls >= len(COMMENT_WAITS):
            item.delete()
            report.finished += 1
            return
        wait = COMMENT_WAITS[polls]
    else:
        wait = MENTIONS_EVERY
    item.update(
        actions=[
            PollItem.polls.set(polls),
            PollItem.due_at.set(utc_now() + wait),
            _keep(cursor),
        ]
    )


def _postpone(item: PollItem, wait: timedelta, cursor: str | None, report: PollReport) -> None:
    """Poll again after `wait`, from `cursor` (where the pages read so far left it)."""
    item.update(actions=[PollItem.due_at.set(utc_now() + wait), _keep(cursor)])
    report.postponed += 1


def _keep(cursor: str | None) -> Action:
    return PollItem.cursor.set(cursor) if cursor else PollItem.cursor.remove()
