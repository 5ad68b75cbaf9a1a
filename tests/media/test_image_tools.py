"""Image tools: every operation's size, format, orientation, colour and (absent) metadata."""

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from functions.media.domain import image_ops
from functions.media.domain.models import ImageRequest
from functions.shared import images
from functions.shared.images import ImageRejected
from tests.media.library_world import (
    RED,
    WHITE,
    Library,
    camera_photo,
    encode,
    jpeg,
    near,
    object_keys,
    read_object,
)
from tests.support.ffmpeg_samples import make_video
from tests.support.images import handmade_png, riff_chunks, swapped_primaries_profile

BLUE = (0, 0, 255)


def transform(library: Library, asset_id: str, **body: Any) -> Any:
    return library.client.post(f"/v1/media/{asset_id}/image", json=body, headers=library.headers)


def made(library: Library, asset_id: str, **body: Any) -> tuple[dict[str, Any], Image.Image, bytes]:
    """The new asset, its file decoded, and its bytes."""
    response = transform(library, asset_id, **body)
    assert response.status_code == 201, response.text
    asset: dict[str, Any] = response.json()
    data, content_type = read_object(
        f"workspaces/{library.workspace_id}/media/{asset['id']}/original"
    )
    assert content_type == asset["content_type"]
    image = Image.open(BytesIO(data))
    image.load()
    return asset, image, data


def assert_no_metadata(image: Image.Image, data: bytes) -> None:
    assert not image.getexif()
    assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & image.info.keys()
    assert b"HeraldCam" not in data
    assert b"home address" not in data


@pytest.fixture
def photo(library: Library) -> dict[str, Any]:
    """A 3000x2000 camera JPEG stored sideways (EXIF orientation 6): upright, 2000x3000
    portrait with a red band down its right edge."""
    return library.add(camera_photo(), "holiday.jpg")


