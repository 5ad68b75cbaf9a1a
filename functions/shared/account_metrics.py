"""Account-level metrics (followers, following, posts, profile views), as the publish group's
collector writes them once a day per account and the analytics reports read them
(docs/analytics.md, "Account metrics"; docs/access-patterns.md).

    WS#<workspace>   METRICS#ACCOUNT#<account>                  the account's daily collection:
                                                                its platform and (while the
                                                                account is connected) its place
                                                                on the `by-due` index under
                                                                `ACCOUNTMETRICS#<shard>`
    WS#<workspace>   METRICS#ACCOUNTDAY#<account>#<day>         the account's numbers of that day
                                                                (the workspace's timezone): one
                                                                item a day, the day's last read
    WS#<workspace>   METRICS#ACCOUNTPOST#<account>#<time>#<post> one published target of the
                                                                account, by publication time: the
                                                                account's recent posts, newest
                                                                first, for the median post

Everything is keyed by account first, so an account's days or its recent posts are one Query of
a sort-key range.
"""

from collections.abc import Iterator, Mapping
from datetime import date, datetime

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from functions.shared.tables import AppItem, key

# Normalized account metrics; what a platform reports beyond them is kept as its extras, under
# the platform's own names (docs/analytics.md lists them per platform).
ACCOUNT_METRICS = ("followers", "following", "posts", "profile_views")
ACCOUNT_DUE_KIND = "ACCOUNTMETRICS"


def split_account_metrics(reported: Mapping[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(normalized account metrics, the platform's extras) of what an adapter reported."""
    metrics = {name: int(value) for name, value in reported.items() if name in ACCOUNT_METRICS}
    extras = {name: int(value) for name, value in reported.items() if name not in ACCOUNT_METRICS}
    return metrics, extras


class AccountMetricsDueIndex(GlobalSecondaryIndex["AccountMetricsScheduleItem"]):  # type: ignore[no-untyped-call]
    """Accounts by when their daily collection is due, in the `ACCOUNTMETRICS#<shard>` buckets
    of the table's `by-due` index."""

    class Meta:
        index_name = "by-due"
        projection = KeysOnlyProjection()

    due_bucket = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class AccountMetricsScheduleItem(Model):
    """Saved again on each connection of the account (a reconnection too) and moved on by each
    collection: unversioned, the last write holds."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    workspace_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    collected_at = UTCDateTimeAttribute(null=True)
    due_bucket = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    by_due = AccountMetricsDueIndex()

    @staticmethod
    def keys(workspace_id: str, account_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("METRICS", "ACCOUNT", account_id)

    @classmethod
    def find_key(cls, pk: str, sk: str) -> "AccountMetricsScheduleItem | None":
        try:
            return cls.get(pk, sk, consistent_read=True)
        except cls.DoesNotExist:
            return None


class AccountDayItem(Model):
    """Overwritten by each read of its day: unversioned."""

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
    def keys(workspace_id: str, account_id: str, day: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("METRICS", "ACCOUNTDAY", account_id, day)

    @classmethod
    def between(
        cls, workspace_id: str, account_id: str, first: date, last: date
    ) -> Iterator["AccountDayItem"]:
        """The account's days `first` to `last`, oldest first: one query, O(days)."""
        _, low = cls.keys(workspace_id, account_id, first.isoformat())
        _, high = cls.keys(workspace_id, account_id, last.isoformat())
        return cls.query(key("WS", workspace_id), cls.sk.between(low, high))

    @classmethod
    def nearest(
        cls, workspace_id: str, account_id: str, low: date | None, high: date, *, newest: bool
    ) -> "AccountDayItem | None":
        """The account's newest (or oldest) day from `low` (the first ever when None) to
        `high`: one query of one item."""
        _, high_key = cls.keys(workspace_id, account_id, high.isoformat())
        low_key = (
            cls.keys(workspace_id, account_id, low.isoformat())[1]
            if low is not None
            else key("METRICS", "ACCOUNTDAY", account_id) + "#"
        )
        found = cls.query(
            key("WS", workspace_id),
            cls.sk.between(low_key, high_key),
            scan_index_forward=not newest,
            limit=1,
        )
        return next(iter(found), None)

    def day(self) -> str:
        return self.sk.rsplit("#", 1)[1]


class AccountPostItem(Model):
    """Written once with the published target: unversioned."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    post_id = UnicodeAttribute()
    published_at = UTCDateTimeAttribute()

    @staticmethod
    def prefix(account_id: str) -> str:
        return key("METRICS", "ACCOUNTPOST", account_id)

    @classmethod
    def keys(
        cls, workspace_id: str, account_id: str, published_at: datetime, post_id: str
    ) -> tuple[str, str]:
        moment = published_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return key("WS", workspace_id), key("METRICS", "ACCOUNTPOST", account_id, moment, post_id)

    @classmethod
    def latest(
        cls, workspace_id: str, account_id: str, before: datetime, limit: int
    ) -> Iterator["AccountPostItem"]:
        """The account's posts published before `before`, newest first, at most `limit`."""
        _, high = cls.keys(workspace_id, account_id, before, "0")
        return cls.query(
            key("WS", workspace_id),
            cls.sk.between(cls.prefix(account_id) + "#", high),
            scan_index_forward=False,
            limit=limit,
        )


class _AccountKey(Model):
    """The few attributes of a connected account (functions/publish/adapters/items.py) that a
    report names it by."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    platform = UnicodeAttribute()


def account_platform(workspace_id: str, account_id: str) -> str | None:
    """The platform of the workspace's account, connected now or once (its daily schedule
    outlives it); None when the workspace never had it."""
    try:
        found = _AccountKey.get(
            key("WS", workspace_id), key("ACCOUNT", account_id), attributes_to_get=["platform"]
        )
        return found.platform
    except _AccountKey.DoesNotExist:
        schedule = AccountMetricsScheduleItem.find_key(
            *AccountMetricsScheduleItem.keys(workspace_id, account_id)
        )
        return schedule.platform if schedule is not None else None


def workspace_schedules(workspace_id: str) -> Iterator[AccountMetricsScheduleItem]:
    """Every account the workspace collects (or collected) account metrics of: O(accounts)."""
    return AccountMetricsScheduleItem.query(
        key("WS", workspace_id),
        AccountMetricsScheduleItem.sk.startswith(key("METRICS", "ACCOUNT") + "#"),
    )
