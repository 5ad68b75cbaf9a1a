"""Library assets: their views, and keeping them with the quota, one transaction each.

Every way an asset enters the library (a completed upload, an import, an image tool, a media
job's output) stores it through `store_new_asset`: the asset, its bytes charged to the
workspace's usage on condition the quota holds, and its activity entry are written together, or
nothing is; then `media.asset.ready` announces it. `remove_asset` takes them back the same way
before the files go.
"""

from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from functions.media.adapters import asset_items, asset_store
from functions.media.adapters.asset_items import MediaUploadItem
from functions.media.domain import quotas
from functions.media.domain.kinds import Kind
from functions.media.domain.models import Asset, Generation
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.event_catalogue import MediaAssetReadyData
from functions.shared.events import DomainEvent, write_event
from functions.shared.media_items import MediaAssetItem
from functions.shared.probed_media import ProbedMedia
from functions.shared.problems import BadRequest, Conflict, NotFound
from functions.shared.tables import conflict_on_condition_failure, transaction, utc_now


class FileRefused(BadRequest):
    """A file that is not media Herald keeps: its bytes are no accepted format, not what was
    declared, or cannot be read."""

    type = "urn:herald:problem:media-rejected"


class UploadAlreadyCompleted(Exception):
    """The upload the asset was made from was completed by another request meanwhile."""


def new_asset_id() -> tuple[str, datetime]:
    """A fresh asset id and the moment its ULID names, to the millisecond: the asset's
    `created_at`, so that listing a date range by id (the sort key) is exact."""
    now = utc_now()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    return str(ULID.from_datetime(now)), now


def asset_view(item: MediaAssetItem) -> Asset:
    return Asset(
        id=item.asset_id,
        kind=item.kind,
        name=item.name,
        content_type=item.content_type,
        size_bytes=int(item.size_bytes),
        labels=sorted(item.labels or ()),
        alt_text=item.alt_text,
        source_asset_id=item.source_asset_id,
        generation=Generation.model_validate(item.generation) if item.generation else None,
        thumbnail_url=asset_store.download_url(item.thumbnail_key) if item.thumbnail_key else None,
        **item.probed().model_dump(),
        created_by=item.created_by,
        created_at=item.created_at.isoformat(),
        updated_at=item.updated_at.isoformat(),
    )


def find_asset(access: WorkspaceAccess, asset_id: str) -> MediaAssetItem:
    item = MediaAssetItem.find(access.workspace_id, asset_id)
    if item is None:
        raise NotFound(f"Asset {asset_id} was not found.")
    return item


def new_asset_item(
    workspace_id: str,
    *,
    asset_id: str,
    created_at: datetime,
    kind: Kind,
    name: str,
    content_type: str,
    size_bytes: int,
    object_key: str,
    thumbnail_key: str | None,
    created_by: str,
    probed: ProbedMedia,
    source_asset_id: str | None = None,
    generation: Generation | None = None,
) -> MediaAssetItem:
    return MediaAssetItem(
        *MediaAssetItem.keys(workspace_id, asset_id),
        asset_id=asset_id,
        workspace_id=workspace_id,
        kind=kind,
        name=name,
        content_type=content_type,
        size_bytes=size_bytes,
        object_key=object_key,
        thumbnail_key=thumbnail_key,
        source_asset_id=source_asset_id,
        generation=generation.model_dump(exclude_none=True) if generation else None,
        created_by=created_by,
        created_at=created_at,
        updated_at=created_at,
        **probed.model_dump(),
    )


def store_new_asset(
    item: MediaAssetItem,
    *,
    actor: str,
    action: str,
    spends_upload: MediaUploadItem | None = None,
) -> None:
    """Save a new asset, charging its bytes to the quota, with its activity entry.

    QuotaExceeded when the library has no room for it; UploadAlreadyCompleted when
    `spends_upload` (consumed in the same transaction) was completed meanwhile.
    """
    workspace_id, size = item.workspace_id, int(item.size_bytes)
    try:
        with transaction() as write:
            write.save(item, condition=MediaAssetItem.pk.does_not_exist())
            asset_items.charge(write, workspace_id, size, quota_bytes=quotas.quota_bytes())
            if spends_upload is not None:
                write.delete(spends_upload, condition=MediaUploadItem.pk.exists())
            write.save(
                activity_entry(
                    workspace_id,
                    actor=actor,
                    action=action,
                    target=f"asset:{item.asset_id}",
                    details={"name": item.name, "kind": item.kind, "size_bytes": size},
                )
            )
            write_event(
                write,
                DomainEvent(
                    "media", "media.asset.ready", workspace_id, ready_event(item, job_id=None)
                ),
            )
    except TransactWriteError as error:
        if not any(
            reason is not None and reason.code == "ConditionalCheckFailed"
            for reason in error.cancellation_reasons
        ):
            raise
        # Which condition failed: the upload is gone, or the quota had no room left.
        if spends_upload is not None and (
            MediaUploadItem.find(workspace_id, spends_upload.upload_id) is None
        ):
            raise UploadAlreadyCompleted(spends_upload.upload_id) from None
        if size > quotas.room_left(workspace_id):
            raise quotas.exceeded(workspace_id, size) from None
        raise Conflict("The library changed meanwhile; try again.") from None


def ready_event(item: MediaAssetItem, *, job_id: str | None) -> dict[str, Any]:
    """The data of `media.asset.ready` for an asset just kept in the library."""
    return MediaAssetReadyData(
        asset_id=item.asset_id,
        kind=item.kind,
        name=item.name,
        content_type=item.content_type,
        size_bytes=int(item.size_bytes),
        width=item.width,
        height=item.height,
        duration_seconds=item.duration_seconds,
        source_asset_id=item.source_asset_id,
        job_id=job_id,
        created_by=item.created_by,
    ).data()


def remove_asset(access: WorkspaceAccess, item: MediaAssetItem) -> None:
    """Delete the asset and give its bytes back to the quota, then delete its files."""
    with (
        conflict_on_condition_failure("The asset changed meanwhile; try again."),
        transaction() as write,
    ):
        write.delete(item)
        asset_items.refund(write, item.workspace_id, int(item.size_bytes))
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="media.deleted",
                target=f"asset:{item.asset_id}",
                details={"name": item.name, "kind": item.kind},
            )
        )
    asset_store.delete(item.object_key, item.thumbnail_key)