@pytest.mark.parametrize(
    ("preset", "size"),
    [
        ("instagram_square", (1080, 1080)),
        ("instagram_portrait", (1080, 1350)),
        ("story", (1080, 1920)),
        ("x_landscape", (1280, 720)),
        ("linkedin", (1920, 1080)),
        ("youtube_thumbnail", (1280, 720)),
        ("facebook", (1080, 1350)),
        ("tiktok", (1080, 1920)),
    ],
)
def test_each_preset_fills_its_platform_size_upright_and_without_metadata(
    library: Library, photo: dict[str, Any], preset: str, size: tuple[int, int]
) -> None:
    asset, image, data = made(library, photo["id"], operation={"type": "preset", "preset": preset})

    assert (image.format, image.size, image.mode) == ("JPEG", size, "RGB")
    assert (asset["width"], asset["height"], asset["container"]) == (*size, "JPEG")
    assert_no_metadata(image, data)
    # Upright, the red band runs down the right fifth, not along the top; every centred crop
    # keeps some of it.
    width, height = size
    assert near(image.getpixel((width - 5, height // 2)), RED)
    assert near(image.getpixel((5, height // 2)), WHITE)
    assert near(image.getpixel((width // 2, 5)), WHITE)


def test_the_new_asset_links_to_its_source_and_counts_against_the_quota(
    library: Library, photo: dict[str, Any]
) -> None:
    before = library.client.get("/v1/media/usage", headers=library.headers).json()

    asset, _, data = made(
        library, photo["id"], operation={"type": "preset", "preset": "story"}, format="webp"
    )

    assert asset["source_asset_id"] == photo["id"]
    assert (asset["name"], asset["kind"], asset["content_type"]) == (
        "holiday-story-1080x1920.webp",
        "image",
        "image/webp",
    )
    assert asset["size_bytes"] == len(data)
    thumbnail, _ = read_object(
        f"workspaces/{library.workspace_id}/media/{asset['id']}/thumbnail.jpg"
    )
    assert Image.open(BytesIO(thumbnail)).size == (640, 1138)
    after = library.client.get("/v1/media/usage", headers=library.headers).json()
    assert after["used_bytes"] == before["used_bytes"] + len(data)
    listed = library.client.get("/v1/media", headers=library.headers).json()["items"]
    assert [item["id"] for item in listed] == [asset["id"], photo["id"]]


def test_resize_keeps_the_aspect_ratio(library: Library, photo: dict[str, Any]) -> None:
    _, by_width, _ = made(library, photo["id"], operation={"type": "resize", "width": 500})
    _, by_height, _ = made(library, photo["id"], operation={"type": "resize", "height": 600})
    _, inside_both, _ = made(
        library, photo["id"], operation={"type": "resize", "width": 1000, "height": 1000}
    )

    assert (by_width.size, by_height.size, inside_both.size) == (
        (500, 750),
        (400, 600),
        (667, 1000),
    )
    assert near(by_width.getpixel((495, 375)), RED)


def test_crop_cuts_a_box_of_the_upright_image(library: Library, photo: dict[str, Any]) -> None:
    # The upright image's band is its right fifth: x from 1600 to 2000.
    _, cut, data = made(
        library,
        photo["id"],
        operation={"type": "crop", "left": 1500, "top": 100, "width": 200, "height": 300},
        format="png",
    )

    assert (cut.format, cut.size) == ("PNG", (200, 300))
    assert near(cut.getpixel((50, 150)), WHITE)
    assert near(cut.getpixel((150, 150)), RED)
    assert_no_metadata(cut, data)


def test_a_crop_outside_the_image_is_refused(library: Library, photo: dict[str, Any]) -> None:
    response = transform(
        library,
        photo["id"],
        operation={"type": "crop", "left": 1900, "top": 2900, "width": 200, "height": 200},
    )

    assert response.status_code == 422
    assert [error["pointer"] for error in response.json()["errors"]] == [
        "/body/operation/width",
        "/body/operation/height",
    ]
    assert "inside the 2000x3000 image" in response.json()["detail"]


@pytest.mark.parametrize(
    ("operation", "pointer"),
    [
        ({"type": "preset", "preset": "cinema"}, "/body/operation/preset"),
        # `preset` is both the tag and a field here: the error is about `mode`.
        ({"type": "preset", "preset": "story", "mode": "stretch"}, "/body/operation/mode"),
        ({"type": "resize"}, "/body/operation"),
        (
            {"type": "fit", "width": 600, "height": 600, "background": "blue"},
            "/body/operation/background",
        ),
    ],
)
def test_a_refused_operation_points_into_the_request_as_sent(
    library: Library, photo: dict[str, Any], operation: dict[str, Any], pointer: str
) -> None:
    response = transform(library, photo["id"], operation=operation)

    assert response.status_code == 422
    assert [error["pointer"] for error in response.json()["errors"]] == [pointer]


def test_fit_pads_with_the_background_colour(library: Library) -> None:
    source = library.add(jpeg(800, 400, RED), "wide.jpg")

    _, fitted, _ = made(
        library,
        source["id"],
        operation={"type": "fit", "width": 600, "height": 600, "background": "#0000FF"},
    )
    _, preset_fit, _ = made(
        library,
        source["id"],
        operation={"type": "preset", "preset": "instagram_square", "mode": "fit"},
    )

    assert fitted.size == (600, 600)
    assert near(fitted.getpixel((300, 300)), RED)  # the 600x300 picture in the middle
    assert near(fitted.getpixel((300, 20)), BLUE)  # padding above
    assert near(fitted.getpixel((300, 580)), BLUE)  # and below
    assert preset_fit.size == (1080, 1080)
    assert near(preset_fit.getpixel((540, 540)), RED)
    assert near(preset_fit.getpixel((540, 30)), WHITE)  # the default background


def test_transparency_is_kept_in_png_and_webp_and_flattened_in_jpeg(library: Library) -> None:
    square = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    square.paste((0, 0, 255, 255), (100, 100, 300, 300))
    source = library.add(encode(square, "PNG"), "logo.png", "image/png")
    resize = {"type": "resize", "width": 200}

    _, as_png, _ = made(library, source["id"], operation=resize, format="png")
    _, as_webp, webp_data = made(library, source["id"], operation=resize, format="webp", quality=90)
    _, as_jpeg, _ = made(library, source["id"], operation=resize, format="jpeg")

    assert (as_png.mode, as_png.getpixel((5, 5)), as_png.getpixel((100, 100))) == (
        "RGBA",
        (0, 0, 0, 0),
        (0, 0, 255, 255),
    )
    assert as_webp.mode == "RGBA"
    assert as_webp.getchannel("A").getpixel((5, 5)) == 0
    assert b"EXIF" not in b"".join(riff_chunks(webp_data))
    assert as_jpeg.mode == "RGB"
    assert near(as_jpeg.getpixel((5, 5)), WHITE)
    assert near(as_jpeg.getpixel((100, 100)), BLUE)


def test_the_embedded_colour_profile_is_converted_to_srgb(library: Library) -> None:
    # Pure red in this profile's space is pure green in sRGB.
    tagged = encode(
        Image.new("RGB", (600, 600), (255, 0, 0)), "PNG", icc_profile=swapped_primaries_profile()
    )
    source = library.add(tagged, "tagged.png", "image/png")

    _, image, _ = made(library, source["id"], operation={"type": "resize", "width": 300})

    assert near(image.getpixel((150, 150)), (0, 255, 0), tolerance=40)
    assert "icc_profile" not in image.info


def test_quality_changes_the_jpeg(library: Library, photo: dict[str, Any]) -> None:
    operation = {"type": "preset", "preset": "instagram_square"}

    low = made(library, photo["id"], operation=operation, quality=20)[0]
    high = made(library, photo["id"], operation=operation, quality=95)[0]

    assert low["size_bytes"] < high["size_bytes"]


# Refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"operation": {"type": "preset", "preset": "myspace"}},
        {"operation": {"type": "resize"}},
        {"operation": {"type": "resize", "width": 0}},
        {"operation": {"type": "rotate", "degrees": 90}},
        {"operation": {"type": "fit", "width": 10, "height": 10, "background": "blue"}},
        {"operation": {"type": "resize", "width": 10}, "format": "gif"},
        {"operation": {"type": "resize", "width": 10}, "quality": 101},
    ],
)
def test_invalid_requests_are_refused(
    library: Library, photo: dict[str, Any], body: dict[str, Any]
) -> None:
    assert transform(library, photo["id"], **body).status_code == 422


def test_results_over_fifty_megapixels_are_refused(library: Library) -> None:
    source = library.add(jpeg(10, 1000), "strip.jpg")

    response = transform(library, source["id"], operation={"type": "resize", "width": 8000})

    assert response.status_code == 422
    assert "8000x800000 pixels" in response.json()["detail"]


@pytest.mark.ffmpeg
def test_only_still_images_can_be_worked_on(library: Library, tmp_path: Path) -> None:
    frames = [Image.new("RGB", (50, 50), (index * 40, 0, 0)) for index in range(3)]
    out = BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    gif = library.add(out.getvalue(), "loop.gif", "image/gif")
    clip = make_video(tmp_path / "clip.mp4", seconds=1.0)
    video = library.add(clip.read_bytes(), "clip.mp4", "video/mp4")
    resize = {"type": "resize", "width": 20}

    refused = [
        transform(library, gif["id"], operation=resize),
        transform(library, video["id"], operation=resize),
    ]

    assert [response.status_code for response in refused] == [400, 400]
    assert "is a GIF" in refused[0].json()["detail"]
    assert "is a video file" in refused[1].json()["detail"]


def test_the_quota_applies_to_the_tools_output(
    library: Library, photo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.media.domain import quotas

    monkeypatch.setattr(quotas, "quota_bytes", lambda: photo["size_bytes"] + 1000)
    keys_before = object_keys(library.workspace_id)

    response = transform(
        library, photo["id"], operation={"type": "preset", "preset": "story"}, format="png"
    )

    assert response.status_code == 403
    assert response.json()["type"] == "urn:herald:problem:quota"
    assert object_keys(library.workspace_id) == keys_before  # nothing half-written


def test_a_missing_source_is_404(library: Library) -> None:
    response = transform(
        library, "01JD5W3X8F2Q9Y7K6T4M2N1P0R", operation={"type": "resize", "width": 10}
    )

    assert response.status_code == 404


# The pixel work alone ---------------------------------------------------------------------------


def resize_to(width: int) -> ImageRequest:
    return ImageRequest.model_validate({"operation": {"type": "resize", "width": width}})


def test_jpegs_are_decoded_at_reduced_scale_when_fewer_pixels_are_needed() -> None:
    source = jpeg(4000, 3000)

    with images.open_image(source, image_ops.TOOL_POLICY) as image:
        images.decode(image, at_least=(1000, 700))
        quarter = image.size
    with images.open_image(source, image_ops.TOOL_POLICY) as image:
        images.decode(image, at_least=(1001, 700))
        half = image.size

    assert (quarter, half) == ((1000, 750), (2000, 1500))


def test_reduced_decoding_accounts_for_the_exif_orientation() -> None:
    # Stored 3000x2000, shown 2000x3000: a result 500x750 as shown needs 750x500 as stored.
    with images.open_image(camera_photo(), image_ops.TOOL_POLICY) as image:
        images.decode(image, at_least=(500, 750))
        assert image.size == (750, 500)


def test_decompression_bombs_are_refused_before_decoding() -> None:
    with pytest.raises(ImageRejected, match="far too many pixels"):
        image_ops.render(handmade_png(20_000, 20_000), resize_to(100))


def test_gifs_and_unknown_bytes_are_no_sources() -> None:
    gif = encode(Image.new("RGB", (40, 40), RED), "GIF")

    with pytest.raises(ImageRejected, match="not a JPEG, PNG or WebP image"):
        image_ops.render(gif, resize_to(10))
    with pytest.raises(ImageRejected, match="not a JPEG, PNG or WebP image"):
        image_ops.render(b"\x7fELF" + bytes(100), resize_to(10))
