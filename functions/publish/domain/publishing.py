"""The publish worker's logic: every target of a post published once, or failed with a reason.

A post's schedule fires `FIRE_LEAD` early (Scheduler may deliver up to a minute late); the firing
waits until the post's time, to the second, then claims the post (`scheduled -> publishing`,
conditional on the schedule's `fire_id`) and, in the same transaction, creates one target item
per account already claimed (`publishing`): the firing that wins the post owns its targets, and
the claim costs one request instead of one per target. A target put back to `pending` (a retry)
is claimed on its own. Each target then moves on its own, always through a conditional write, so
two deliveries of the same firing can never both call a platform:

    pending -> publishing -> published
                          -> processing   (async platform: a scheduled check polls it)
                          -> retry_wait   (retryable failure: a scheduled retry with backoff)
                          -> unconfirmed  (the call may have gone through: reconcile, never resend)
                          -> failed       (permanent, re-auth, preflight, or retries exhausted)

A target's next step is a one-time schedule (`<workspace>-t-<digest>`); the sweeper catches any
that is missed through the `by-due` index. When every target has finished, the post becomes
published, partially_failed or failed, and exactly one event says so (the status change is
conditional). Targets of one post publish concurrently.

Once a recurring post has fired, its next occurrence is created and armed here; and a post's
failed targets are retried here, the published ones left alone.
"""

import asyncio
import random
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import sleep
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from ulid import ULID

