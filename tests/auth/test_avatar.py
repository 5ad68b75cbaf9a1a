"""Avatars: a presigned upload under the user's prefix, then a re-encoded 512x512 WebP.

Every image here is real bytes made with Pillow (or, for the decompression bombs, a valid PNG
written by hand), posted to the upload form as a browser posts it, with S3's policy check on
(tests/support/s3_forms.py).
"""

import base64
import json
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
import pytest
from httpx import Response
from PIL import ExifTags, Image, ImageCms
from ulid import ULID

from functions.auth.adapters.items import UserItem
from functions.auth.domain import avatars
from functions.shared.settings import get_settings
from functions.shared.storage import PENDING_UPLOAD_TAGGING
from tests.support.auth_world import Account, Herald
from tests.support.images import handmade_png, riff_chunks, swapped_primaries_profile
from tests.support.s3_forms import post_form, put_as_browser, put_past_the_form, s3_error

WHITE = (255, 255, 255)
RED = (220, 20, 20)


@pytest.fixture(autouse=True)
def media_bucket(cloud: None) -> None:
    boto3.client("s3", region_name=get_settings().region).create_bucket(
        Bucket=get_settings().media_bucket
    )


def s3() -> Any:
    return boto3.client("s3", region_name=get_settings().region)


def object_keys(user_id: str) -> set[str]:
    listed = s3().list_objects_v2(Bucket=get_settings().media_bucket, Prefix=f"users/{user_id}/")
    return {item["Key"] for item in listed.get("Contents", [])}


def read_object(key: str) -> tuple[bytes, str]:
    found = s3().get_object(Bucket=get_settings().media_bucket, Key=key)
    return found["Body"].read(), found["ContentType"]


