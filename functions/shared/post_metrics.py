"""Platform metrics of published posts, as the publish group's collector writes them and the
analytics reports read them (docs/analytics.md, "Platform metrics").

    WS#<workspace>   METRICS#TARGET#<post>#<account>          what is collected of one published
                                                              target: its last numbers, its day,
                                                              and (while the schedule runs) its
                                                              place on the `by-due` index under
                                                              `METRICS#<shard>`
    WS#<workspace>   METRICS#SNAP#<post>#<account>#<time>     one snapshot (the time series)
    WS#<workspace>   METRICS#DAY#<day>#<account>              the account's posts of that day (in
                                                              the workspace's timezone) and what
                                                              they have earned so far, kept up to
                                                              date by each snapshot's delta

Numbers are normalized across platforms (`METRICS`); what a platform reports beyond them is kept
as its extras, under the platform's own names.
"""

from collections.abc import Iterator, Mapping
from datetime import date, datetime

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from functions.shared.identity_items import FindableItem
from functions.shared.tables import AppItem, key

# The collector's task that refreshes one post now (functions/publish/workers/metrics.py), which
# the analytics group invokes.
REFRESH_TASK = "refresh-post-metrics"

# Normalized metrics. `impressions` is impressions, or views where a platform counts only views;
# times are in seconds.
METRICS = (
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "quotes",
    "saves",
    "link_clicks",
    "video_views",
    "watch_time_seconds",
    "average_view_duration_seconds",
    "profile_visits",
    "follows",
)
# What counts as an engagement: the interactions with the post itself.
ENGAGEMENTS = ("likes", "comments", "shares", "quotes", "saves")
# Totals that add up across posts; an average (view duration) does not, so no rollup keeps it.
SUMMED = tuple(name for name in METRICS if name != "average_view_duration_seconds")

# Each platform's names (as its adapter reports them) and the normalized metrics they feed.
_PLATFORM_NAMES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "x": {
        "impression_count": ("impressions",),
        "like_count": ("likes",),
        "reply_count": ("comments",),
        "retweet_count": ("shares",),
        "quote_count": ("quotes",),
        "bookmark_count": ("saves",),
    },
    "youtube": {
        "views": ("impressions", "video_views"),
        "likes": ("likes",),
        "comments": ("comments",),
    },
    "tiktok": {
        "views": ("impressions", "video_views"),
        "likes": ("likes",),
        "comments": ("comments",),
        "shares": ("shares",),
    },
    "facebook": {"reactions": ("likes",), "comments": ("comments",), "shares": ("shares",)},
    "instagram": {
        "views": ("impressions",),
        "reach": ("reach",),
        "likes": ("likes",),
        "comments": ("comments",),
        "replies": ("comments",),
        "shares": ("shares",),
        "saved": ("saves",),
        "profile_visits": ("profile_visits",),
        "follows": ("follows",),
    },
    "threads": {
        "views": ("impressions",),
        "likes": ("likes",),
        "replies": ("comments",),
        "reposts": ("shares",),
        "quotes": ("quotes",),
    },
    "linkedin": {"reactions": ("likes",), "comments": ("comments",)},
    "sandbox": {name: (name,) for name in METRICS},
}


