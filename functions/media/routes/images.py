"""Image tools: a new image asset made from a library image."""

from typing import Annotated

from fastapi import APIRouter, Path, status
from starlette.concurrency import run_in_threadpool

from functions.media.domain.models import Asset, ImageRequest
from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import (
    MediaWriter,
)

router = APIRouter(prefix="/v1/media", tags=["media"])

AssetId = Annotated[str, Path(pattern=ID_PATTERN, description="The source image's asset id.")]


@router.post(
    "/{asset_id}/image",
    status_code=status.HTTP_201_CREATED,
    description=Permissions.MEDIA_WRITE.description,
)
async def transform_image(access: MediaWriter, asset_id: AssetId, body: ImageRequest) -> Asset:
    """Make a new image from this one: resize (keeping the aspect ratio), crop (a box of the
    upright image), fit with padding, or a platform preset (cropped to fill, or fitted), as
    JPEG, PNG or WebP. The result is upright (EXIF orientation applied), in sRGB and without
    metadata, and links back to its source (`source_asset_id`)."""
    from functions.media.domain import images

    return await run_in_threadpool(images.apply, access, asset_id, body)
