"""Avatar objects in the media bucket: uploads waiting to be completed, and stored avatars.

Both live under the user's own prefix (`users/<user>/...`), the only part of the bucket the auth
function may touch, so one user can never name another's upload:

  users/<user>/avatar-uploads/<upload>    the browser's original file (deleted once completed)
  users/<user>/avatar/<upload>.webp       the re-encoded avatar `UserItem.avatar_key` points at
"""

from functions.shared import aws
from functions.shared.settings import get_settings
from functions.shared.storage import PresignedUpload, presign_upload, user_key

UPLOADS_FOLDER = "avatar-uploads"
AVATARS_FOLDER = "avatar"
AVATAR_CONTENT_TYPE = "image/webp"
# Each stored avatar has its own key and is never rewritten, so caches may keep it for good.
AVATAR_CACHE_CONTROL = "private, max-age=31536000, immutable"


class UploadTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"the upload has {size} bytes")
        self.size = size


def upload_key(user_id: str, upload_id: str) -> str:
    return user_key(user_id, UPLOADS_FOLDER, upload_id)


def avatar_key(user_id: str, upload_id: str) -> str:
    return user_key(user_id, AVATARS_FOLDER, f"{upload_id}.webp")


def presign(
    user_id: str, upload_id: str, *, content_type: str, max_bytes: int, expires_in: int
) -> PresignedUpload:
    return presign_upload(
        upload_key(user_id, upload_id),
        content_type=content_type,
        max_bytes=max_bytes,
        expires_in=expires_in,
    )


def read_upload(user_id: str, upload_id: str, *, max_bytes: int) -> bytes | None:
    """The uploaded bytes, None when there is no such upload; UploadTooLarge past `max_bytes`.

    The upload policy already caps the size; this check does not trust that it was used.
    """
    s3 = aws.s3()
    try:
        found = s3.get_object(
            Bucket=get_settings().media_bucket, Key=upload_key(user_id, upload_id)
        )
    except s3.exceptions.NoSuchKey:
        return None
    body = found["Body"]
    try:
        if found["ContentLength"] > max_bytes:
            raise UploadTooLarge(found["ContentLength"])
        data = body.read(max_bytes + 1)
    finally:
        body.close()
    if len(data) > max_bytes:
        raise UploadTooLarge(len(data))
    return data


def put_avatar(key: str, data: bytes) -> None:
    aws.s3().put_object(
        Bucket=get_settings().media_bucket,
        Key=key,
        Body=data,
        ContentType=AVATAR_CONTENT_TYPE,
        CacheControl=AVATAR_CACHE_CONTROL,
    )


def delete(*keys: str | None) -> None:
    """Delete each named object; deleting one that is already gone is not an error."""
    bucket = get_settings().media_bucket
    for key in dict.fromkeys(k for k in keys if k):
        aws.s3().delete_object(Bucket=bucket, Key=key)
