"""S3 helpers for the media bucket: tenant-scoped keys and presigned uploads and downloads.

Browsers upload straight to S3 with a presigned POST whose policy fixes the key, the content type
and the size range, so no Lambda ever carries file bytes. The policy also fixes the object's tag
`herald-upload=pending`: a bucket lifecycle rule (infra/foundation.py) expires objects still
tagged so after two days, so an upload that is never completed does not stay. Completing one
stores the file anew (copied or re-encoded, without the tag) and deletes the upload. Keys start
with the owning workspace (or, for personal files such as avatars, the user) so IAM can scope
each function to its prefix.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote

from functions.shared import aws
from functions.shared.settings import get_settings

WORKSPACES_PREFIX = "workspaces"
USERS_PREFIX = "users"
DEFAULT_EXPIRY_SECONDS = 300
# The tag every presigned upload carries until it is completed, and the lifecycle rule matches.
PENDING_UPLOAD_TAG = ("herald-upload", "pending")
# S3's form field for object tags takes the tag set as XML.
PENDING_UPLOAD_TAGGING = (
    "<Tagging><TagSet><Tag>"
    f"<Key>{PENDING_UPLOAD_TAG[0]}</Key><Value>{PENDING_UPLOAD_TAG[1]}</Value>"
    "</Tag></TagSet></Tagging>"
)
# Objects written to be downloaded soon and then forgotten (analytics CSV exports) carry this tag;
# a lifecycle rule (infra/foundation.py) expires them a day after they were written.
EXPIRING_DOWNLOAD_TAG = ("herald-download", "expiring")
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def _object_key(prefix: str, owner_id: str, parts: tuple[str, ...]) -> str:
    segments = (owner_id, *parts)
    bad = [segment for segment in segments if not _SEGMENT.fullmatch(segment) or ".." in segment]
    if not parts or bad:
        raise ValueError(f"unsafe or missing key segments: {bad or segments!r}")
    return "/".join((prefix, *segments))


def workspace_key(workspace_id: str, *parts: str) -> str:
    return _object_key(WORKSPACES_PREFIX, workspace_id, parts)


def workspace_prefix(workspace_id: str) -> str:
    """`workspaces/<ws>/`: the start of every key of the workspace's objects."""
    if not _SEGMENT.fullmatch(workspace_id):
        raise ValueError(f"unsafe workspace id: {workspace_id!r}")
    return f"{WORKSPACES_PREFIX}/{workspace_id}/"


def user_key(user_id: str, *parts: str) -> str:
    return _object_key(USERS_PREFIX, user_id, parts)


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int
    expires_in: int


def presign_upload(
    key: str,
    *,
    content_type: str,
    max_bytes: int,
    expires_in: int = DEFAULT_EXPIRY_SECONDS,
) -> PresignedUpload:
    """A browser form upload of one object at `key`, of exactly this type and 1..max_bytes,
    tagged as a pending upload."""
    post = aws.s3().generate_presigned_post(
        Bucket=get_settings().media_bucket,
        Key=key,
        Fields={"Content-Type": content_type, "tagging": PENDING_UPLOAD_TAGGING},
        Conditions=[
            {"Content-Type": content_type},
            {"tagging": PENDING_UPLOAD_TAGGING},
            ["content-length-range", 1, max_bytes],
        ],
        ExpiresIn=expires_in,
    )
    return PresignedUpload(
        url=post["url"],
        fields=post["fields"],
        key=key,
        max_bytes=max_bytes,
        expires_in=expires_in,
    )


def read_object(key: str, *, max_bytes: int) -> bytes:
    """A whole object of the media bucket known to be at most `max_bytes` (an asset's checked
    file); ValueError when it is bigger, so nothing unexpected is held in memory."""
    found = aws.s3().get_object(Bucket=get_settings().media_bucket, Key=key)
    body = found["Body"]
    try:
        if found["ContentLength"] > max_bytes:
            raise ValueError(f"{key} has {found['ContentLength']} bytes, over {max_bytes}")
        return body.read()
    finally:
        body.close()


def presign_download(
    key: str, *, expires_in: int = DEFAULT_EXPIRY_SECONDS, filename: str | None = None
) -> str:
    params = {"Bucket": get_settings().media_bucket, "Key": key}
    if filename is not None:
        # RFC 6266 extended form: any name, quotes and non-ASCII included, stays one parameter.
        params["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return aws.s3().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
