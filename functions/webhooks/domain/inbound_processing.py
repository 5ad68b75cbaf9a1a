"""The processor's work: one queued platform event into inbox items and notices.

Each delivery (functions/shared/inbound.py queued it, once per platform event id) is
parsed by its platform's parser. Every comment, reply or mention is recorded in the inbox of each
workspace that connected the account it is for (found by key: `PlatformAccountLink`), with the
Herald post and target it is on when that is a post Herald published (`PlatformPostLink`). Every
notice about an account or a post goes to the publish group, which owns them, as an internal
event; a data deletion request first names the accounts it is to delete on the request, which
the publish group crosses off as it disconnects them (functions/shared/data_deletions.py). An
account no workspace connected is acknowledged, logged and counted, never retried: asking again
would not make it known.

An Instagram mention's webhook carries only ids: its text is read once, through the publish
group's engagement function (which holds the account's token), before it is recorded. When
that look-up fails for a while the delivery is offered again; on its last receive, or when
Instagram refuses, the mention is recorded without its words rather than lost.
"""

from dataclasses import dataclass, replace

from aws_lambda_powertools.metrics import MetricUnit

from functions.shared import data_deletions
from functions.shared.engagement import (
    PLATFORM_NOTICE_EVENT,
    Engagement,
    PlatformNotice,
    notice_data,
)
from functions.shared.engagement_calls import EngagementCall
from functions.shared.events import DomainEvent, record_event
from functions.shared.identity_items import WorkspaceItem
from functions.shared.inbound import InboundDelivery
from functions.shared.observability import logger, metrics
from functions.shared.platform_links import PlatformAccountLink, PlatformPostLink
from functions.webhooks.adapters import engagement_function
from functions.webhooks.domain.inbox_records import (
    InboxPlace,
    UnusableEngagement,
    record_engagement,
)
from functions.webhooks.domain.platform_hooks import instagram
from functions.webhooks.domain.platform_hooks.parsers import PARSERS

UNKNOWN_ACCOUNT_METRIC = "InboundUnknownAccount"
UNUSABLE_METRIC = "InboundUnusable"
RECORDED_METRIC = "InboxItemsRecorded"
WORDLESS_METRIC = "InboxMentionsWithoutText"
# Platforms whose mention webhooks name the mention only by its ids.
IDS_ONLY_MENTIONS = frozenset({instagram.PLATFORM})
DATA_DELETION = "data_deletion_requested"


class UnusableDelivery(Exception):
    """A delivery no retry can make usable (no parser, a payload the parser refuses)."""


class LookUpPending(Exception):
    """A mention's text could not be read yet (the platform or the function failed for now):
    the delivery is to be offered again."""


@dataclass(slots=True)
class Processed:
    recorded: int = 0
    duplicates: int = 0
    notices: int = 0
    unknown_accounts: int = 0
    unusable: int = 0


def process(delivery: InboundDelivery, *, last_attempt: bool = False) -> Processed:
    parser = PARSERS.get(delivery.platform)
    if parser is None:
        raise UnusableDelivery(f"no parser for platform {delivery.platform!r}")
    try:
        found = parser(delivery.payload)
    except ValueError as error:
        raise UnusableDelivery(f"the {delivery.platform} payload was refused: {error}") from None
    processed = Processed()
    for each in found:
        links = PlatformAccountLink.linked(each.platform, each.platform_account_id)
        # A closed workspace's links are about to be purged.
        live = [link for link in links if WorkspaceItem.find(link.workspace_id) is not None]
        if isinstance(each, PlatformNotice) and each.kind == DATA_DELETION and each.detail:
            # Named before they are handed over, so the publish group can cross each off.
            data_deletions.expect(each.detail, [(ln.workspace_id, ln.account_id) for ln in live])
        if not links:
            _unknown_account(each, delivery)
            processed.unknown_accounts += 1
            continue
        if isinstance(each, Engagement) and live and _needs_look_up(each):
            each = _looked_up(each, live[0], last_attempt=last_attempt)
        for link in live:
            if isinstance(each, Engagement):
                _record(each, link, processed)
            else:
                _hand_over(each, link)
                processed.notices += 1
    return processed


def _needs_look_up(engagement: Engagement) -> bool:
    return (
        engagement.kind == "mention"
        and not engagement.text
        and engagement.platform in IDS_ONLY_MENTIONS
    )


def _looked_up(mention: Engagement, link: PlatformAccountLink, *, last_attempt: bool) -> Engagement:
    """The mention as the platform has it, read with the first workspace's account (every
    workspace that connected the account sees the same mention)."""
    call = EngagementCall(
        workspace_id=link.workspace_id,
        account_id=link.account_id,
        action="look_up",
        engagement=mention,
    )
    try:
        answer = engagement_function.invoke(call)
    except engagement_function.EngagementUnanswered:
        answer = None
    if answer is not None and answer.outcome == "done" and answer.reply is not None:
        return replace(answer.reply, platform_account_id=mention.platform_account_id)
    if (answer is None or answer.outcome == "retry_later") and not last_attempt:
        raise LookUpPending(f"the {mention.platform} mention could not be read yet")
    logger.warning(
        "mention recorded without its text",
        extra={
            "platform": mention.platform,
            "outcome": answer.outcome if answer else "unanswered",
        },
    )
    metrics.add_metric(name=WORDLESS_METRIC, unit=MetricUnit.Count, value=1)
    return mention


def _place(link: PlatformAccountLink, platform: str, platform_post_id: str | None) -> InboxPlace:
    target = (
        PlatformPostLink.find(platform, platform_post_id, link.workspace_id)
        if platform_post_id
        else None
    )
    return InboxPlace(
        workspace_id=link.workspace_id,
        account_id=link.account_id,
        post_id=target.post_id if target else None,
        target_id=target.target_id if target else None,
    )


def _record(engagement: Engagement, link: PlatformAccountLink, processed: Processed) -> None:
    place = _place(link, engagement.platform, engagement.platform_post_id)
    try:
        item = record_engagement(engagement, place)
    except UnusableEngagement as error:
        logger.warning(
            "inbound item not recorded", extra={"platform": engagement.platform, "why": str(error)}
        )
        metrics.add_metric(name=UNUSABLE_METRIC, unit=MetricUnit.Count, value=1)
        processed.unusable += 1
        return
    if item is None:
        processed.duplicates += 1
        return
    metrics.add_metric(name=RECORDED_METRIC, unit=MetricUnit.Count, value=1)
    processed.recorded += 1


def _hand_over(notice: PlatformNotice, link: PlatformAccountLink) -> None:
    place = _place(link, notice.platform, notice.platform_post_id)
    record_event(
        DomainEvent(
            "webhooks",
            PLATFORM_NOTICE_EVENT,
            link.workspace_id,
            notice_data(notice, link.account_id, place.post_id, place.target_id),
            internal=True,
        )
    )


def _unknown_account(found: Engagement | PlatformNotice, delivery: InboundDelivery) -> None:
    logger.info(
        "inbound event for an account no workspace connected",
        extra={
            "platform": found.platform,
            "platform_account_id": found.platform_account_id[:200],
            "event_id": delivery.event_id[:200],
        },
    )
    metrics.add_metric(name=UNKNOWN_ACCOUNT_METRIC, unit=MetricUnit.Count, value=1)
