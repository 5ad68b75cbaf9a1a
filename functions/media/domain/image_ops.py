"""The pixel work of the image tools and the library's image thumbnails (Pillow only).

`render` turns a source file into the requested image: decoded through the shared safe decoder
(bomb guard, pixel cap), at reduced scale with `draft()` when the result needs fewer pixels than
a JPEG holds, turned upright from its EXIF orientation, resized, cropped or fitted, converted to
sRGB and encoded anew, so no metadata (EXIF with its GPS position, ICC, XMP) reaches the output.
JPEG output composites transparency on the background colour (white unless given); PNG and WebP
keep it.

Platform presets are the formats of the shared catalogue (functions/shared/platform_formats.py),
one size per name for images and videos alike.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from functions.media.domain.kinds import MAX_PIXELS
from functions.media.domain.models import (
    CropOperation,
    FitOperation,
    ImageOperation,
    ImageRequest,
    PresetOperation,
    ResizeOperation,
)
from functions.shared import images, platform_formats
from functions.shared.images import Colour, ImagePolicy, OutputFormat
from functions.shared.problems import FieldError, ValidationFailed

if TYPE_CHECKING:
    from PIL.Image import Image

CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
OUTPUT_FORMATS: dict[str, OutputFormat] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
LIBRARY_POLICY = ImagePolicy(formats=("JPEG", "PNG", "WEBP", "GIF"), max_pixels=MAX_PIXELS)
# The tools work on still images; a GIF's animation would be lost.
TOOL_POLICY = ImagePolicy(formats=("JPEG", "PNG", "WEBP"), max_pixels=MAX_PIXELS)
MAX_OUTPUT_PIXELS = 50_000_000
MAX_OUTPUT_SIDE = 16383  # WebP's limit, and well inside JPEG's and PNG's
THUMBNAIL_QUALITY = 80


@dataclass(frozen=True, slots=True)
class Rendered:
    data: bytes
    width: int
    height: int
    image_format: OutputFormat

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.image_format]


@dataclass(frozen=True, slots=True)
class Plan:
    """Where an operation goes: the pixels it produces, and how big the source must be decoded."""

    size: tuple[int, int]  # the resized picture
    decode_at_least: tuple[int, int] | None
    canvas: tuple[int, int] | None = None  # fit: the padded output around `size`


def plan(operation: ImageOperation, displayed: tuple[int, int]) -> Plan:
    """The geometry of `operation` on an image of `displayed` size; 422 if it cannot apply."""
    if isinstance(operation, CropOperation):
        _check_box_inside(operation, displayed)
        return Plan(size=(operation.width, operation.height), decode_at_least=None)
    if isinstance(operation, FitOperation):
        canvas = (operation.width, operation.height)
        size = images.fit_size(displayed, canvas)
        return Plan(size=size, decode_at_least=size, canvas=canvas)
    if isinstance(operation, PresetOperation):
        target = platform_formats.size_of(operation.preset)
        if operation.mode == "fit":
            size = images.fit_size(displayed, target)
            return Plan(size=size, decode_at_least=size, canvas=target)
        return Plan(size=target, decode_at_least=images.cover_source_size(displayed, target))
    size = _resized(operation, displayed)
    _check_output_size(size)
    return Plan(size=size, decode_at_least=size)


def _resized(operation: ResizeOperation, displayed: tuple[int, int]) -> tuple[int, int]:
    width, height = displayed
    if operation.width is not None and operation.height is not None:
        return images.fit_size(displayed, (operation.width, operation.height))
    if operation.width is not None:
        return operation.width, max(1, round(height * operation.width / width))
    assert operation.height is not None  # the model requires one side
    return max(1, round(width * operation.height / height)), operation.height


def render(source: bytes, request: ImageRequest) -> Rendered:
    """The requested image made from `source`; ImageRejected if the source is no usable image."""
    output_format = OUTPUT_FORMATS[request.format]
    picture = pixels(source, request.operation, keep_alpha=output_format != "JPEG")
    data = images.encode(picture, output_format, quality=request.quality)
    return Rendered(data, picture.width, picture.height, output_format)


def pixels(source: bytes, operation: ImageOperation, *, keep_alpha: bool) -> "Image":
    """The operation's result as upright sRGB pixels (RGB, or RGBA with `keep_alpha` and a
    transparent source), before encoding."""
    with images.open_image(source, TOOL_POLICY) as image:
        geometry = plan(operation, images.displayed_size(image))
        images.decode(image, at_least=geometry.decode_at_least)
        icc_profile = image.info.get("icc_profile")
        upright = images.workable(images.upright(image))
        shaped = _shape(upright, operation, geometry)
    background = _background(operation)
    picture = images.to_srgb(shaped, icc_profile, keep_alpha=keep_alpha, background=background)
    if geometry.canvas is not None:
        picture = _pad(picture, geometry.canvas, background)
    return picture


def _shape(upright: "Image", operation: ImageOperation, geometry: Plan) -> "Image":
    if isinstance(operation, CropOperation):
        box = (
            operation.left,
            operation.top,
            operation.left + operation.width,
            operation.top + operation.height,
        )
        return upright.crop(box)
    if isinstance(operation, PresetOperation) and operation.mode == "crop":
        return images.cover(upright, geometry.size)
    return images.resize(upright, geometry.size)


def _background(operation: ImageOperation) -> Colour:
    if isinstance(operation, FitOperation | PresetOperation):
        value = operation.background
        return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)
    return images.WHITE


def _pad(picture: "Image", canvas: tuple[int, int], background: Colour) -> "Image":
    from PIL import Image

    fill = (*background, 255) if picture.mode == "RGBA" else background
    padded = Image.new(picture.mode, canvas, fill)
    padded.paste(picture, ((canvas[0] - picture.width) // 2, (canvas[1] - picture.height) // 2))
    return padded


def _check_box_inside(crop: CropOperation, displayed: tuple[int, int]) -> None:
    left, top, width, height = crop.left, crop.top, crop.width, crop.height
    image_width, image_height = displayed
    errors = []
    if left + width > image_width:
        errors.append(
            FieldError(
                pointer="/body/operation/width",
                detail=f"left + width is {left + width}; the image is {image_width} wide.",
                code="out_of_bounds",
            )
        )
    if top + height > image_height:
        errors.append(
            FieldError(
                pointer="/body/operation/height",
                detail=f"top + height is {top + height}; the image is {image_height} high.",
                code="out_of_bounds",
            )
        )
    if errors:
        raise ValidationFailed(
            f"The crop box must lie inside the {image_width}x{image_height} image "
            "(upright, in pixels).",
            errors=errors,
        )


def _check_output_size(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_OUTPUT_PIXELS or max(size) > MAX_OUTPUT_SIDE:
        raise ValidationFailed(
            f"The result would be {width}x{height} pixels; the image tools make at most "
            f"{MAX_OUTPUT_PIXELS // 1_000_000} megapixels, {MAX_OUTPUT_SIDE} on a side.",
            errors=[
                FieldError(
                    pointer="/body/operation",
                    detail="Choose a smaller size.",
                    code="too_large",
                )
            ],
        )


def thumbnail(image: "Image", width: int) -> bytes:
    """A JPEG of an opened image, upright, sRGB, at most `width` wide and twice that high."""
    return images.downscaled_jpeg(image, (width, 2 * width), quality=THUMBNAIL_QUALITY)