def start(herald: Herald, account: Account, content_type: str = "image/jpeg") -> dict[str, Any]:
    response = herald.client.post(
        "/v1/me/avatar", json={"content_type": content_type}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def complete(herald: Herald, account: Account, upload_id: str) -> Response:
    response: Response = herald.client.post(
        f"/v1/me/avatar/{upload_id}/complete", headers=account.headers
    )
    return response


def set_avatar(herald: Herald, account: Account, data: bytes, content_type: str) -> Response:
    upload = start(herald, account, content_type)
    put_as_browser(upload, data)
    return complete(herald, account, upload["upload_id"])


def stored_avatar_key(account: Account) -> str | None:
    user = UserItem.find(account.user_id)
    assert user is not None
    return user.avatar_key


# Images -----------------------------------------------------------------------------------------


def encode(image: Image.Image, image_format: str, **params: Any) -> bytes:
    out = BytesIO()
    image.save(out, format=image_format, **params)
    return out.getvalue()


def camera_photo() -> bytes:
    """A 3000x2000 landscape JPEG, stored sideways: EXIF orientation 6 turns it upright (portrait).

    A red band runs along its stored top edge, so upright the band is on the right. It carries
    GPS coordinates, a camera make, an ICC profile and XMP: none of that may survive.
    """
    image = Image.new("RGB", (3000, 2000), WHITE)
    image.paste(RED, (0, 0, 3000, 400))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "HeraldCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">home address</x:xmpmeta>'
    return encode(image, "JPEG", quality=90, exif=exif, icc_profile=srgb, xmp=xmp)


def transparent_palette_png() -> bytes:
    """A 600x400 palette PNG: transparent everywhere but a blue square in the middle."""
    image = Image.new("P", (600, 400), 0)
    image.putpalette([0, 0, 0, 0, 0, 255])  # index 0 black (transparent), index 1 blue
    image.paste(1, (200, 100, 400, 300))
    return encode(image, "PNG", transparency=0)


def green_webp() -> bytes:
    return encode(Image.new("RGB", (800, 600), (30, 160, 60)), "WEBP", quality=90)


def assert_clean_avatar(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    assert image.format == "WEBP"
    assert image.size == (512, 512)
    assert image.mode == "RGB"
    assert not image.getexif()
    assert not {"exif", "icc_profile", "xmp"} & image.info.keys()
    # A simple lossy WebP: no extended header, so no EXIF, ICCP or XMP chunk can be present.
    assert riff_chunks(data) == [b"VP8 "]
    image.load()
    return image


def near(pixel: Any, expected: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


# The flow ---------------------------------------------------------------------------------------


def test_the_upload_form_is_pinned_to_the_users_prefix_type_size_and_five_minutes(
    herald: Herald,
) -> None:
    account = herald.sign_up("ada")

    upload = start(herald, account, "image/png")

    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    key = f"users/{account.user_id}/avatar-uploads/{upload['upload_id']}"
    assert str(ULID.from_str(upload["upload_id"])) == upload["upload_id"]
    assert upload["fields"]["key"] == key
    assert upload["fields"]["Content-Type"] == "image/png"
    assert {"key": key} in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert ["content-length-range", 1, 5 * 1024 * 1024] in policy["conditions"]
    # Tagged pending until completed: the bucket expires abandoned uploads by this tag.
    assert {"tagging": PENDING_UPLOAD_TAGGING} in policy["conditions"]
    assert upload["fields"]["tagging"] == (
        "<Tagging><TagSet><Tag><Key>herald-upload</Key><Value>pending</Value></Tag></TagSet>"
        "</Tagging>"
    )
    assert (upload["max_bytes"], upload["content_type"], upload["expires_in"]) == (
        5 * 1024 * 1024,
        "image/png",
        300,
    )


def test_the_upload_form_refuses_an_avatar_over_five_mib(herald: Herald) -> None:
    """S3's answer: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html"""
    account = herald.sign_up("ada")
    upload = start(herald, account, "image/png")

    posted = post_form(upload, b"\x89PNG" + bytes(5 * 1024 * 1024))

    assert s3_error(posted) == (
        400,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
    )
    assert object_keys(account.user_id) == set()


def test_the_upload_form_refuses_another_type_or_another_users_key(herald: Herald) -> None:
    ada, grace = herald.sign_up("ada"), herald.sign_up("grace")
    upload = start(herald, ada, "image/png")
    key = upload["fields"]["key"]
    graces_key = key.replace(ada.user_id, grace.user_id)

    as_svg = post_form(upload, b"<svg/>", fields={"Content-Type": "image/svg+xml"})
    at_grace = post_form(
        upload, encode(Image.new("RGB", (8, 8)), "PNG"), fields={"key": graces_key}
    )

    assert s3_error(as_svg) == (
        403,
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", '
        '"image/png"]',
    )
    assert s3_error(at_grace) == (
        403,
        "AccessDenied",
        f'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "{key}"]',
    )
    assert object_keys(ada.user_id) | object_keys(grace.user_id) == set()


def test_only_jpeg_png_and_webp_uploads_are_offered(herald: Herald) -> None:
    account = herald.sign_up("ada")

    response = herald.client.post(
        "/v1/me/avatar", json={"content_type": "image/svg+xml"}, headers=account.headers
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/body/content_type"


def test_a_camera_photo_becomes_an_upright_square_webp_without_metadata(herald: Herald) -> None:
    account = herald.sign_up("ada")
    upload = start(herald, account, "image/jpeg")
    put_as_browser(upload, camera_photo())

    response = complete(herald, account, upload["upload_id"])

    assert response.status_code == 200, response.text
    key = f"users/{account.user_id}/avatar/{upload['upload_id']}.webp"
    assert stored_avatar_key(account) == key
    assert object_keys(account.user_id) == {key}  # the original upload is gone
    data, content_type = read_object(key)
    assert content_type == "image/webp"
    # Kept for good: not tagged as a pending upload, which the bucket would expire.
    tags = s3().get_object_tagging(Bucket=get_settings().media_bucket, Key=key)["TagSet"]
    assert tags == []
    avatar = assert_clean_avatar(data)
    assert b"HeraldCam" not in data
    assert b"home address" not in data
    # Upright, the red band runs down the right edge; had the orientation been ignored it would
    # run along the top.
    assert near(avatar.getpixel((500, 256)), RED)
    assert near(avatar.getpixel((256, 10)), WHITE)
    assert near(avatar.getpixel((10, 256)), WHITE)
    url = response.json()["avatar_url"]
    assert f"/{key}?" in url
    assert "Signature" in url
    assert herald.client.get("/v1/me", headers=account.headers).json()["avatar_url"]


def test_transparency_is_composited_on_white(herald: Herald) -> None:
    account = herald.sign_up("ada")

    response = set_avatar(herald, account, transparent_palette_png(), "image/png")

    assert response.status_code == 200, response.text
    key = stored_avatar_key(account)
    assert key is not None
    avatar = assert_clean_avatar(read_object(key)[0])
    # 600x400 cropped to its middle 400x400: the 200x200 blue square fills the middle half.
    assert near(avatar.getpixel((256, 256)), (0, 0, 255))
    assert near(avatar.getpixel((20, 20)), WHITE)
    assert near(avatar.getpixel((500, 500)), WHITE)


def test_the_content_decides_not_the_declared_type(herald: Herald) -> None:
    account = herald.sign_up("ada")

    # A PNG declared (and uploaded) as JPEG is still a PNG Herald accepts.
    response = set_avatar(herald, account, transparent_palette_png(), "image/jpeg")

    assert response.status_code == 200, response.text


def test_a_new_avatar_replaces_and_deletes_the_old_one(herald: Herald) -> None:
    account = herald.sign_up("ada")
    assert set_avatar(herald, account, camera_photo(), "image/jpeg").status_code == 200
    first = stored_avatar_key(account)

    response = set_avatar(herald, account, green_webp(), "image/webp")

    assert response.status_code == 200, response.text
    second = stored_avatar_key(account)
    assert second is not None
    assert second != first
    assert object_keys(account.user_id) == {second}
    avatar = assert_clean_avatar(read_object(second)[0])
    assert near(avatar.getpixel((256, 256)), (30, 160, 60))


def test_removing_the_avatar_deletes_it(herald: Herald) -> None:
    account = herald.sign_up("ada")
    assert set_avatar(herald, account, green_webp(), "image/webp").status_code == 200

    removed = herald.client.delete("/v1/me/avatar", headers=account.headers)
    again = herald.client.delete("/v1/me/avatar", headers=account.headers)

    assert (removed.status_code, again.status_code) == (204, 204)
    assert herald.client.get("/v1/me", headers=account.headers).json()["avatar_url"] is None
    assert stored_avatar_key(account) is None
    assert object_keys(account.user_id) == set()


def test_a_concurrent_profile_change_does_not_lose_the_avatar(herald: Herald) -> None:
    account = herald.sign_up("ada")
    stale = UserItem.find(account.user_id)
    assert stale is not None
    renamed = herald.client.patch("/v1/me", json={"name": "Ada L."}, headers=account.headers)
    assert renamed.status_code == 200

    # The avatar write was read before the rename: its conditional write loses, then retries.
    user, previous = avatars._point_avatar_at(stale, f"users/{account.user_id}/avatar/x.webp")

    assert previous is None
    assert (user.name, user.avatar_key) == ("Ada L.", f"users/{account.user_id}/avatar/x.webp")
    assert stored_avatar_key(account) == user.avatar_key


def test_the_app_and_the_avatar_module_load_without_pillow() -> None:
    script = (
        "import sys\n"
        "import functions.auth.app, functions.auth.domain.avatars\n"
        "assert not [name for name in sys.modules if name.startswith('PIL')], 'PIL imported'\n"
    )

    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[2])


# Refusals ---------------------------------------------------------------------------------------


def test_a_text_file_named_jpg_is_refused(herald: Herald) -> None:
    account = herald.sign_up("ada")
    upload = start(herald, account, "image/jpeg")
    put_as_browser(upload, b"holiday.jpg is really a note:\nbuy milk\n")

    response = complete(herald, account, upload["upload_id"])

    assert response.status_code == 422
    assert "not a JPEG, PNG or WebP image" in response.json()["detail"]
    assert stored_avatar_key(account) is None
    assert object_keys(account.user_id) == set()  # the refused upload is deleted


def test_other_image_formats_are_refused(herald: Herald) -> None:
    account = herald.sign_up("ada")
    gif = encode(Image.new("RGB", (600, 600), RED), "GIF")

    response = set_avatar(herald, account, gif, "image/png")

    assert response.status_code == 422
    assert "not a JPEG, PNG or WebP image" in response.json()["detail"]


def test_a_truncated_image_is_refused(herald: Herald) -> None:
    account = herald.sign_up("ada")

    response = set_avatar(herald, account, camera_photo()[:5000], "image/jpeg")

    assert response.status_code == 422
    assert "truncated or corrupt" in response.json()["detail"]


def test_a_decompression_bomb_is_refused(herald: Herald) -> None:
    account = herald.sign_up("ada")
    bomb = handmade_png(20_000, 20_000)  # 400 megapixels
    assert len(bomb) < 100_000

    response = set_avatar(herald, account, bomb, "image/png")

    assert response.status_code == 422
    assert "at most 40 megapixels" in response.json()["detail"]
    assert stored_avatar_key(account) is None


def test_images_over_forty_megapixels_are_refused(herald: Herald) -> None:
    # Under Pillow's own bomb threshold (about 89 megapixels), over Herald's cap.
    account = herald.sign_up("ada")

    response = set_avatar(herald, account, handmade_png(8000, 6000), "image/png")

    assert response.status_code == 422
    assert response.json()["detail"].startswith("The image is 8000x6000 pixels;")


def test_a_file_over_five_megabytes_is_refused_even_if_it_got_there(herald: Herald) -> None:
    account = herald.sign_up("ada")
    upload = start(herald, account, "image/png")
    put_past_the_form(upload, bytes(5 * 1024 * 1024 + 1))  # the form refuses it (test above)

    response = complete(herald, account, upload["upload_id"])

    assert response.status_code == 422
    assert "at most 5242880 bytes" in response.json()["detail"]
    assert object_keys(account.user_id) == set()


def test_an_unknown_or_already_completed_upload_is_not_found(herald: Herald) -> None:
    account = herald.sign_up("ada")
    upload = start(herald, account, "image/webp")
    put_as_browser(upload, green_webp())
    assert complete(herald, account, upload["upload_id"]).status_code == 200

    again = complete(herald, account, upload["upload_id"])
    never = complete(herald, account, str(ULID()))
    malformed = complete(herald, account, "not-an-id")

    assert (again.status_code, never.status_code) == (404, 404)
    assert f"No avatar upload {upload['upload_id']} is waiting" in again.json()["detail"]
    assert malformed.status_code == 422


def test_another_users_upload_is_not_found(herald: Herald) -> None:
    owner = herald.sign_up("owner")
    intruder = herald.sign_up("intruder")
    upload = start(herald, owner, "image/webp")
    put_as_browser(upload, green_webp())

    stolen = complete(herald, intruder, upload["upload_id"])

    assert stolen.status_code == 404
    assert stored_avatar_key(intruder) is None
    assert complete(herald, owner, upload["upload_id"]).status_code == 200


# The image work alone -----------------------------------------------------------------------------


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    grey = encode(Image.new("I;16", (600, 600), 32768), "PNG")

    avatar = assert_clean_avatar(avatars.render_avatar(grey))

    assert near(avatar.getpixel((256, 256)), (128, 128, 128))


def test_the_embedded_colour_profile_is_converted_to_srgb() -> None:
    tagged = encode(
        Image.new("RGB", (600, 600), (255, 0, 0)), "PNG", icc_profile=swapped_primaries_profile()
    )

    avatar = assert_clean_avatar(avatars.render_avatar(tagged))

    assert near(avatar.getpixel((256, 256)), (0, 255, 0), tolerance=40)


def test_cmyk_jpeg_becomes_rgb() -> None:
    cmyk = encode(Image.new("CMYK", (700, 700), (0, 255, 255, 0)), "JPEG")  # red ink

    avatar = assert_clean_avatar(avatars.render_avatar(cmyk))

    assert near(avatar.getpixel((256, 256)), (255, 0, 0))


def test_small_images_are_scaled_up_to_the_avatar_size() -> None:
    tiny = encode(Image.new("RGB", (40, 30), RED), "PNG")

    assert_clean_avatar(avatars.render_avatar(tiny))
