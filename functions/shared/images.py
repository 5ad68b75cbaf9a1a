"""Untrusted images in, clean images out: Pillow decoding and encoding shared by every group.

Nothing about an uploaded image is trusted but its bytes. `open_image` identifies the format by
content among the formats the caller accepts and refuses, before any pixel is decoded, images
over the caller's pixel cap and Pillow's decompression bombs. `decode` loads the pixels, letting
libjpeg decode JPEGs at 1/2, 1/4 or 1/8 scale when the caller needs less (`draft()`), and maps
truncated or corrupt files to `ImageRejected`. `upright`, `workable` and `to_srgb` turn the
result into upright 8-bit pixels in sRGB; `resize` and `cover` scale them; `encode` writes a new
file from the pixels alone, so no metadata (EXIF with its GPS position, ICC, XMP, comments)
survives from the upload.

PIL is imported inside the functions: importing this module costs a route nothing at cold start.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import IO, TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from PIL.Image import Image

OutputFormat = Literal["JPEG", "PNG", "WEBP"]
Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
# How the formats Pillow recognises are named to people.
FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
# MPO is how Pillow names the multi-picture JPEGs many phone cameras write; its JPEG plugin opens
# them, so they are JPEGs to everyone else.
_SAME_FORMAT = {"MPO": "JPEG"}
# EXIF orientations 5 to 8 store the picture transposed: its width is the displayed height.
_TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION_TAG = 0x0112
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)
_EXIF_ERRORS = (OSError, SyntaxError, ValueError, KeyError, TypeError)


class ImageRejected(Exception):
    """The bytes are not an image Herald will work with; the message tells the user why."""


@dataclass(frozen=True, slots=True)
class ImagePolicy:
    """What a caller accepts: Pillow format names, a pixel cap, and what the image is for."""

    formats: tuple[str, ...]
    max_pixels: int
    purpose: str = "an image"  # in messages: "<purpose> may have at most N megapixels"

    def formats_phrase(self) -> str:
        """'a JPEG, PNG or WebP image'."""
        names = [FORMAT_NAMES.get(name, name) for name in self.formats]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        return f"a {listed} image"


def image_format(image: "Image") -> str:
    """The format Pillow identified, with MPO counted as JPEG."""
    identified = image.format or ""
    return _SAME_FORMAT.get(identified, identified)


def open_image(source: bytes | IO[bytes], policy: ImagePolicy) -> "Image":
    """Identify the image (its header only); ImageRejected unless the policy accepts it."""
    from PIL import Image, UnidentifiedImageError

    stream = BytesIO(source) if isinstance(source, bytes) else source
    try:
        image = Image.open(stream, formats=policy.formats)
    except UnidentifiedImageError:
        raise ImageRejected(
            f"The file is not {policy.formats_phrase()} (judged by its content, not by its name "
            "or declared type)."
        ) from None
    except Image.DecompressionBombError:
        raise too_many_pixels(policy) from None
    except _DECODE_ERRORS:
        raise undecodable() from None
    if image_format(image) not in policy.formats:
        image.close()
        raise ImageRejected(f"The file is not {policy.formats_phrase()}.")
    width, height = image.size
    if width * height > policy.max_pixels:
        image.close()
        raise too_many_pixels(policy, width, height)
    return image


def orientation(image: "Image") -> int:
    """The EXIF orientation (1 to 8); 1 when there is none or the EXIF block is unreadable."""
    try:
        value = image.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except _EXIF_ERRORS:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def displayed_size(image: "Image") -> tuple[int, int]:
    """Width and height as shown, once the EXIF orientation is applied."""
    width, height = image.size
    if orientation(image) in _TRANSPOSED_ORIENTATIONS:
        return height, width
    return width, height


def decode(image: "Image", *, at_least: tuple[int, int] | None = None) -> "Image":
    """Load the pixels. A JPEG needing only `at_least` (displayed width and height) is decoded by
    libjpeg at the strongest reduction (1/2, 1/4 or 1/8) that keeps both sides that big."""
    from PIL import Image

    if at_least is not None and image_format(image) == "JPEG":
        width, height = at_least
        if orientation(image) in _TRANSPOSED_ORIENTATIONS:
            width, height = height, width
        image.draft(None, (max(1, width), max(1, height)))
    try:
        image.load()
    except Image.DecompressionBombError:
        raise ImageRejected("The image has far too many pixels to decode safely.") from None
    except _DECODE_ERRORS:
        raise undecodable() from None
    return image


def upright(image: "Image") -> "Image":
    """Apply the EXIF orientation; an unreadable EXIF block leaves the image as stored."""
    from PIL import ImageOps

    if orientation(image) == 1:
        return image  # exif_transpose would copy every pixel for nothing
    try:
        return ImageOps.exif_transpose(image)
    except _EXIF_ERRORS:
        return image


def workable(image: "Image") -> "Image":
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


def has_alpha(image: "Image") -> bool:
    return image.mode in {"RGBA", "LA"}


def to_srgb(
    image: "Image",
    icc_profile: bytes | None,
    *,
    keep_alpha: bool = False,
    background: Colour = WHITE,
) -> "Image":
    """RGB (or RGBA with `keep_alpha`) in sRGB: the embedded profile converted; without
    `keep_alpha`, transparency is composited on `background`."""
    from PIL import Image

    alpha = image.getchannel("A") if has_alpha(image) else None
    if alpha is not None:
        image = image.convert("L" if image.mode == "LA" else "RGB")
    rgb = _apply_profile(image, icc_profile)
    if alpha is None:
        return rgb
    if keep_alpha:
        rgb.putalpha(alpha)
        return rgb
    flattened = Image.new("RGB", rgb.size, background)
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


def cover_box(size: tuple[int, int], target: tuple[int, int]) -> tuple[float, float, float, float]:
    """The centred region of `size` with the aspect ratio of `target`."""
    width, height = size
    target_width, target_height = target
    scale = max(target_width / width, target_height / height)
    crop_width, crop_height = target_width / scale, target_height / scale
    left, top = (width - crop_width) / 2, (height - crop_height) / 2
    return left, top, left + crop_width, top + crop_height


def cover_source_size(size: tuple[int, int], target: tuple[int, int]) -> tuple[int, int]:
    """How big the whole source must be decoded for `cover` to `target` without upscaling."""
    scale = min(1.0, max(target[0] / size[0], target[1] / size[1]))
    return math.ceil(size[0] * scale), math.ceil(size[1] * scale)


def fit_size(size: tuple[int, int], bounds: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the aspect ratio of `size` inside `bounds` (at least 1x1)."""
    scale = min(bounds[0] / size[0], bounds[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def resize(
    image: "Image",
    size: tuple[int, int],
    *,
    box: Sequence[float] | None = None,
) -> "Image":
    """Lanczos resize (of `box` only, when given); a reducing gap keeps big reductions fast."""
    from PIL import Image

    if box is None and image.size == size:
        return image
    region = (
        (float(box[0]), float(box[1]), float(box[2]), float(box[3])) if box is not None else None
    )
    return image.resize(size, Image.Resampling.LANCZOS, box=region, reducing_gap=3.0)


def cover(image: "Image", target: tuple[int, int]) -> "Image":
    """Centre-crop to the aspect ratio of `target` and resize to exactly `target`."""
    return resize(image, target, box=cover_box(image.size, target))


def encode(
    image: "Image", image_format: OutputFormat, *, quality: int, webp_method: int = 4
) -> bytes:
    """A new file from the pixels alone (RGB, RGBA or L), so no metadata rides along.

    `quality` (1 to 100) sets JPEG and WebP compression; PNG is lossless.
    """
    from PIL import Image

    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = BytesIO()
    if image_format == "JPEG":
        clean.save(out, format="JPEG", quality=quality, optimize=True)
    elif image_format == "PNG":
        clean.save(out, format="PNG")
    else:
        clean.save(out, format="WEBP", quality=quality, method=webp_method, exif=b"", xmp=b"")
    return out.getvalue()


def downscaled_jpeg(image: "Image", bounds: tuple[int, int], *, quality: int) -> bytes:
    """A JPEG of an opened image, upright and sRGB, fitted inside `bounds` (never enlarged)."""
    displayed = displayed_size(image)
    size = fit_size(displayed, (min(bounds[0], displayed[0]), min(bounds[1], displayed[1])))
    decode(image, at_least=size)
    icc_profile = image.info.get("icc_profile")
    pixels = to_srgb(resize(workable(upright(image)), size), icc_profile)
    return encode(pixels, "JPEG", quality=quality)


def too_many_pixels(
    policy: ImagePolicy, width: int | None = None, height: int | None = None
) -> ImageRejected:
    limit = f"{policy.purpose} may have at most {policy.max_pixels // 1_000_000} megapixels"
    if width is None or height is None:
        return ImageRejected(f"The image has far too many pixels to decode safely; {limit}.")
    return ImageRejected(f"The image is {width}x{height} pixels; {limit}.")


def undecodable() -> ImageRejected:
    return ImageRejected("The image could not be decoded: the file is truncated or corrupt.")
