"""Uploads: the browser posts straight to S3, then Herald checks what arrived before keeping it.

`start_upload` refuses a declared size over its kind's cap (kinds.py) or over what is left of
the workspace's quota, and hands out a presigned POST for exactly one object, of exactly the
declared type and at most the declared size, valid 15 minutes. The pending upload is an item
(with a TTL) naming the key, the declared type and the deadline for completing it (24 hours).

`complete_upload` trusts nothing about the file but its bytes. It reads the first 64 bytes and
names the format from its signature (sniffing.py); a file of another family than the one
declared (a `.jpg` that is a program, a video declared as audio) or of no accepted format is
refused with 400 (problem type `urn:herald:problem:media-rejected`), and it and the pending
upload are deleted. Otherwise the file is downloaded into a temporary folder (/tmp in Lambda,
hence the video cap) and read by Pillow (images, GIFs) or ffprobe (video, audio) for its probe
fields, and a thumbnail is made. ffprobe could read the file through a presigned URL instead,
fetching only the ranges it needs; that is not done because the FFmpeg adapter's `probe` and
`thumbnail` take local files (its faststart check walks the file's boxes itself) and so that no
network protocol ever reaches FFmpeg.

The checked file is then copied to its asset's key (asset_store.py), stored with the type its
bytes were found to be, and the asset, the quota charge and the spending of the pending upload
are one transaction: an upload completes once, and the quota holds even when two complete
together. A completion that finds the quota full keeps the pending upload, so it can be
completed again once room is made.
"""

from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import NoReturn

from ulid import ULID

from functions.media.adapters import asset_store
from functions.media.adapters.asset_items import MediaUploadItem
from functions.media.domain import assets, kinds, probing, quotas
from functions.media.domain.models import Asset, Upload, UploadRequest
from functions.media.domain.sniffing import HEAD_BYTES, Sniffed, describe_unknown, sniff
from functions.shared.access import WorkspaceAccess
from functions.shared.problems import Conflict, FieldError, NotFound, ValidationFailed
from functions.shared.tables import utc_now

FORM_EXPIRY_SECONDS = 900
# How long a started upload may take to be completed: a large file on a slow line.
COMPLETION_WINDOW = timedelta(hours=24)


def start_upload(access: WorkspaceAccess, request: UploadRequest) -> Upload:
    kind = kinds.kind_of(request.content_type)
    too_big = kinds.size_limit_message(kind, request.size_bytes)
    if too_big is not None:
        raise ValidationFailed(
            too_big,
            errors=[FieldError(pointer="/body/size_bytes", detail=too_big, code="too_large")],
        )
    quotas.ensure_room(access.workspace_id, request.size_bytes)
    upload_id = str(ULID())
    key = asset_store.upload_key(access.workspace_id, upload_id)
    form = asset_store.presign_form(
        key,
        content_type=request.content_type,
        max_bytes=request.size_bytes,
        expires_in=FORM_EXPIRY_SECONDS,
    )
    deadline = utc_now() + COMPLETION_WINDOW
    MediaUploadItem(
        *MediaUploadItem.keys(access.workspace_id, upload_id),
        upload_id=upload_id,
        workspace_id=access.workspace_id,
        object_key=key,
        name=request.name,
        content_type=request.content_type,
        max_bytes=request.size_bytes,
        complete_by=deadline,
        created_by=access.actor,
        expires_at=deadline,
    ).save(condition=MediaUploadItem.pk.does_not_exist())
    return Upload(
        upload_id=upload_id,
        url=form.url,
        fields=form.fields,
        max_bytes=form.max_bytes,
        content_type=request.content_type,
        expires_in=form.expires_in,
    )


