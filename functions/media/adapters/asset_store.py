"""The library's files in the media bucket, under the workspace's own prefix.

  workspaces/<ws>/uploads/<upload>                 a browser's upload, until it is completed
  workspaces/<ws>/media/<asset>/original           an asset's file
  workspaces/<ws>/media/<asset>/thumbnail.jpg      its thumbnail

A completed upload is copied (within S3) to its asset's key, which no upload form can write, so
the file kept is the one that was checked even if the form is posted again before it expires.
Reads and the copy name the ETag first seen, so a file replaced while it is being checked is
refused rather than half-checked.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from functions.shared import aws
from functions.shared.settings import get_settings
from functions.shared.storage import (
    PresignedUpload,
    presign_download,
    presign_upload,
    workspace_key,
    workspace_prefix,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import GetObjectOutputTypeDef, ObjectIdentifierTypeDef

MEDIA_FOLDER = "media"
UPLOADS_FOLDER = "uploads"
THUMBNAIL_CONTENT_TYPE = "image/jpeg"
DOWNLOAD_EXPIRY_SECONDS = 300
_CHUNK_BYTES = 1024 * 1024


class ObjectChanged(Exception):
    """The object was replaced (or removed) while it was being read."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    size: int
    content_type: str | None
    etag: str


def upload_key(workspace_id: str, upload_id: str) -> str:
    return workspace_key(workspace_id, UPLOADS_FOLDER, upload_id)


def original_key(workspace_id: str, asset_id: str) -> str:
    return workspace_key(workspace_id, MEDIA_FOLDER, asset_id, "original")


def thumbnail_key(workspace_id: str, asset_id: str) -> str:
    return workspace_key(workspace_id, MEDIA_FOLDER, asset_id, "thumbnail.jpg")


def presign_form(
    key: str, *, content_type: str, max_bytes: int, expires_in: int
) -> PresignedUpload:
    return presign_upload(
        key, content_type=content_type, max_bytes=max_bytes, expires_in=expires_in
    )


def stat(key: str) -> StoredObject | None:
    s3 = aws.s3()
    try:
        head = s3.head_object(Bucket=get_settings().media_bucket, Key=key)
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return StoredObject(
        size=head["ContentLength"], content_type=head.get("ContentType"), etag=head["ETag"]
    )


def _get(key: str, etag: str, byte_range: str | None = None) -> "GetObjectOutputTypeDef":
    s3 = aws.s3()
    arguments = {"Bucket": get_settings().media_bucket, "Key": key, "IfMatch": etag}
    if byte_range is not None:
        arguments["Range"] = byte_range
    try:
        return s3.get_object(**arguments)  # type: ignore[arg-type]
    except s3.exceptions.NoSuchKey:
        raise ObjectChanged(key) from None
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "PreconditionFailed":
            raise ObjectChanged(key) from None
        raise


def read_head(key: str, etag: str, count: int) -> bytes:
    """The object's first `count` bytes (fewer if it is shorter)."""
    body = _get(key, etag, f"bytes=0-{count - 1}")["Body"]
    try:
        return body.read(count)
    finally:
        body.close()


def download(key: str, etag: str, destination: Path) -> None:
    """Stream the object into a local file, a megabyte at a time."""
    body = _get(key, etag)["Body"]
    try:
        with destination.open("wb") as file:
            for chunk in body.iter_chunks(_CHUNK_BYTES):
                file.write(chunk)
    finally:
        body.close()


def put_file(key: str, source: Path, *, content_type: str) -> None:
    aws.s3().upload_file(
        str(source),
        get_settings().media_bucket,
        key,
        ExtraArgs={"ContentType": content_type},
    )


def put_bytes(key: str, data: bytes, *, content_type: str) -> None:
    aws.s3().put_object(
        Bucket=get_settings().media_bucket, Key=key, Body=data, ContentType=content_type
    )


def copy(source_key: str, etag: str, destination_key: str, *, content_type: str) -> None:
    """Copy the object as it was when checked, stored with the type its bytes were found to be
    (one CopyObject: objects up to 5 GB)."""
    bucket = get_settings().media_bucket
    s3 = aws.s3()
    try:
        s3.copy_object(
            Bucket=bucket,
            Key=destination_key,
            CopySource={"Bucket": bucket, "Key": source_key},
            CopySourceIfMatch=etag,
            MetadataDirective="REPLACE",
            ContentType=content_type,
            # Without the upload's `pending` tag, which would have the lifecycle rule expire it.
            TaggingDirective="REPLACE",
        )
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "PreconditionFailed":
            raise ObjectChanged(source_key) from None
        raise


def delete(*keys: str | None) -> None:
    """Delete each named object; one that is already gone is no error."""
    bucket = get_settings().media_bucket
    for key in dict.fromkeys(k for k in keys if k):
        aws.s3().delete_object(Bucket=bucket, Key=key)


def delete_workspace_files(workspace_id: str) -> int:
    """Delete every object under the workspace's prefix (uploads, originals, thumbnails, job
    results), a thousand per request; the number deleted. The bucket keeps the versions it
    replaced for 30 days (its lifecycle rule), then they go too."""
    bucket = get_settings().media_bucket
    s3 = aws.s3()
    deleted = 0
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=workspace_prefix(workspace_id)
    )
    for page in pages:
        keys: list[ObjectIdentifierTypeDef] = [
            {"Key": found["Key"]} for found in page.get("Contents", [])
        ]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted


def download_url(key: str, *, filename: str | None = None) -> str:
    return presign_download(key, expires_in=DOWNLOAD_EXPIRY_SECONDS, filename=filename)