from functions.publish.adapters import media_files, progress_vault, schedules, worker_calls
from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import (
    Checkpoint,
    ConnectedAccount,
    Permanent,
    PlatformAdapter,
    PublishRequest,
    PublishResult,
    ReauthRequired,
    RecentPost,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.post_items import PostItem, TargetItem, due_bucket
from functions.publish.domain import approval, link_tracking, post_store, schedule_arming
from functions.publish.domain.engagement_polling import start_polling
from functions.publish.domain.metrics_collection import start_metrics
from functions.publish.domain.platform_calls import call_platform
from functions.publish.domain.post_models import Post, PostContent, Recurrence, ThreadPart
from functions.publish.domain.preflight import EffectiveTarget, check_target, effective
from functions.publish.domain.wall_time import next_occurrence
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.events import DomainEvent, write_event
from functions.shared.identity_items import WorkspaceItem
from functions.shared.observability import logger
from functions.shared.platform_links import PlatformPostLink, target_post_ids
from functions.shared.problems import Conflict
from functions.shared.tables import condition_failed, key, transaction, utc_now

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 60
BACKOFF_CAP_SECONDS = 3600
# A target still `publishing` this long after it started was cut off (the worker's timeout is
# 15 minutes): it becomes `unconfirmed`.
STUCK_AFTER = timedelta(minutes=16)
# Platforms list a new post after a short delay: absence is only trusted after this long.
RECONCILE_SETTLE = timedelta(minutes=2)
RECONCILE_EVERY = timedelta(minutes=1)
DEFAULT_CHECK_SECONDS = 30
PROCESSING_LINK_LIFETIME = timedelta(days=2)
FINISHED = ("published", "failed")
CLAIMABLE = ("pending", "retry_wait")
# The longest a firing waits for its post's time: the lead it was armed with and a margin for
# Scheduler delivering it a little early. A firing earlier than that is not waited for (nor
# published): the sweeper publishes the post when the schedule's own firing never comes.
MAX_WAIT = schedule_arming.FIRE_LEAD + timedelta(seconds=10)
_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class FireReport:
    outcome: str  # published, partially_failed, failed, in_progress, stale, gated, early
    targets: dict[str, str]


# --- firing a post -------------------------------------------------------------------------------


def fire_post(workspace_id: str, post_id: str, fire_id: str) -> FireReport:
    post = _armed_post(workspace_id, post_id, fire_id)
    if post is None:
        return FireReport("stale", {})
    if post.due_at is not None and post.due_at > utc_now():
        if post.due_at - utc_now() > MAX_WAIT:
            logger.warning("post fired too early", extra={"post_id": post_id, "due": post.due_at})
            return FireReport("early", {})
        _wait_until(post.due_at)
        # Moved, cancelled or edited during the wait: what is stored now is what counts.
        post = _armed_post(workspace_id, post_id, fire_id)
        if post is None:
            return FireReport("stale", {})
    if approval.missing(post):
        _hold_for_approval(post)
        return FireReport("gated", {})
    content = post_store.content_of(post)
    claimed = _claim_post(post, content, fire_id)
    if claimed is None:
        return FireReport("stale", {})
    specs = {spec.account_id: spec for spec in content.targets}

    def publish(target: _Claimed) -> str:
        spec = effective(content, specs[target.item.account_id])
        return _publish_claimed(post, target.item, spec, target.account)

    # The firing created every target of the post: what it holds of them is all there is.
    settled = _publish_targets(post, claimed, publish, [target.item for target in claimed])
    schedule_next_occurrence(post)
    return _report(post, settled, [target.item for target in claimed])


def _armed_post(workspace_id: str, post_id: str, fire_id: str) -> PostItem | None:
    """The post, if this firing is still its current one."""
    post = PostItem.find(workspace_id, post_id)
    if post is None or post.status != "scheduled" or post.fire_id != fire_id:
        return None
    return post


def _wait_until(moment: datetime) -> None:
    """Sleep until `moment` by the wall clock, the post's time to the second."""
    while (left := (moment - utc_now()).total_seconds()) > 0:
        sleep(left)


def _hold_for_approval(post: PostItem) -> None:
    """A revision nobody approved (approval turned on, or an edit since): it waits for an
    approval, which arms it again at the time it was meant for, instead of publishing."""
    submitted_by = (post.approval or {}).get("submitted_by") or post.created_by
    try:
        with transaction() as write:
            write.update(
                post,
                actions=[
                    PostItem.status.set("pending_approval"),
                    PostItem.approval.set(approval.pending(post, submitted_by, post.scheduled_at)),
                    PostItem.fire_id.remove(),
                    PostItem.due_bucket.remove(),
                    PostItem.due_at.remove(),
                ],
                condition=(PostItem.status == "scheduled") & (PostItem.fire_id == post.fire_id),
            )
            if post.scheduled_at is not None:
                # Off the calendar (and the quotas) until it is approved and armed again.
                post_store.remove_from_calendar(
                    write, post.workspace_id, post.scheduled_at, post.post_id
                )
    except TransactWriteError:
        return
    logger.info("post held for approval", extra={"post_id": post.post_id})


@dataclass(frozen=True, slots=True)
class _Claimed:
    """A target this worker owns (moved to publishing by it alone) and its account, if any."""

    item: TargetItem
    account: SocialAccountItem | None


def _claim_post(post: PostItem, content: PostContent, fire_id: str) -> list[_Claimed] | None:
    """The post moves to publishing with its targets claimed, or None if another firing has it or
    its workspace was deleted (closed at once, its items purged a moment later)."""
    accounts = _accounts(post.workspace_id, [t.account_id for t in content.targets])
    now = utc_now()
    claimed = [
        _Claimed(
            TargetItem(
                *TargetItem.keys(post.workspace_id, post.post_id, spec.account_id),
                post_id=post.post_id,
                workspace_id=post.workspace_id,
                account_id=spec.account_id,
                platform=account.platform if account else "unknown",
                fire_id=fire_id,
                attempts=1,
                **_claim_fields(spec.account_id, now),
            ),
            account,
        )
        for spec in content.targets
        for account in [accounts.get(spec.account_id)]
    ]
    try:
        with transaction() as write:
            write.update(
                post,
                actions=[
                    PostItem.status.set("publishing"),
                    PostItem.due_bucket.remove(),
                    PostItem.due_at.remove(),
                    PostItem.updated_at.set(utc_now()),
                ],
                condition=(PostItem.status == "scheduled") & (PostItem.fire_id == fire_id),
            )
            write.condition_check(
                WorkspaceItem,
                *WorkspaceItem.keys(post.workspace_id),
                condition=WorkspaceItem.deleted_at.does_not_exist(),
            )
            for target in claimed:
                write.save(target.item)
    except TransactWriteError:
        return None
    post.status = "publishing"
    return claimed


def _accounts(workspace_id: str, account_ids: Sequence[str]) -> dict[str, SocialAccountItem]:
    """The accounts that still exist, in one batched read."""
    keys = [SocialAccountItem.keys(workspace_id, account_id) for account_id in account_ids]
    return {item.account_id: item for item in SocialAccountItem.batch_get(keys)}


def _claim_fields(account_id: str, now: datetime) -> dict[str, Any]:
    """A claimed target: publishing, one more attempt, on the `by-due` index until it is
    recorded, so that a worker cut off before recording leaves it to the sweeper."""
    return {
        "state": "publishing",
        "started_at": now,
        "due_bucket": due_bucket("TARGETS", account_id),
        "due_at": now + STUCK_AFTER,
    }


def _publish_targets[T](
    post: PostItem,
    targets: Sequence[T],
    publish: Callable[[T], str],
    held: Sequence[TargetItem] = (),
) -> str | None:
    """Publish the targets concurrently (their time is spent waiting on platforms and AWS),
    then settle the post (`held`: see `settle_post`); the post's final status if it settled."""
    if len(targets) == 1:
        publish(targets[0])
    else:
        with ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="target") as pool:
            list(pool.map(publish, targets))
    return settle_post(post.workspace_id, post.post_id, held)


