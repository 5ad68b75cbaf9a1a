"""Read-only views of a workspace's analytics and inbox, for code outside the groups that own them.

The AI strategist (functions/publish) grounds its answers in the workspace's metrics (written by
the publish group's collector, reported by functions/analytics) and its inbox (functions/webhooks),
and a Lambda function carries only its own group and this shared package. So the reads it needs
live here, each one query by key over the items the owners write (functions/shared/post_metrics.py;
the inbox's `INBOX#<item>` items, docs/inbox.md), bounded in what they read, never a scan.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from functions.shared.metrics_rollups import day_sums
from functions.shared.post_metrics import (
    MetricsDayItem,
    MetricsTargetItem,
    engagements,
)
from functions.shared.tables import AppItem, key, utc_now

# Published targets read for one answer (a calendar's publications, a post's metrics), newest
# posts first: the workspace's last few thousand publications, whatever the period asked.
MAX_TARGETS_READ = 2000
MAX_INBOX_ITEMS_READ = 200


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    posts: int
    impressions: int
    engagements: int
    by_platform: dict[str, dict[str, int]]


@dataclass(frozen=True, slots=True)
class PublishedTarget:
    post_id: str
    account_id: str
    platform: str
    published_at: datetime
    metrics: dict[str, int]

    @property
    def engagements(self) -> int:
        return engagements(self.metrics)


def period_totals(workspace_id: str, first: date, last: date) -> PeriodTotals:
    """What the workspace's posts earned on the days `first` to `last` (its day rollups)."""
    by_platform: dict[str, list[MetricsDayItem]] = defaultdict(list)
    for item in MetricsDayItem.between(workspace_id, first, last):
        by_platform[item.platform or "unknown"].append(item)
    platforms = {}
    for platform, days in sorted(by_platform.items()):
        posts, metrics = day_sums(days)
        platforms[platform] = {
            name: value for name, value in {"posts": posts, **metrics}.items() if value
        } | {"engagements": engagements(metrics)}
    return PeriodTotals(
        posts=sum(totals.get("posts", 0) for totals in platforms.values()),
        impressions=sum(totals.get("impressions", 0) for totals in platforms.values()),
        engagements=sum(totals["engagements"] for totals in platforms.values()),
        by_platform=platforms,
    )


def published_targets(
    workspace_id: str, first: date, last: date, *, post_id: str | None = None
) -> list[PublishedTarget]:
    """Published targets whose publication day (workspace's timezone) is in [first, last], with
    their latest metrics; newest posts first, at most `MAX_TARGETS_READ` read."""
    prefix = key("METRICS", "TARGET", post_id) + "#" if post_id else key("METRICS", "TARGET") + "#"
    found = MetricsTargetItem.query(
        key("WS", workspace_id), MetricsTargetItem.sk.startswith(prefix), scan_index_forward=False
    )
    low, high = first.isoformat(), last.isoformat()
    return [
        PublishedTarget(
            post_id=item.post_id,
            account_id=item.account_id,
            platform=item.platform,
            published_at=item.published_at,
            metrics={name: int(value) for name, value in (item.last or {}).items()},
        )
        for item in islice(found, MAX_TARGETS_READ)
        if low <= item.day <= high
    ]


class _InboxGlance(Model):
    """The inbox item's attributes a summary needs (functions/webhooks/adapters/inbox_items.py
    writes the item): read only, never written from here."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    platform = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    received_at = UTCDateTimeAttribute(null=True)


@dataclass(frozen=True, slots=True)
class InboxGlance:
    platform: str
    kind: str
    status: str
    text: str
    received_at: datetime
    label: str | None  # the inbox assistant's classification, when it has one


def recent_inbox(workspace_id: str, days: int) -> list[InboxGlance]:
    """The inbox items received in the last `days` days, newest first, at most
    `MAX_INBOX_ITEMS_READ` (item ids are ULIDs taken on arrival: the partition reads newest
    first)."""
    since = utc_now() - timedelta(days=days)
    found: Iterable[_InboxGlance] = _InboxGlance.query(
        key("WS", workspace_id),
        _InboxGlance.sk.startswith("INBOX#"),
        scan_index_forward=False,
        limit=MAX_INBOX_ITEMS_READ,
        attributes_to_get=["platform", "kind", "status", "text", "label", "received_at"],
    )
    glances = []
    for item in found:
        if item.received_at is None or item.received_at < since:
            break
        glances.append(
            InboxGlance(
                platform=item.platform or "unknown",
                kind=item.kind or "comment",
                status=item.status or "new",
                text=item.text or "",
                received_at=item.received_at,
                label=item.label,
            )
        )
    return glances
