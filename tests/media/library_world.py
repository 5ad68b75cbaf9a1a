"""A workspace with its media library, driven over HTTP like the dashboard drives it.

Files are posted to the upload form as a browser posts them, with S3's policy check on
(tests/support/s3_forms.py), so a file the form does not allow never reaches the bucket.
"""

from dataclasses import dataclass
from io import BytesIO
from typing import Any

import boto3
from fastapi.testclient import TestClient
from httpx import Response
from PIL import ExifTags, Image, ImageCms

from functions.shared.settings import get_settings
from tests.support.auth_world import Account, Herald
from tests.support.s3_forms import put_as_browser

RED = (220, 20, 20)
WHITE = (255, 255, 255)


def s3() -> Any:
    return boto3.client("s3", region_name=get_settings().region)


def object_keys(workspace_id: str) -> set[str]:
    listed = s3().list_objects_v2(
        Bucket=get_settings().media_bucket, Prefix=f"workspaces/{workspace_id}/"
    )
    return {item["Key"] for item in listed.get("Contents", [])}


def read_object(key: str) -> tuple[bytes, str]:
    found = s3().get_object(Bucket=get_settings().media_bucket, Key=key)
    return found["Body"].read(), found["ContentType"]


@dataclass
class Library:
    """One workspace's library, with its owner, and a client of the media app."""

    herald: Herald
    client: TestClient
    owner: Account
    workspace_id: str

    def headers_of(self, account: Account) -> dict[str, str]:
        return account.headers | {"X-Workspace-Id": self.workspace_id}

    @property
    def headers(self) -> dict[str, str]:
        return self.headers_of(self.owner)

    def start(self, name: str, content_type: str, size_bytes: int, **overrides: Any) -> Response:
        body = {"name": name, "content_type": content_type, "size_bytes": size_bytes}
        response: Response = self.client.post(
            "/v1/media/uploads", json=body, headers=overrides.get("headers", self.headers)
        )
        return response

    def complete(self, upload_id: str, headers: dict[str, str] | None = None) -> Response:
        response: Response = self.client.post(
            f"/v1/media/uploads/{upload_id}/complete", headers=headers or self.headers
        )
        return response

    def upload(
        self, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"
    ) -> Response:
        """Start an upload, post the file as the browser would, complete it."""
        started = self.start(name, content_type, len(data))
        assert started.status_code == 201, started.text
        form = started.json()
        put_as_browser(form, data)
        return self.complete(form["upload_id"])

    def add(
        self, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"
    ) -> dict[str, Any]:
        response = self.upload(data, name, content_type)
        assert response.status_code == 201, response.text
        asset: dict[str, Any] = response.json()
        return asset


def tags_of(key: str) -> dict[str, str]:
    found = s3().get_object_tagging(Bucket=get_settings().media_bucket, Key=key)
    return {tag["Key"]: tag["Value"] for tag in found["TagSet"]}


# Images -----------------------------------------------------------------------------------------


def encode(image: Image.Image, image_format: str, **params: Any) -> bytes:
    out = BytesIO()
    image.save(out, format=image_format, **params)
    return out.getvalue()


def jpeg(width: int = 800, height: int = 600, colour: tuple[int, int, int] = RED) -> bytes:
    return encode(Image.new("RGB", (width, height), colour), "JPEG", quality=90)


def camera_photo(width: int = 3000, height: int = 2000) -> bytes:
    """A landscape JPEG stored sideways: EXIF orientation 6 turns it upright (portrait).

    A red band runs along its stored top edge, so upright it runs down the right edge. It
    carries GPS coordinates, a camera make, an sRGB ICC profile and XMP.
    """
    image = Image.new("RGB", (width, height), WHITE)
    image.paste(RED, (0, 0, width, height // 5))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "HeraldCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">home address</x:xmpmeta>'
    return encode(image, "JPEG", quality=90, exif=exif, icc_profile=srgb, xmp=xmp)


def near(pixel: Any, expected: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))
