"""Items of posts, their publishing, templates, queues and the workspace's publishing settings.

WS#<workspace>   POST#<post>                      a post: content, targets, schedule, approval
WS#<workspace>   TARGET#<post>#<account>          one target's publishing state (once fired)
WS#<workspace>   POSTVER#<post>#<revision>        the content as it was at each revision
WS#<workspace>   CAL#<scheduled UTC>#<post>       the calendar: scheduled posts by time
WS#<workspace>   TEMPLATE#<template>              a reusable draft
WS#<workspace>   QUEUE#<account or WORKSPACE>     weekly time slots of the queue
WS#<workspace>   SETTINGS#PUBLISHING              publishing settings (approval, tracked links)

Posts waiting to fire and targets waiting for a check, a retry or a reconciliation also carry
`due_bucket`/`due_at`, which puts them on the table's sparse `by-due` index for the sweeper.
"""

from datetime import datetime
from typing import Any, Self

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from functions.publish.adapters.items import DUE_INDEX, DUE_INDEX_PROJECTION
from functions.shared.identity_items import FindableItem
from functions.shared.tables import key

DUE_SHARDS = 4
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def due_bucket(kind: str, item_id: str) -> str:
    """`POSTS#<n>` or `TARGETS#<n>`: the shard comes from the id's random tail."""
    return key(kind, str(int(item_id[-4:], 36) % DUE_SHARDS))


def longest_overdue[M: Model](
    index: GlobalSecondaryIndex[M], kind: str, due: Condition, limit: int
) -> list[M]:
    """The index entries of every `<kind>#<shard>` bucket meeting `due` (a condition on
    `due_at`), longest overdue first, at most `limit`."""
    found = [
        entry
        for shard in range(DUE_SHARDS)
        for entry in index.query(key(kind, str(shard)), due, limit=limit)
    ]
    found.sort(key=lambda entry: getattr(entry, "due_at"))  # noqa: B009 (any item kind)
    return found[:limit]


class PostDueIndex(GlobalSecondaryIndex["PostItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = DUE_INDEX
        projection = IncludeProjection(DUE_INDEX_PROJECTION)

    due_bucket = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class TargetDueIndex(GlobalSecondaryIndex["TargetItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = DUE_INDEX
        projection = IncludeProjection(DUE_INDEX_PROJECTION)

    due_bucket = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class PostItem(FindableItem):
    post_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    # draft, pending_approval, scheduled, publishing, published, partially_failed, failed
    status = UnicodeAttribute(default="draft")
    content = JSONAttribute()  # PostContent as JSON
    labels = UnicodeSetAttribute(null=True)
    revision = NumberAttribute(default=1)  # grows with every change of content
    scheduled_at = UTCDateTimeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    # Each arming of the schedule gets a new id; a firing that carries another one is stale.
    fire_id = UnicodeAttribute(null=True)
    approval = JSONAttribute(null=True)
    recurrence = JSONAttribute(null=True)
    series_id = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    due_bucket = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    by_due = PostDueIndex()

    @staticmethod
    def keys(workspace_id: str, post_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("POST", post_id)

    @classmethod
    def find(cls, workspace_id: str, post_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, post_id))

    def content_dict(self) -> dict[str, Any]:
        content: dict[str, Any] = self.content
        return content


class TargetItem(FindableItem):
    post_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    # pending, publishing, processing, retry_wait, unconfirmed, published, failed
    state = UnicodeAttribute(default="pending")
    attempts = NumberAttribute(default=0)
    fire_id = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute(null=True)
    platform_post_id = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)
    parts = JSONAttribute(null=True)  # platform ids of the thread parts published so far
    comment_id = UnicodeAttribute(null=True)
    # The platform's id for a publishing in progress (TikTok's `publish_id`), linked for its
    # webhooks while processing; kept after, so that deleting the post finds that link's key.
    processing_id = UnicodeAttribute(null=True)
    # What an async platform's status check needs; while publishing, what an interrupted upload
    # resumes from (sealed: see publishing._checkpoint).
    progress = JSONAttribute(null=True)
    error = JSONAttribute(null=True)  # {code, message, failure_class}
    warnings = JSONAttribute(null=True)
    due_bucket = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    by_due = TargetDueIndex()

    @staticmethod
    def keys(workspace_id: str, post_id: str, account_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("TARGET", post_id, account_id)

    @classmethod
    def find(cls, workspace_id: str, post_id: str, account_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, post_id, account_id))

    @classmethod
    def of_post(cls, workspace_id: str, post_id: str) -> list[Self]:
        return list(
            cls.query(
                key("WS", workspace_id),
                cls.sk.startswith(key("TARGET", post_id) + "#"),
                consistent_read=True,
            )
        )


class PostVersionItem(FindableItem):
    post_id = UnicodeAttribute()
    revision = NumberAttribute()
    content = JSONAttribute()
    labels = UnicodeSetAttribute(null=True)
    edited_by = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str, post_id: str, revision: int) -> tuple[str, str]:
        return key("WS", workspace_id), key("POSTVER", post_id, f"{revision:06d}")


class CalendarItem(FindableItem):
    post_id = UnicodeAttribute()
    scheduled_at = UTCDateTimeAttribute()
    account_ids = UnicodeSetAttribute()

    @staticmethod
    def keys(workspace_id: str, scheduled_at: datetime, post_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), calendar_sort_key(scheduled_at, post_id)


def calendar_sort_key(moment: datetime, post_id: str = "") -> str:
    # ':' is fine inside a key part; only '#' separates parts.
    # strftime writes year 778 as `778`, which would sort after 2030; the year is padded here.
    stamp = f"{moment.year:04d}{moment.strftime(TIME_FORMAT.removeprefix('%Y'))}"
    return f"CAL#{stamp}#{post_id}" if post_id else f"CAL#{stamp}"


class TemplateItem(FindableItem):
    template_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    category = UnicodeAttribute()
    content = JSONAttribute()
    labels = UnicodeSetAttribute(null=True)
    created_by = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str, template_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("TEMPLATE", template_id)

    @classmethod
    def find(cls, workspace_id: str, template_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, template_id))


class QueueItem(FindableItem):
    slots = JSONAttribute()  # [{"weekday": 0..6 (Monday 0), "time": "HH:MM"}]

    @staticmethod
    def keys(workspace_id: str, scope: str) -> tuple[str, str]:
        """`scope` is an account id, or WORKSPACE for the slots every account shares."""
        return key("WS", workspace_id), key("QUEUE", scope)


class PublishingSettingsItem(FindableItem):
    approval_required = BooleanAttribute(default=False)
    tracked_links = BooleanAttribute(default=False)

    @staticmethod
    def keys(workspace_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("SETTINGS", "PUBLISHING")
