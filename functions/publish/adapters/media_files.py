"""Library assets as the adapters take them: a short-lived URL and ways to read the bytes (an
image whole, any kind by byte range, so that a video is streamed from S3 and never held whole)."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import cast

from functions.publish.adapters.platforms.base import MediaFile, MediaKind
from functions.shared import aws
from functions.shared.media_items import MediaAssetItem
from functions.shared.settings import get_settings
from functions.shared.storage import presign_download

# Platforms that pull media (Instagram, Threads) fetch it within minutes of the request, but a
# video container may be created again on a retry an hour later: the URL outlives both.
DOWNLOAD_URL_SECONDS = 2 * 3600


def _whole_reader(object_key: str, kind: str) -> Callable[[], Awaitable[bytes]]:
    async def read() -> bytes:
        if kind != "image":
            # Only images are capped small enough to hold whole; the rest go through read_range.
            raise ValueError(f"A {kind} is streamed in ranges, never read whole.")

        def fetch() -> bytes:
            response = aws.s3().get_object(Bucket=get_settings().media_bucket, Key=object_key)
            body: bytes = response["Body"].read()
            return body

        return await asyncio.to_thread(fetch)

    return read


def _range_reader(object_key: str) -> Callable[[int, int], Awaitable[bytes]]:
    """Bytes start to end (end excluded) with one ranged GetObject (the Range header of
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, last byte included)."""

    async def read_range(start: int, end: int) -> bytes:
        if end <= start:
            return b""

        def fetch() -> bytes:
            response = aws.s3().get_object(
                Bucket=get_settings().media_bucket, Key=object_key, Range=f"bytes={start}-{end - 1}"
            )
            body: bytes = response["Body"].read()
            return body

        return await asyncio.to_thread(fetch)

    return read_range


def for_assets(workspace_id: str, asset_ids: Sequence[str]) -> list[MediaFile]:
    """The assets in the given order; preflight has made sure each exists in the workspace."""
    if not asset_ids:
        return []
    found = {
        item.asset_id: item
        for item in MediaAssetItem.batch_get(
            [MediaAssetItem.keys(workspace_id, asset_id) for asset_id in set(asset_ids)],
            consistent_read=True,
        )
    }
    files = []
    for asset_id in asset_ids:
        item = found[asset_id]
        probed = item.probed()
        files.append(
            MediaFile(
                kind=cast(MediaKind, item.kind),
                content_type=item.content_type,
                size=int(item.size_bytes),
                url=presign_download(item.object_key, expires_in=DOWNLOAD_URL_SECONDS),
                read=_whole_reader(item.object_key, item.kind),
                read_range=_range_reader(item.object_key),
                width=probed.width,
                height=probed.height,
                duration_seconds=probed.duration_seconds,
                alt_text=item.alt_text,
                filename=item.name,
            )
        )
    return files