def _report(
    post: PostItem, settled: str | None = None, held: Sequence[TargetItem] = ()
) -> FireReport:
    """What became of the post; read back unless this worker settled it, holding every target."""
    if settled is not None and held:
        return FireReport(settled, {target.account_id: target.state for target in held})
    fresh = PostItem.find(post.workspace_id, post.post_id)
    targets = TargetItem.of_post(post.workspace_id, post.post_id)
    outcome = fresh.status if fresh is not None else "stale"
    return FireReport(
        "in_progress" if outcome == "publishing" else outcome,
        {target.account_id: target.state for target in targets},
    )


# --- the next occurrence of a recurring post -----------------------------------------------------


def schedule_next_occurrence(item: PostItem) -> str | None:
    """After a recurring post fired: a copy of it armed for the next occurrence."""
    if not item.recurrence or item.scheduled_at is None or not item.timezone:
        return None
    recurrence = Recurrence.model_validate(item.recurrence)
    at = next_occurrence(item.scheduled_at, item.timezone, recurrence)
    if at is None:
        return None
    content = post_store.content_of(item)
    copy = post_store.new_post_item(
        item.workspace_id,
        content,
        item.labels or (),
        item.created_by,
        recurrence=item.recurrence,
        series_id=item.series_id or item.post_id,
    )
    if item.approval and item.approval.get("state") == "approved":
        copy.approval = {**item.approval, "revision": 1}
    post_store.save_new(
        copy, f"system:{key('SERIES', copy.series_id or '')}", "post.occurrence_created"
    )
    schedule_arming.arm(copy, at, item.timezone, actor="system:recurrence")
    return copy.post_id


# --- one target ----------------------------------------------------------------------------------


def publish_target(
    post: PostItem, target: EffectiveTarget, account: SocialAccountItem | None = None
) -> str:
    """Claim the target and publish it; `account` saves a read when the caller has it."""
    item = _claim_target(post.workspace_id, post.post_id, target.spec.account_id)
    if item is None:
        return "skipped"
    account = account or SocialAccountItem.find(post.workspace_id, target.spec.account_id)
    return _publish_claimed(post, item, target, account)


def _publish_claimed(
    post: PostItem, item: TargetItem, target: EffectiveTarget, account: SocialAccountItem | None
) -> str:
    """Publish a target this worker has claimed, and record what became of it."""
    if account is None:
        return _fail(item, "account_gone", "The account was disconnected.", "permanent")
    # Media may have left the library, or the account been disconnected, since scheduling.
    media_ids = _media_ids(target)
    checked = check_target(
        target,
        {account.account_id: post_store.account_fact(account)},
        post_store.asset_facts(post.workspace_id, media_ids) if media_ids else {},
        link_tracking.counted_link_length(post.workspace_id),
    )
    if checked.problems:
        first = checked.problems[0]
        return _fail(item, first.code, first.message, "preflight")
    return _run(item, account, target, lambda: _publish_parts(item, account, target))


