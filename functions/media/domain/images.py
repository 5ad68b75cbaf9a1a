"""Image tools on library assets: resize, crop, fit with padding or a platform preset.

The pixel work is image_ops.py; here the source asset is read, the result stored as a new asset
(JPEG, PNG or WebP, its own thumbnail, `source_asset_id` naming the source) and charged to the
quota like any other.
"""

from functions.media.adapters import asset_store
from functions.media.domain import assets, image_ops, kinds
from functions.media.domain.models import (
    Asset,
    CropOperation,
    FitOperation,
    ImageRequest,
    PresetOperation,
)
from functions.media.domain.probing import THUMBNAIL_WIDTH
from functions.shared import images
from functions.shared.access import WorkspaceAccess
from functions.shared.images import ImageRejected
from functions.shared.probed_media import ProbedMedia
from functions.shared.storage import read_object

_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def apply(access: WorkspaceAccess, asset_id: str, request: ImageRequest) -> Asset:
    source = assets.find_asset(access, asset_id)
    if source.kind != "image":
        raise assets.FileRefused(
            f"The image tools work on JPEG, PNG and WebP images; asset {asset_id} is "
            f"{'a GIF' if source.kind == 'gif' else f'a {source.kind} file'}."
        )
    data = read_object(source.object_key, max_bytes=kinds.MAX_BYTES["image"])
    try:
        rendered = image_ops.render(data, request)
        with images.open_image(rendered.data, image_ops.LIBRARY_POLICY) as output:
            thumbnail = image_ops.thumbnail(output, THUMBNAIL_WIDTH)
    except ImageRejected as refusal:
        raise assets.FileRefused(f"Asset {asset_id} cannot be worked on: {refusal}") from None

    new_id, created_at = assets.new_asset_id()
    object_key = asset_store.original_key(access.workspace_id, new_id)
    thumbnail_key = asset_store.thumbnail_key(access.workspace_id, new_id)
    try:
        asset_store.put_bytes(object_key, rendered.data, content_type=rendered.content_type)
        asset_store.put_bytes(
            thumbnail_key, thumbnail, content_type=asset_store.THUMBNAIL_CONTENT_TYPE
        )
        item = assets.new_asset_item(
            access.workspace_id,
            asset_id=new_id,
            created_at=created_at,
            kind="image",
            name=request.name or _default_name(source.name, request, rendered),
            content_type=rendered.content_type,
            size_bytes=len(rendered.data),
            object_key=object_key,
            thumbnail_key=thumbnail_key,
            created_by=access.actor,
            probed=ProbedMedia(
                container=rendered.image_format, width=rendered.width, height=rendered.height
            ),
            source_asset_id=source.asset_id,
        )
        assets.store_new_asset(item, actor=access.actor, action="media.image_created")
    except BaseException:
        asset_store.delete(object_key, thumbnail_key)
        raise
    return assets.asset_view(item)


def _default_name(source_name: str, request: ImageRequest, rendered: image_ops.Rendered) -> str:
    """`photo.png` resized to 800x600 as JPEG: `photo-resize-800x600.jpg`."""
    stem = source_name.rsplit(".", 1)[0] if "." in source_name else source_name
    operation = request.operation
    what = (
        operation.preset
        if isinstance(operation, PresetOperation)
        else "crop"
        if isinstance(operation, CropOperation)
        else "fit"
        if isinstance(operation, FitOperation)
        else "resize"
    )
    suffix = f"-{what}-{rendered.width}x{rendered.height}.{_EXTENSIONS[rendered.image_format]}"
    return stem[: 255 - len(suffix)] + suffix
