"""Image tools: a new image asset made from a library image."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from starlette.concurrency import run_in_threadpool

from functions.media.domain.models import Asset, ImageRequest
from functions.shared.access import (
    ID_PATTERN,
    Permission,
    Role,
    Scope,
    WorkspaceAccess,
    require_workspace,
)

router = APIRouter(prefix="/v1/media", tags=["media"])

WRITE = Permission(Role.EDITOR, Scope.MEDIA_WRITE)
WriteAccess = Annotated[WorkspaceAccess, Depends(require_workspace(WRITE))]
AssetId = Annotated[str, Path(pattern=ID_PATTERN, description="The source image's asset id.")]


@router.post(
    "/{asset_id}/image", status_code=status.HTTP_201_CREATED, description=WRITE.description
)
async def transform_image(access: WriteAccess, asset_id: AssetId, body: ImageRequest) -> Asset:
    """Make a new image from this one: resize (keeping the aspect ratio), crop (a box of the
    upright image), fit with padding, or a platform preset (cropped to fill, or fitted), as
    JPEG, PNG or WebP. The result is upright (EXIF orientation applied), in sRGB and without
    metadata, and links back to its source (`source_asset_id`)."""
    from functions.media.domain import images

    return await run_in_threadpool(images.apply, access, asset_id, body)
