"""Keeping a file Herald has in hand (imported, generated) as a new asset, checked like an upload.

Its leading bytes must name an accepted format, its kind's size cap applies, and Pillow or
ffprobe must read it as that format (probing.py); then the file and its thumbnail are stored and
the asset is kept with its quota charge and activity entry (assets.store_new_asset), or the
files are deleted again.
"""

from pathlib import Path

from functions.media.adapters import asset_store
from functions.media.domain import assets, kinds, probing
from functions.media.domain.models import Asset, Generation
from functions.media.domain.sniffing import HEAD_BYTES, describe_unknown, sniff
from functions.shared.access import WorkspaceAccess


def keep_file(
    access: WorkspaceAccess,
    local: Path,
    *,
    name: str,
    action: str,
    what: str,
    generation: Generation | None = None,
) -> Asset:
    """The new asset; FileRefused naming what the file is when it cannot be kept.

    `what`: the file's origin for a refusal, e.g. "The URL's content"."""
    size = local.stat().st_size
    with local.open("rb") as file:
        head = file.read(HEAD_BYTES)
    sniffed = sniff(head)
    if sniffed is None:
        raise assets.FileRefused(
            f"{what} is {describe_unknown(head)} (judged by its bytes, not by its name or the "
            "type it was given)."
        )
    too_big = kinds.size_limit_message(sniffed.kind, size)
    if too_big is not None:
        raise assets.FileRefused(too_big)
    try:
        inspection = probing.inspect(local, sniffed)
    except probing.MediaRefused as refusal:
        raise assets.FileRefused(str(refusal)) from None
    asset_id, created_at = assets.new_asset_id()
    object_key = asset_store.original_key(access.workspace_id, asset_id)
    thumbnail_key = None
    try:
        asset_store.put_file(object_key, local, content_type=inspection.content_type)
        if inspection.thumbnail is not None:
            thumbnail_key = asset_store.thumbnail_key(access.workspace_id, asset_id)
            asset_store.put_bytes(
                thumbnail_key,
                inspection.thumbnail,
                content_type=asset_store.THUMBNAIL_CONTENT_TYPE,
            )
        item = assets.new_asset_item(
            access.workspace_id,
            asset_id=asset_id,
            created_at=created_at,
            kind=inspection.kind,
            name=name,
            content_type=inspection.content_type,
            size_bytes=size,
            object_key=object_key,
            thumbnail_key=thumbnail_key,
            created_by=access.actor,
            probed=inspection.probed,
            generation=generation,
        )
        assets.store_new_asset(item, actor=access.actor, action=action)
    except BaseException:
        asset_store.delete(object_key, thumbnail_key)
        raise
    return assets.asset_view(item)