def complete_upload(access: WorkspaceAccess, upload_id: str) -> Asset:
    upload = MediaUploadItem.find(access.workspace_id, upload_id)
    if upload is None or upload.complete_by < utc_now():
        raise NotFound(
            f"No upload {upload_id} is waiting to be completed: start one with "
            "POST /v1/media/uploads and post the file to its form first (an upload completes "
            "once, within 24 hours)."
        )
    stored = asset_store.stat(upload.object_key)
    if stored is None:
        raise Conflict(
            f"Upload {upload_id} has no file yet: post it to the upload form, then complete it."
        )
    try:
        return _keep(access, upload, stored)
    except asset_store.ObjectChanged:
        raise Conflict(
            "The file was replaced while it was being checked; complete the upload again."
        ) from None


def _keep(
    access: WorkspaceAccess, upload: MediaUploadItem, stored: asset_store.StoredObject
) -> Asset:
    if stored.size > upload.max_bytes:
        _refuse(
            upload, f"The file has {stored.size} bytes, more than the {upload.max_bytes} declared."
        )
    sniffed = _sniff(upload, asset_store.read_head(upload.object_key, stored.etag, HEAD_BYTES))
    too_big = kinds.size_limit_message(sniffed.kind, stored.size)
    if too_big is not None:
        _refuse(upload, too_big)
    with TemporaryDirectory() as workdir:
        local = Path(workdir) / "original"
        asset_store.download(upload.object_key, stored.etag, local)
        try:
            inspection = probing.inspect(local, sniffed)
        except probing.MediaRefused as refusal:
            _refuse(upload, str(refusal))
    if kinds.family(inspection.kind) != kinds.family(kinds.kind_of(upload.content_type)):
        holds = "no video, only sound" if inspection.kind == "audio" else "video"
        _refuse(
            upload,
            f"The file was uploaded as {upload.content_type}, but it holds {holds}; upload it "
            f"as {inspection.content_type}.",
        )

    asset_id, created_at = assets.new_asset_id()
    object_key = asset_store.original_key(access.workspace_id, asset_id)
    asset_store.copy(
        upload.object_key, stored.etag, object_key, content_type=inspection.content_type
    )
    thumbnail_key = None
    if inspection.thumbnail is not None:
        thumbnail_key = asset_store.thumbnail_key(access.workspace_id, asset_id)
        asset_store.put_bytes(
            thumbnail_key, inspection.thumbnail, content_type=asset_store.THUMBNAIL_CONTENT_TYPE
        )
    item = assets.new_asset_item(
        access.workspace_id,
        asset_id=asset_id,
        created_at=created_at,
        kind=inspection.kind,
        name=upload.name,
        content_type=inspection.content_type,
        size_bytes=stored.size,
        object_key=object_key,
        thumbnail_key=thumbnail_key,
        created_by=access.actor,
        probed=inspection.probed,
    )
    try:
        assets.store_new_asset(
            item, actor=access.actor, action="media.uploaded", spends_upload=upload
        )
    except assets.UploadAlreadyCompleted:
        asset_store.delete(object_key, thumbnail_key)
        raise NotFound(f"Upload {upload.upload_id} was completed already.") from None
    except BaseException:
        asset_store.delete(object_key, thumbnail_key)
        raise
    asset_store.delete(upload.object_key)
    return assets.asset_view(item)


def _sniff(upload: MediaUploadItem, head: bytes) -> Sniffed:
    """The format the leading bytes name, if of the family declared; else the upload goes."""
    sniffed = sniff(head)
    if sniffed is None:
        _refuse(
            upload,
            f"The file was uploaded as {upload.content_type}, but its content is "
            f"{describe_unknown(head)} (judged by its bytes, not its name or declared type).",
        )
    if kinds.family(sniffed.kind) != kinds.family(kinds.kind_of(upload.content_type)):
        _refuse(
            upload,
            f"The file was uploaded as {upload.content_type}, but its content is "
            f"{sniffed.content_type}; upload it with its own type.",
        )
    return sniffed


def _refuse(upload: MediaUploadItem, reason: str) -> NoReturn:
    """Delete a refused upload's file and the pending upload, so it cannot be completed."""
    asset_store.delete(upload.object_key)
    upload.delete(add_version_condition=False)
    raise assets.FileRefused(f"{reason} The upload was discarded; start a new one.")