def _media_ids(target: EffectiveTarget) -> list[str]:
    ids = list(target.media)
    for part in target.spec.thread:
        ids.extend(part.media)
    return ids


def _claim_target(workspace_id: str, post_id: str, account_id: str) -> TargetItem | None:
    """The target, moved to publishing by this caller alone (read back from the update)."""
    item = TargetItem(*TargetItem.keys(workspace_id, post_id, account_id), account_id=account_id)
    claim = _claim_fields(account_id, utc_now())
    try:
        item.update(
            actions=[
                *(getattr(TargetItem, name).set(value) for name, value in claim.items()),
                TargetItem.attempts.add(1),
                TargetItem.error.remove(),
            ],
            condition=TargetItem.state.is_in(*CLAIMABLE),
            add_version_condition=False,
        )
    except UpdateError:
        return None
    return item


def _run(
    item: TargetItem,
    account: SocialAccountItem,
    target: EffectiveTarget,
    step: Callable[[], "StepOutcome"],
) -> str:
    """Run a step that calls the platform and record what became of the target."""
    try:
        outcome = step()
    except Retryable as error:
        if error.maybe_sent:
            return _unconfirmed(item, error.message)
        return _retry_or_fail(item, error)
    except ReauthRequired as error:
        return _fail(
            item,
            "reauth_required",
            f"{error.message} Reconnect the account, then retry.",
            "reauth",
        )
    except Permanent as error:
        return _fail(item, error.code or "rejected", error.message, "permanent")
    except Exception:
        # Anything else may have struck after the platform accepted the post.
        logger.exception("publishing a target failed unexpectedly", extra=_ids(item))
        return _unconfirmed(item, "Herald stopped before recording the platform's answer.")
    if outcome.processing is not None:
        return _wait_for_processing(item, outcome.processing)
    return _published(item, target, account, outcome.last_part)


@dataclass(frozen=True, slots=True)
class StepOutcome:
    processing: PublishResult | None = None
    # The last part's id and URL, recorded with the published state in one write.
    last_part: tuple[list[str], str | None] | None = None


def _parts(target: EffectiveTarget) -> list[ThreadPart]:
    return [ThreadPart(text=target.text, media=target.media), *target.spec.thread]


def _publish_parts(
    item: TargetItem, account: SocialAccountItem, target: EffectiveTarget
) -> StepOutcome:
    """Publish the parts not yet published, in order, each replying to the one before."""
    parts = _outgoing_parts(item, target)
    done: list[str] = list(item.parts or [])
    options = dict(target.spec.options)
    for index in range(len(done), len(parts)):
        part = parts[index]
        files = media_files.for_assets(item.workspace_id, part.media)
        request = PublishRequest(
            text=part.text,
            media=files,
            options=options if index == 0 else {},
            reply_to=done[-1] if done else None,
            checkpoint=_checkpoint(item, index),
        )
        result = asyncio.run(_publish_one(account, request))
        if result.state == "processing":
            return StepOutcome(processing=result)
        assert result.platform_post_id is not None
        done.append(result.platform_post_id)
        url = result.url if index == 0 else None
        if index == len(parts) - 1 and not target.spec.first_comment:
            return StepOutcome(last_part=(done, url))
        _record_part(item, done, url)
    return StepOutcome()


def _outgoing_parts(item: TargetItem, target: EffectiveTarget) -> list[ThreadPart]:
    """The parts as they go out, links made tracked links where the workspace has them on. They
    are created before any platform call, so a failure here sent nothing: a plain retry."""
    try:
        return link_tracking.with_tracked_links(item, _parts(target))
    except Exception as error:
        logger.exception("creating tracked links failed", extra=_ids(item))
        raise Retryable(item.platform, "Its tracked links could not be created.") from error


def _checkpoint(item: TargetItem, part: int) -> Checkpoint:
    """What an earlier attempt at this part saved (an upload session to resume), and where this
    attempt saves its own: the target's progress, sealed, as `{"resume": {"part", "sealed"}}`.
    Waiting for processing replaces it, and publishing removes it."""
    stored = (item.progress or {}).get("resume") or {}
    saved: dict[str, str] = {}
    if stored.get("part") == part:
        saved = progress_vault.unseal(stored["sealed"], **_vault_context(item))

    async def store(progress: Mapping[str, str]) -> None:
        await asyncio.to_thread(_store_progress, item, part, progress)

    return Checkpoint(saved=saved, store=store)


