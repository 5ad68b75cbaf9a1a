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

from io import BytesIO
from typing import TYPE_CHECKING

from pynamodb.exceptions import UpdateError
from ulid import ULID

from functions.auth.adapters import avatar_store
from functions.auth.adapters.items import UserItem
from functions.auth.domain.models import AvatarContentType, AvatarUpload, User
from functions.auth.domain.profiles import current_user, user_view
from functions.shared.auth import UserPrincipal
from functions.shared.problems import Conflict, NotFound, Unauthorized, ValidationFailed
from functions.shared.tables import utc_now

if TYPE_CHECKING:
    from PIL.Image import Image

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
AVATAR_SIDE = 512
WEBP_QUALITY = 85
UPLOAD_EXPIRY_SECONDS = 300
# What Pillow must recognise in the bytes. MPO is how Pillow names the multi-picture JPEGs many
# phone cameras write; it opens them through the JPEG plugin.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
_IDENTIFIED_FORMATS = frozenset({*ACCEPTED_FORMATS, "MPO"})
_WHITE = (255, 255, 255)
_UPDATE_ATTEMPTS = 3


class ImageRejected(Exception):
    """The bytes are not an image Herald will make an avatar of; the message says why."""


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
                raise Unauthorized("This account no longer exists.") from None
            user = fresh
            continue
        return user, previous
    raise Conflict("Your profile kept changing meanwhile; try again.")


def render_avatar(data: bytes) -> bytes:
    """The avatar made from an uploaded file: 512x512 sRGB WebP without metadata.

    Raises ImageRejected when the bytes are not a JPEG, PNG or WebP image Pillow can decode
    within the pixel limit.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise ImageRejected(
            "The file is not a JPEG, PNG or WebP image (judged by its content, not by its name "
            "or declared type)."
        ) from None
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _undecodable() from None
    with image:
        if image.format not in _IDENTIFIED_FORMATS:
            raise ImageRejected("The file is not a JPEG, PNG or WebP image.")
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise _too_many_pixels(width, height)
        if image.format in {"JPEG", "MPO"}:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale while both sides stay >= 512.
            image.draft(None, (AVATAR_SIDE, AVATAR_SIDE))
        try:
            image.load()
        except Image.DecompressionBombError:
            raise _too_many_pixels() from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise _undecodable() from None
        icc_profile = image.info.get("icc_profile")
        upright = _upright(image)
        square = _square(_workable(upright))
        rgb = _to_srgb(square, icc_profile)
    return _encode_webp(rgb)


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ImageRejected:
    limit = f"an avatar may have at most {MAX_PIXELS // 1_000_000} megapixels"
    if width is None or height is None:
        return ImageRejected(f"The image has far too many pixels to decode safely; {limit}.")
    return ImageRejected(f"The image is {width}x{height} pixels; {limit}.")


def _undecodable() -> ImageRejected:
    return ImageRejected("The image could not be decoded: the file is truncated or corrupt.")


def _upright(image: "Image") -> "Image":
    """Apply the EXIF orientation; an unreadable EXIF block leaves the image as stored."""
    from PIL import ImageOps

    try:
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError):
        return image


def _workable(image: "Image") -> "Image":
    """A mode that resizes well: RGB, RGBA, L, LA or CMYK (palettes would resize as NEAREST)."""
    mode = image.mode
    if mode in {"RGB", "RGBA", "L", "LA", "CMYK"}:
        return image
    if mode.startswith("I"):  # 16-bit greyscale PNG: scale to 8 bits rather than clip
        return image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    if mode == "1":
        return image.convert("L")
    if mode in {"P", "PA"} or "transparency" in image.info:
        return image.convert("RGBA")
    return image.convert("RGB")


def _square(image: "Image") -> "Image":
    """Centre-crop to a square and resize it to the avatar's side with Lanczos."""
    from PIL import Image

    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return image.resize(
        (AVATAR_SIDE, AVATAR_SIDE),
        Image.Resampling.LANCZOS,
        box=(left, top, left + side, top + side),
        reducing_gap=3.0,
    )


def _to_srgb(image: "Image", icc_profile: bytes | None) -> "Image":
    """RGB in sRGB: the embedded profile converted, transparency composited on white."""
    from PIL import Image

    alpha = image.getchannel("A") if image.mode in {"RGBA", "LA"} else None
    if alpha is not None:
        image = image.convert("L" if image.mode == "LA" else "RGB")
    rgb = _apply_profile(image, icc_profile)
    if alpha is None:
        return rgb
    flattened = Image.new("RGB", rgb.size, _WHITE)
    flattened.paste(rgb, mask=alpha)
    return flattened


def _apply_profile(image: "Image", icc_profile: bytes | None) -> "Image":
    """Convert from the embedded ICC profile to sRGB; plain conversion without a usable one."""
    if icc_profile:
        from PIL import ImageCms

        try:
            source = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(
                image,
                source,
                ImageCms.createProfile("sRGB"),
                renderingIntent=ImageCms.Intent.PERCEPTUAL,
                outputMode="RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None
        if converted is not None:
            return converted
    return image if image.mode == "RGB" else image.convert("RGB")


def _encode_webp(image: "Image") -> bytes:
    """WebP from the pixels alone: a fresh image, so no metadata rides along from the upload."""
    from PIL import Image

    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = BytesIO()
    clean.save(out, format="WEBP", quality=WEBP_QUALITY, method=6, exif=b"", xmp=b"")
    return out.getvalue()
