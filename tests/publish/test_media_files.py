"""Library assets as the platform adapters read them: a video is read from S3 by byte range only
(one ranged GetObject per piece), never whole; an image may be read whole."""

import os
from typing import Any

import boto3
import pytest
from ulid import ULID

from functions.publish.adapters import media_files
from functions.shared import aws
from functions.shared.media_items import MediaAssetItem
from functions.shared.settings import get_settings
from functions.shared.storage import workspace_key

WORKSPACE = "ws-media-files"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def stored_asset(kind: str, content_type: str, data: bytes) -> str:
    asset_id = str(ULID())
    object_key = workspace_key(WORKSPACE, "media", asset_id, "original")
    aws.s3().put_object(Bucket=get_settings().media_bucket, Key=object_key, Body=data)
    MediaAssetItem(
        *MediaAssetItem.keys(WORKSPACE, asset_id),
        asset_id=asset_id,
        workspace_id=WORKSPACE,
        kind=kind,
        name=f"{kind}.bin",
        content_type=content_type,
        size_bytes=len(data),
        object_key=object_key,
        created_by="user:test",
    ).save()
    return asset_id


@pytest.fixture
def ranges_asked(cloud: None) -> list[str | None]:
    """The Range of every GetObject the media bucket is asked for (None: the whole object)."""
    boto3.client("s3", region_name=get_settings().region).create_bucket(
        Bucket=get_settings().media_bucket
    )
    asked: list[str | None] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        asked.append(params["headers"].get("Range"))

    # before-call: requests sent, not the presigned download URLs, which are only signed.
    aws.s3().meta.events.register("before-call.s3.GetObject", record)
    return asked


@pytest.mark.anyio
async def test_a_video_is_read_by_ranged_gets_and_never_whole(
    ranges_asked: list[str | None],
) -> None:
    """GetObject's Range is inclusive (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html):
    bytes 1000 to 2999 are asked as `bytes=1000-2999`; reading a video whole is refused."""
    video = os.urandom(5000)
    (file,) = media_files.for_assets(WORKSPACE, [stored_asset("video", "video/mp4", video)])

    assert file.size == 5000
    assert await file.read_range(1000, 3000) == video[1000:3000]
    assert [chunk async for chunk in file.chunks(2048)] == [
        (0, video[:2048]),
        (2048, video[2048:4096]),
        (4096, video[4096:]),
    ]
    assert b"".join([piece async for piece in file.stream(100, 4000)]) == video[100:4000]
    assert ranges_asked == [
        "bytes=1000-2999",
        "bytes=0-2047",
        "bytes=2048-4095",
        "bytes=4096-4999",
        "bytes=100-3999",
    ]
    with pytest.raises(ValueError, match="streamed in ranges"):
        await file.read()
    assert len(ranges_asked) == 5


@pytest.mark.anyio
async def test_an_image_may_be_read_whole(ranges_asked: list[str | None]) -> None:
    """Images are capped at a few MB by every platform, so one whole GetObject is fine."""
    image = b"\xff\xd8\xff\xe0 a small jpeg"
    (file,) = media_files.for_assets(WORKSPACE, [stored_asset("image", "image/jpeg", image)])
    assert await file.read() == image
    assert ranges_asked == [None]