def _store_progress(item: TargetItem, part: int, progress: Mapping[str, str]) -> None:
    sealed = progress_vault.seal(progress, **_vault_context(item))
    item.update(actions=[TargetItem.progress.set({"resume": {"part": part, "sealed": sealed}})])


def _vault_context(item: TargetItem) -> dict[str, str]:
    return {
        "workspace_id": item.workspace_id,
        "post_id": item.post_id,
        "account_id": item.account_id,
    }


async def _publish_one(account: SocialAccountItem, request: PublishRequest) -> PublishResult:
    async def publish(
        adapter: PlatformAdapter, tokens: TokenSet, who: ConnectedAccount
    ) -> PublishResult:
        return await adapter.publish(tokens, who, request)

    return await call_platform(account, publish)


def _part_actions(done: list[str], url: str | None) -> list[Any]:
    actions: list[Any] = [TargetItem.parts.set(done)]
    if len(done) == 1:
        actions.append(TargetItem.platform_post_id.set(done[0]))
        if url:
            actions.append(TargetItem.url.set(url))
    return actions


def _record_part(item: TargetItem, done: list[str], url: str | None) -> None:
    item.update(actions=_part_actions(done, url))


def _published(
    item: TargetItem,
    target: EffectiveTarget,
    account: SocialAccountItem,
    last_part: tuple[list[str], str | None] | None = None,
) -> str:
    warnings = list(item.warnings or [])
    if target.spec.first_comment and not item.comment_id and item.platform_post_id:
        comment = target.spec.first_comment
        post_id = item.platform_post_id
        try:
            comment_id = asyncio.run(
                call_platform(
                    account,
                    lambda adapter, tokens, who: adapter.comment(tokens, who, post_id, comment),
                )
            )
            item.update(actions=[TargetItem.comment_id.set(comment_id)])
        except Exception as error:
            # The post itself is out; a missing first comment must not make it look failed.
            message = getattr(error, "message", None) or "the platform refused it"
            warnings.append(f"The first comment was not posted: {message}")
    now = utc_now()
    parts = last_part[0] if last_part is not None else item.parts
    with transaction() as write:
        write.update(
            item,
            actions=[
                TargetItem.state.set("published"),
                TargetItem.published_at.set(now),
                TargetItem.due_bucket.remove(),
                TargetItem.due_at.remove(),
                TargetItem.progress.remove(),
                TargetItem.warnings.set(warnings) if warnings else TargetItem.warnings.remove(),
                *(_part_actions(*last_part) if last_part is not None else ()),
            ],
        )
        start_polling(write, item, now)
        start_metrics(write, item, item.platform_post_id or (parts or [None])[0], now)
        # Comments on the post (or on any part of its thread) then find their target.
        for platform_post_id in target_post_ids(item.platform_post_id, parts):
            write.save(_post_link(item, platform_post_id))
    logger.info("target published", extra=_ids(item))
    return "published"


def _fail(item: TargetItem, code: str, message: str, failure_class: str) -> str:
    item.update(
        actions=[
            TargetItem.state.set("failed"),
            TargetItem.error.set(
                {"code": code, "message": message, "failure_class": failure_class}
            ),
            TargetItem.due_bucket.remove(),
            TargetItem.due_at.remove(),
        ]
    )
    logger.info("target failed", extra={**_ids(item), "code": code, "class": failure_class})
    return "failed"