def normalize(platform: str, reported: Mapping[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(normalized metrics, the platform's extras) of what an adapter reported."""
    names = _PLATFORM_NAMES.get(platform, {})
    metrics: dict[str, int] = {}
    extras: dict[str, int] = {}
    for name, value in reported.items():
        targets = names.get(name)
        if targets is None:
            extras[name] = int(value)
            continue
        for target in targets:
            metrics[target] = metrics.get(target, 0) + int(value)
    return metrics, extras


def engagements(metrics: Mapping[str, int]) -> int:
    return sum(int(metrics.get(name, 0)) for name in ENGAGEMENTS)


class MetricsDueIndex(GlobalSecondaryIndex["MetricsTargetItem"]):  # type: ignore[no-untyped-call]
    """Targets by when their next collection is due, in the `METRICS#<shard>` buckets of the
    table's `by-due` index (its projection is the table's: infra/foundation.py)."""

    class Meta:
        index_name = "by-due"
        projection = KeysOnlyProjection()

    due_bucket = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class MetricsTargetItem(FindableItem):
    workspace_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    platform_post_id = UnicodeAttribute()
    published_at = UTCDateTimeAttribute()
    day = UnicodeAttribute()  # the publication's day in the workspace's timezone then
    # The post's labels and the local `<weekday>:<hour>` it was published in, for the rollups of
    # functions/shared/metrics_rollups.py (absent on targets published before them).
    labels = UnicodeSetAttribute(null=True)
    slot = UnicodeAttribute(null=True)
    collections = NumberAttribute(default=0)  # scheduled ones: where the schedule stands
    last = JSONAttribute(null=True)  # the last normalized metrics
    extras = JSONAttribute(null=True)
    collected_at = UTCDateTimeAttribute(null=True)
    due_bucket = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    by_due = MetricsDueIndex()

    @staticmethod
    def keys(workspace_id: str, post_id: str, account_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("METRICS", "TARGET", post_id, account_id)

    @classmethod
    def of_post(cls, workspace_id: str, post_id: str) -> list["MetricsTargetItem"]:
        return list(
            cls.query(
                key("WS", workspace_id),
                cls.sk.startswith(key("METRICS", "TARGET", post_id) + "#"),
                consistent_read=True,
            )
        )


class MetricsSnapshotItem(Model):
    """Written once, never changed: unversioned."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    account_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    taken_at = UTCDateTimeAttribute()
    metrics = JSONAttribute()
    extras = JSONAttribute(null=True)

    @staticmethod
    def keys(
        workspace_id: str, post_id: str, account_id: str, taken_at: datetime
    ) -> tuple[str, str]:
        moment = taken_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return key("WS", workspace_id), key("METRICS", "SNAP", post_id, account_id, moment)

    @classmethod
    def of_post(cls, workspace_id: str, post_id: str) -> Iterator["MetricsSnapshotItem"]:
        """Oldest first, per account (the sort key orders by account, then time)."""
        return cls.query(
            key("WS", workspace_id), cls.sk.startswith(key("METRICS", "SNAP", post_id) + "#")
        )


class MetricsDayItem(Model):
    """Bumped by atomic `ADD`s only, from any number of writers: unversioned."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    account_id = UnicodeAttribute(null=True)
    platform = UnicodeAttribute(null=True)
    posts = NumberAttribute(null=True)
    impressions = NumberAttribute(null=True)
    reach = NumberAttribute(null=True)
    likes = NumberAttribute(null=True)
    comments = NumberAttribute(null=True)
    shares = NumberAttribute(null=True)
    quotes = NumberAttribute(null=True)
    saves = NumberAttribute(null=True)
    link_clicks = NumberAttribute(null=True)
    video_views = NumberAttribute(null=True)
    watch_time_seconds = NumberAttribute(null=True)
    profile_visits = NumberAttribute(null=True)
    follows = NumberAttribute(null=True)

    @staticmethod
    def keys(workspace_id: str, day: str, account_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("METRICS", "DAY", day, account_id)

    @classmethod
    def between(cls, workspace_id: str, first: date, last: date) -> Iterator["MetricsDayItem"]:
        """Every account's items of the days `first` to `last`: one query, O(days x accounts)."""
        low = key("METRICS", "DAY", first.isoformat())
        high = key("METRICS", "DAY", last.isoformat()) + "#~"
        return cls.query(key("WS", workspace_id), cls.sk.between(low, high))

    def day(self) -> str:
        return self.sk.split("#")[2]

    def totals(self) -> dict[str, int]:
        return {name: int(getattr(self, name) or 0) for name in SUMMED}


class _PostKey(Model):
    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")


def post_exists(workspace_id: str, post_id: str) -> bool:
    """Whether the workspace has this post (its `POST#<post>` item), reading its keys only."""
    try:
        _PostKey.get(key("WS", workspace_id), key("POST", post_id), attributes_to_get=["PK"])
    except _PostKey.DoesNotExist:
        return False
    return True
