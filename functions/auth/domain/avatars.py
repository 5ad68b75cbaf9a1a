"""Avatars: the browser uploads straight to S3, then Herald re-encodes what it received.

`start_upload` hands out a presigned POST for one file of a declared image type and at most
5 MB. `complete_upload` reads that file back and trusts nothing about it but its bytes: Pillow
must identify it as JPEG, PNG or WebP by content, it may not exceed 40 megapixels (nor trip
Pillow's decompression-bomb guard), and it is decoded, turned upright (EXIF orientation),
centre-cropped to a square, resized to 512x512, converted to sRGB and written anew as WebP with
no metadata at all (no EXIF, GPS, ICC or XMP). Only that re-encoded file is ever served.

`render_avatar` is the image work alone (bytes in, bytes out, Pillow only); PIL is imported
when it first runs, so starting an upload or any other route never pays for loading it.
"""

from pynamodb.exceptions import UpdateError
from ulid import ULID

from functions.auth.adapters import avatar_store
from functions.auth.adapters.items import UserItem
from functions.auth.domain.models import AvatarContentType, AvatarUpload, User
from functions.auth.domain.profiles import current_user, user_view
from functions.shared import images
from functions.shared.auth import UserPrincipal
from functions.shared.images import ImagePolicy, ImageRejected
from functions.shared.problems import Conflict, InvalidToken, NotFound, ValidationFailed
from functions.shared.tables import utc_now

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
AVATAR_SIDE = 512
WEBP_QUALITY = 85
UPLOAD_EXPIRY_SECONDS = 300
AVATAR_POLICY = ImagePolicy(
    formats=("JPEG", "PNG", "WEBP"), max_pixels=MAX_PIXELS, purpose="an avatar"
)
_UPDATE_ATTEMPTS = 3


def start_upload(principal: UserPrincipal, content_type: AvatarContentType) -> AvatarUpload:
    user = current_user(principal)
    upload_id = str(ULID())
    upload = avatar_store.presign(
        user.user_id,
        upload_id,
        content_type=content_type,
        max_bytes=MAX_UPLOAD_BYTES,
        expires_in=UPLOAD_EXPIRY_SECONDS,
    )
    return AvatarUpload(
        upload_id=upload_id,
        url=upload.url,
        fields=upload.fields,
        max_bytes=upload.max_bytes,
        content_type=content_type,
        expires_in=upload.expires_in,
    )


def complete_upload(principal: UserPrincipal, upload_id: str) -> User:
    """Re-encode the uploaded file as the user's avatar, replacing (and deleting) the old one."""
    user = current_user(principal)
    upload_key = avatar_store.upload_key(user.user_id, upload_id)
    try:
        data = avatar_store.read_upload(user.user_id, upload_id, max_bytes=MAX_UPLOAD_BYTES)
    except avatar_store.UploadTooLarge as error:
        avatar_store.delete(upload_key)
        raise ValidationFailed(
            f"The upload has {error.size} bytes; an avatar may have at most "
            f"{MAX_UPLOAD_BYTES} bytes (5 MB)."
        ) from None
    if data is None:
        raise NotFound(
            f"No avatar upload {upload_id} is waiting to be completed: start one with "
            "POST /v1/me/avatar and upload the file to the URL it returns before completing it "
            "(each upload can be completed once)."
        )
    try:
        avatar = render_avatar(data)
    except ImageRejected as error:
        # A refused file is of no further use; a new attempt starts with a new upload.
        avatar_store.delete(upload_key)
        raise ValidationFailed(f"{error} Upload another image.") from None

    new_key = avatar_store.avatar_key(user.user_id, upload_id)
    avatar_store.put_avatar(new_key, avatar)
    try:
        user, previous = _point_avatar_at(user, new_key)
    except BaseException:
        current = UserItem.find(user.user_id)
        if current is None or current.avatar_key != new_key:
            avatar_store.delete(new_key)
        raise
    avatar_store.delete(upload_key, previous if previous != new_key else None)
    return user_view(user)


def remove_avatar(principal: UserPrincipal) -> None:
    user = current_user(principal)
    if user.avatar_key is None:
        return
    _, previous = _point_avatar_at(user, None)
    avatar_store.delete(previous)


def _point_avatar_at(user: UserItem, key: str | None) -> tuple[UserItem, str | None]:
    """Set (or clear) the avatar key; returns the updated user and the key it replaced.

    The write is conditional on the item's version; losing the race to another profile change
    is harmless for this one attribute, so it re-reads and tries again.
    """
    for _ in range(_UPDATE_ATTEMPTS):
        previous = user.avatar_key
        if previous == key:
            return user, previous
        change = UserItem.avatar_key.set(key) if key else UserItem.avatar_key.remove()
        try:
            user.update(actions=[change, UserItem.updated_at.set(utc_now())])
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            fresh = UserItem.find(user.user_id)
            if fresh is None:
                raise InvalidToken("This account no longer exists.") from None
            user = fresh
            continue
        return user, previous
    raise Conflict("Your profile kept changing meanwhile; try again.")


def render_avatar(data: bytes) -> bytes:
    """The avatar made from an uploaded file: 512x512 sRGB WebP without metadata.

    Raises ImageRejected when the bytes are not a JPEG, PNG or WebP image Pillow can decode
    within the pixel limit.
    """
    with images.open_image(data, AVATAR_POLICY) as image:
        # JPEGs decode at reduced scale while both sides stay >= the avatar's.
        images.decode(image, at_least=(AVATAR_SIDE, AVATAR_SIDE))
        icc_profile = image.info.get("icc_profile")
        upright = images.workable(images.upright(image))
        square = images.cover(upright, (AVATAR_SIDE, AVATAR_SIDE))
        rgb = images.to_srgb(square, icc_profile)
    return images.encode(rgb, "WEBP", quality=WEBP_QUALITY, webp_method=6)
