"""The media library: uploads, imports, listing, reading, editing, deleting, downloading."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from starlette.concurrency import run_in_threadpool

from functions.media.domain.kinds import Kind
from functions.media.domain.models import (
    Asset,
    AssetUpdate,
    Download,
    ImportRequest,
    Upload,
    UploadRequest,
    Usage,
)
from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import (
    MediaReader,
    MediaWriter,
    Paging,
)
from functions.shared.inputs import Rfc3339DateTime, SingleLine
from functions.shared.pagination import Page

router = APIRouter(prefix="/v1/media", tags=["media"])

AssetId = Annotated[str, Path(pattern=ID_PATTERN, description="Asset id.")]
UploadId = Annotated[
    str, Path(pattern=ID_PATTERN, description="The `upload_id` from POST /v1/media/uploads.")
]


@router.post(
    "/uploads",
    status_code=status.HTTP_201_CREATED,
    description=Permissions.MEDIA_WRITE.description,
    name="start_media_upload",
)
async def start_upload(access: MediaWriter, body: UploadRequest) -> Upload:
    """Get a form to upload one file straight to storage (this type, at most `size_bytes`,
    within 15 minutes): POST `fields` and then the file (as `file`) to `url` as
    multipart/form-data, then call POST /v1/media/uploads/{upload_id}/complete.

    Size caps: images 50 MiB, GIFs 15 MiB, video 1 GiB, audio 256 MiB (422 beyond); 403 (problem
    type `urn:herald:problem:quota`) when the workspace's quota has no room for the file.
    """
    from functions.media.domain import uploads

    return await run_in_threadpool(uploads.start_upload, access, body)


@router.post(
    "/uploads/{upload_id}/complete",
    status_code=status.HTTP_201_CREATED,
    description=Permissions.MEDIA_WRITE.description,
    name="complete_media_upload",
)
async def complete_upload(access: MediaWriter, upload_id: UploadId) -> Asset:
    """Check the uploaded file and add it to the library.

    The file's bytes decide what it is: 400 (problem type `urn:herald:problem:media-rejected`,
    the upload discarded) when they are not an image, GIF, video or audio file of the family
    declared, or cannot be read. 409 while no file has been posted yet.
    """
    from functions.media.domain import uploads

    return await run_in_threadpool(uploads.complete_upload, access, upload_id)


@router.post(
    "/import", status_code=status.HTTP_201_CREATED, description=Permissions.MEDIA_WRITE.description
)
async def import_media(access: MediaWriter, body: ImportRequest) -> Asset:
    """Fetch a file from an https URL into the library (at most 256 MiB, within 20 s).

    The URL and every redirect must lead to public internet addresses (422 otherwise); the file
    is checked like an upload.
    """
    from functions.media.domain import importing

    return await run_in_threadpool(importing.import_from_url, access, body)


@router.get("/usage", description=Permissions.MEDIA_READ.description, name="get_media_usage")
async def get_usage(access: MediaReader) -> Usage:
    """How much of its storage quota the workspace's library uses."""
    from functions.media.domain import library

    return await run_in_threadpool(library.usage, access)


@router.get("", description=Permissions.MEDIA_READ.description)
async def list_assets(
    access: MediaReader,
    page: Paging,
    kind: Annotated[Kind | None, Query(description="Only assets of this kind.")] = None,
    label: Annotated[
        SingleLine | None, Query(min_length=1, max_length=50, description="Only assets with it.")
    ] = None,
    created_from: Annotated[
        Rfc3339DateTime | None,
        Query(description="Created at or after (RFC 3339; UTC if no offset)."),
    ] = None,
    created_to: Annotated[
        Rfc3339DateTime | None,
        Query(description="Created at or before (RFC 3339; UTC if no offset)."),
    ] = None,
) -> Page[Asset]:
    """The library, newest first. With filters a page may hold fewer than `limit` assets;
    follow `next_cursor` until it is null."""
    from functions.media.domain import library

    items, cursor = await run_in_threadpool(
        lambda: library.list_assets(
            access,
            page,
            kind=kind,
            label=label,
            created_from=created_from,
            created_to=created_to,
        )
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/{asset_id}", description=Permissions.MEDIA_READ.description)
async def get_asset(access: MediaReader, asset_id: AssetId) -> Asset:
    from functions.media.domain import library

    return await run_in_threadpool(library.get_asset, access, asset_id)


@router.patch("/{asset_id}", description=Permissions.MEDIA_WRITE.description)
async def update_asset(access: MediaWriter, asset_id: AssetId, body: AssetUpdate) -> Asset:
    """Rename, relabel or set the alt text (null removes labels or alt text)."""
    from functions.media.domain import library

    return await run_in_threadpool(library.update_asset, access, asset_id, body)


@router.delete(
    "/{asset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    description=Permissions.MEDIA_WRITE.description,
)
async def delete_asset(access: MediaWriter, asset_id: AssetId) -> None:
    """Delete the asset and its files; its bytes no longer count against the quota."""
    from functions.media.domain import library

    await run_in_threadpool(library.delete_asset, access, asset_id)


@router.get("/{asset_id}/download", description=Permissions.MEDIA_READ.description)
async def download_asset(access: MediaReader, asset_id: AssetId) -> Download:
    """A link that downloads the file under its name, valid for 5 minutes."""
    from functions.media.domain import library

    return await run_in_threadpool(library.download_link, access, asset_id)
