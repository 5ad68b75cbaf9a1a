"""The media library's items besides the assets themselves (functions/shared/media_items.py).

WS#<workspace>   UPLOAD#<upload>   an upload started and not completed yet (TTL)
WS#<workspace>   MEDIA_USAGE       bytes the library holds: the sum of its assets' sizes

The usage counter changes only in the transaction that creates or deletes an asset, on the
condition that the workspace stays within its quota, so two uploads completing at once cannot
both slip past it. Assets are listed newest first from `ASSET#<ulid>` keys, whose ULIDs carry
their creation time: a date range is a key condition, kind and label are filters.
"""

from datetime import datetime
from typing import Self

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from functions.shared.identity_items import FindableItem
from functions.shared.media_items import MediaAssetItem
from functions.shared.pagination import PageRequest
from functions.shared.tables import filtered_query_page, key, ulid_sort_key_bound, utc_now

ASSET_PREFIX = "ASSET#"


class MediaUploadItem(FindableItem):
    upload_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    object_key = UnicodeAttribute()
    name = UnicodeAttribute()
    content_type = UnicodeAttribute()  # as the browser declared it, and the form pinned it
    max_bytes = NumberAttribute()
    complete_by = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str, upload_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("UPLOAD", upload_id)

    @classmethod
    def find(cls, workspace_id: str, upload_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, upload_id))


class MediaUsageItem(FindableItem):
    used_bytes = NumberAttribute(default=0)
    asset_count = NumberAttribute(default=0)

    @staticmethod
    def keys(workspace_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), "MEDIA_USAGE"

    @classmethod
    def find(cls, workspace_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id))


def used_bytes(workspace_id: str) -> tuple[int, int]:
    """Bytes used and assets held by the workspace's library."""
    usage = MediaUsageItem.find(workspace_id)
    if usage is None:
        return 0, 0
    return int(usage.used_bytes or 0), int(usage.asset_count or 0)


def charge(write: TransactWrite, workspace_id: str, size_bytes: int, *, quota_bytes: int) -> None:
    """Add an asset's bytes to the usage, on condition the total stays within the quota."""
    usage = MediaUsageItem(*MediaUsageItem.keys(workspace_id))
    write.update(
        usage,
        actions=[
            MediaUsageItem.used_bytes.add(size_bytes),
            MediaUsageItem.asset_count.add(1),
            MediaUsageItem.updated_at.set(utc_now()),
        ],
        condition=(
            MediaUsageItem.used_bytes.does_not_exist()
            | (MediaUsageItem.used_bytes <= quota_bytes - size_bytes)
        ),
        add_version_condition=False,
    )


def refund(write: TransactWrite, workspace_id: str, size_bytes: int) -> None:
    """Take a deleted asset's bytes off the usage. Unconditional: a delete never fails on it."""
    usage = MediaUsageItem(*MediaUsageItem.keys(workspace_id))
    write.update(
        usage,
        actions=[
            MediaUsageItem.used_bytes.add(-size_bytes),
            MediaUsageItem.asset_count.add(-1),
            MediaUsageItem.updated_at.set(utc_now()),
        ],
        add_version_condition=False,
    )


def asset_sort_key_bound(moment: datetime, *, upper: bool) -> str:
    """The first asset sort key at or after `moment` (or the last at or before it, `upper`).

    Asset ids are minted on whole milliseconds (assets.new_asset_id), so the bound is exact.
    """
    return ulid_sort_key_bound("ASSET", moment, upper=upper)


def list_assets(
    workspace_id: str,
    page: PageRequest,
    *,
    created_from: datetime | None,
    created_to: datetime | None,
    kind: str | None,
    label: str | None,
) -> tuple[list[MediaAssetItem], str | None]:
    """Newest first, one page; filters may leave a page short, `next_cursor` then says more."""
    partition = key("WS", workspace_id)
    lowest = asset_sort_key_bound(created_from, upper=False) if created_from else ASSET_PREFIX
    highest = asset_sort_key_bound(created_to, upper=True) if created_to else key("ASSET", "\uffff")
    filters: Condition | None = None
    if kind is not None:
        filters = MediaAssetItem.kind == kind
    if label is not None:
        has_label = MediaAssetItem.labels.contains(label)
        filters = has_label if filters is None else filters & has_label
    return filtered_query_page(
        MediaAssetItem,
        partition,
        MediaAssetItem.sk.between(lowest, highest),
        page,
        filter_condition=filters,
    )