def backoff(attempt: int, retry_after: float | None) -> timedelta:
    """Exponential with full jitter, at least what the platform asked for."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))
    seconds = random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)
    return timedelta(seconds=max(seconds, retry_after or 0))


def _retry_or_fail(item: TargetItem, error: Retryable) -> str:
    attempts = int(item.attempts)
    if attempts >= MAX_ATTEMPTS:
        return _fail(
            item,
            error.code or "retries_exhausted",
            f"{error.message} (gave up after {attempts} attempts)",
            "retryable",
        )
    when = utc_now() + backoff(attempts, error.retry_after)
    item.update(
        actions=[
            TargetItem.state.set("retry_wait"),
            TargetItem.error.set(
                {
                    "code": error.code or "temporary",
                    "message": error.message,
                    "failure_class": "retryable",
                }
            ),
            TargetItem.due_bucket.set(due_bucket("TARGETS", item.account_id)),
            TargetItem.due_at.set(when),
        ]
    )
    _schedule_step(item, when)
    return "retry_wait"


def _post_link(item: TargetItem, platform_post_id: str) -> PlatformPostLink:
    return PlatformPostLink.of(
        item.platform, platform_post_id, item.workspace_id, item.post_id, item.account_id
    )


def _wait_for_processing(item: TargetItem, result: PublishResult) -> str:
    when = utc_now() + timedelta(seconds=result.check_after_seconds or DEFAULT_CHECK_SECONDS)
    # The platform's webhook may announce the end of processing before the check comes
    # (TikTok's names the `publish_id`): the link lets it find this target. It outlives any
    # processing, and expires because nothing keeps the id once the target is published.
    pending_id = result.progress.get("publish_id") or result.platform_post_id
    if pending_id:
        link = _post_link(item, pending_id)
        link.expires_at = utc_now() + PROCESSING_LINK_LIFETIME
        link.save()
    item.update(
        actions=[
            TargetItem.state.set("processing"),
            *([TargetItem.processing_id.set(pending_id)] if pending_id else ()),
            TargetItem.progress.set(
                {
                    "platform_post_id": result.platform_post_id,
                    "url": result.url,
                    "progress": dict(result.progress),
                    "part": len(item.parts or []),
                }
            ),
            TargetItem.due_bucket.set(due_bucket("TARGETS", item.account_id)),
            TargetItem.due_at.set(when),
        ]
    )
    _schedule_step(item, when)
    return "processing"


def _unconfirmed(item: TargetItem, reason: str) -> str:
    when = utc_now() + RECONCILE_EVERY
    item.update(
        actions=[
            TargetItem.state.set("unconfirmed"),
            TargetItem.error.set(
                {"code": "unconfirmed", "message": reason, "failure_class": "unknown"}
            ),
            TargetItem.due_bucket.set(due_bucket("TARGETS", item.account_id)),
            TargetItem.due_at.set(when),
        ]
    )
    _schedule_step(item, when)
    return "unconfirmed"


def _schedule_step(item: TargetItem, when: datetime) -> None:
    schedules.put(
        schedules.target_schedule_name(item.workspace_id, item.post_id, item.account_id),
        when,
        "UTC",
        {
            "herald": "advance-target",
            "workspace_id": item.workspace_id,
            "post_id": item.post_id,
            "account_id": item.account_id,
            "step": f"{item.state}:{int(item.attempts)}:{when.isoformat()}",
        },
    )


def _ids(item: TargetItem) -> dict[str, str]:
    return {"post_id": item.post_id, "account_id": item.account_id, "platform": item.platform}


# --- the next step of a waiting target -----------------------------------------------------------


def advance_target(
    workspace_id: str, post_id: str, account_id: str, *, notified: bool = False
) -> str:
    """Whatever the target waits for, if it is due: a retry, a status check, a reconciliation.

    `notified`: the platform's webhook announced the end of its processing, so the status check
    is due now (functions/publish/domain/platform_notices.py); nothing else is brought forward."""
    item = TargetItem.find(workspace_id, post_id, account_id)
    post = PostItem.find(workspace_id, post_id)
    if item is None or post is None:
        return "gone"
    if notified and item.state != "processing":
        return item.state
    early = notified and item.state == "processing"
    if not early and item.due_at is not None and item.due_at > utc_now() + timedelta(seconds=5):
        return "not_due"
    content = post_store.content_of(post)
    spec = next((t for t in content.targets if t.account_id == account_id), None)
    if spec is None:
        return "gone"
    target = effective(content, spec)
    if item.state == "retry_wait":
        outcome = publish_target(post, target)
    elif item.state == "processing":
        outcome = _check_processing(item, target)
    elif item.state == "unconfirmed":
        outcome = reconcile(item, target)
    elif item.state == "publishing" and item.due_at is not None and item.due_at <= utc_now():
        outcome = _unconfirmed(item, "The worker stopped while publishing.")
    else:
        return item.state
    settle_post(workspace_id, post_id)
    return outcome


def _check_processing(item: TargetItem, target: EffectiveTarget) -> str:
    account = SocialAccountItem.find(item.workspace_id, item.account_id)
    if account is None:
        return _fail(item, "account_gone", "The account was disconnected.", "permanent")
    stored = item.progress or {}
    pending = PublishResult(
        state="processing",
        platform_post_id=stored.get("platform_post_id"),
        url=stored.get("url"),
        progress=stored.get("progress") or {},
    )

    def check() -> StepOutcome:
        status = asyncio.run(
            call_platform(
                account, lambda adapter, tokens, who: adapter.status(tokens, who, pending)
            )
        )
        if status.state == "processing":
            return StepOutcome(
                processing=PublishResult(
                    state="processing",
                    platform_post_id=pending.platform_post_id,
                    url=pending.url,
                    check_after_seconds=status.check_after_seconds,
                    progress=pending.progress,
                )
            )
        if status.state == "failed":
            raise Permanent(item.platform, status.error or "The platform could not process it.")
        assert status.platform_post_id is not None
        done = [*(item.parts or []), status.platform_post_id]
        _record_part(item, done, status.url)
        item.refresh(consistent_read=True)
        return _publish_parts(item, account, target)

    return _run(item, account, target, check)


# --- reconciliation ------------------------------------------------------------------------------


def normalized(text: str) -> str:
    """Text as platforms echo it back: links shortened or dropped, whitespace collapsed."""
    return _SPACE.sub(" ", _URL.sub("", text)).strip().casefold()


def matching_post(
    recent: Sequence[RecentPost], text: str, started_at: datetime | None
) -> RecentPost | None:
    wanted = normalized(text)
    for post in recent:
        too_early = (
            started_at is not None
            and post.created_at is not None
            and post.created_at < started_at - timedelta(minutes=1)
        )
        if too_early:
            continue
        if normalized(post.text) == wanted:
            return post
    return None


def reconcile(item: TargetItem, target: EffectiveTarget) -> str:
    """Find out whether the unrecorded part went out: record it if so, publish it if not."""
    account = SocialAccountItem.find(item.workspace_id, item.account_id)
    if account is None:
        return _fail(item, "account_gone", "The account was disconnected.", "permanent")
    parts = _parts(target)
    index = len(item.parts or [])
    if index >= len(parts):
        return _published(item, target, account)
    started = item.started_at
    since = (started or utc_now()) - timedelta(minutes=1)
    try:
        recent = asyncio.run(
            call_platform(
                account, lambda adapter, tokens, who: adapter.recent_posts(tokens, who, since)
            )
        )
    except (Retryable, ReauthRequired, Permanent) as error:
        logger.warning("reconciliation postponed", extra={**_ids(item), "reason": error.message})
        return _unconfirmed(item, f"Checking with the platform failed: {error.message}")
    found = matching_post(recent, parts[index].text, started)
    if found is not None:
        done = [*(item.parts or []), found.platform_post_id]
        _record_part(item, done, found.url)
        item.refresh(consistent_read=True)
        logger.info("unconfirmed target found at the platform", extra=_ids(item))
        return _run(item, account, target, lambda: _publish_parts(item, account, target))
    if started is not None and utc_now() - started < RECONCILE_SETTLE:
        return _unconfirmed(item, "Not listed by the platform yet; checking again.")
    # Confirmed absent: publishing it is not a second post.
    item.update(actions=[TargetItem.state.set("retry_wait"), TargetItem.due_at.set(utc_now())])
    item.refresh(consistent_read=True)
    post = PostItem.find(item.workspace_id, item.post_id)
    assert post is not None
    return publish_target(post, target)


# --- the post as a whole -------------------------------------------------------------------------


def settle_post(workspace_id: str, post_id: str, held: Sequence[TargetItem] = ()) -> str | None:
    """When every target has finished: the post's final status and its one event.

    `held`: every target of the post as the caller last wrote it (each write returns the stored
    item). When all of them have finished, nobody else can move them any more (only a retry,
    which needs the settled post), so they are used as they are instead of reading the targets
    again; otherwise they are read, as another worker may have finished one meanwhile."""
    if held and all(target.state in FINISHED for target in held):
        targets = list(held)
    else:
        targets = TargetItem.of_post(workspace_id, post_id)
    if not targets or any(target.state not in FINISHED for target in targets):
        return None
    published = sum(1 for target in targets if target.state == "published")
    status = (
        "published"
        if published == len(targets)
        else "failed"
        if published == 0
        else "partially_failed"
    )
    post = PostItem.find(workspace_id, post_id)
    if post is None:
        return None
    try:
        with transaction() as write:
            write.update(
                post,
                actions=[PostItem.status.set(status), PostItem.updated_at.set(utc_now())],
                condition=PostItem.status == "publishing",
            )
            write_event(
                write,
                DomainEvent(
                    "publish",
                    f"post.{status}",
                    workspace_id,
                    {
                        "post_id": post_id,
                        "status": status,
                        "targets": [event_target(target) for target in targets],
                    },
                ),
            )
    except TransactWriteError as error:
        if condition_failed(error):
            return None  # another worker settled it and announced it
        raise
    return status


def event_target(target: TargetItem) -> dict[str, Any]:
    return {
        "account_id": target.account_id,
        "platform": target.platform,
        "state": target.state,
        "platform_post_id": target.platform_post_id,
        "url": target.url,
        "error": target.error,
        "attempts": int(target.attempts),
    }


# --- retrying failed targets ---------------------------------------------------------------------


def retry_post(access: WorkspaceAccess, post_id: str) -> tuple[Post, list[str]]:
    """Publish again only the targets that failed; the published ones are left alone."""
    item = post_store.find_post(access.workspace_id, post_id)
    if item.status not in ("failed", "partially_failed"):
        raise Conflict(f"Post {post_id} has no failed targets to retry ({item.status}).")
    retried = retry_failed(access.workspace_id, post_id)
    if not retried:
        raise Conflict(f"Post {post_id} has no failed targets to retry.")
    with transaction() as write:
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="post.retried",
                target=f"post:{post_id}",
                details={"account_ids": retried},
            )
        )
    worker_calls.start(
        {
            "herald": "publish-accounts",
            "workspace_id": access.workspace_id,
            "post_id": post_id,
            "account_ids": retried,
            "run_id": str(ULID()),
        }
    )
    return post_store.get_post(access, post_id), retried


def retry_failed(workspace_id: str, post_id: str) -> list[str]:
    """Put the failed targets back to pending; the caller starts the worker on them."""
    post = post_store.find_post(workspace_id, post_id)
    failed = [t for t in TargetItem.of_post(workspace_id, post_id) if t.state == "failed"]
    if not failed:
        return []
    with transaction() as write:
        write.update(
            post,
            actions=[PostItem.status.set("publishing"), PostItem.updated_at.set(utc_now())],
            condition=PostItem.status.is_in("failed", "partially_failed"),
        )
        for target in failed:
            write.update(
                target,
                actions=[
                    TargetItem.state.set("pending"),
                    TargetItem.attempts.set(0),
                    TargetItem.error.remove(),
                ],
                condition=TargetItem.state == "failed",
            )
    return [target.account_id for target in failed]


def publish_accounts(workspace_id: str, post_id: str, account_ids: Sequence[str]) -> FireReport:
    """Publish the given pending targets of a post that is already publishing (a retry)."""
    post = PostItem.find(workspace_id, post_id)
    if post is None or post.status != "publishing":
        return FireReport("stale", {})
    content = post_store.content_of(post)
    accounts = _accounts(workspace_id, account_ids)
    specs = {spec.account_id: spec for spec in content.targets}

    def publish(account_id: str) -> str:
        target = effective(content, specs[account_id])
        return publish_target(post, target, accounts.get(account_id))

    _publish_targets(post, account_ids, publish)
    return _report(post)
