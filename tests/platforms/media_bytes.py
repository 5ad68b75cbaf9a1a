"""Uploaded bytes in platform tests: in-memory stand-ins for the S3 reads of `MediaFile`, keeping
the rule that only an image is ever read whole (a test whose adapter reads a video whole fails),
and the multipart bodies they are sent in."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx

from functions.publish.adapters.platforms.base import MediaFile, MediaKind


def byte_readers(
    kind: str, data: bytes
) -> tuple[Callable[[], Awaitable[bytes]], Callable[[int, int], Awaitable[bytes]]]:
    """`read` and `read_range` over `data`; `read` refuses anything but an image, as
    functions/publish/adapters/media_files.py does."""

    async def read() -> bytes:
        if kind != "image":
            raise AssertionError(f"A {kind} must be streamed in ranges, never read whole.")
        return data

    async def read_range(start: int, end: int) -> bytes:
        assert 0 <= start <= end <= len(data), (start, end, len(data))
        return data[start:end]

    return read, read_range


def in_memory(kind: MediaKind, content_type: str, data: bytes, url: str, **extra: Any) -> MediaFile:
    """A MediaFile over `data`, read as `byte_readers` allows; `extra` sets the other fields."""
    read, read_range = byte_readers(kind, data)
    return MediaFile(
        kind=kind,
        content_type=content_type,
        size=len(data),
        url=url,
        read=read,
        read_range=read_range,
        **extra,
    )


def form_parts(request: httpx.Request) -> dict[str, tuple[bytes, str | None, str | None]]:
    """multipart/form-data parts as name -> (bytes, filename, content type)."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.content)
    assert message.is_multipart()
    parts: dict[str, tuple[bytes, str | None, str | None]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str)
        assert isinstance(payload, bytes)
        content_type = part.get("content-type")
        parts[name] = (payload, part.get_filename(), str(content_type) if content_type else None)
    return parts


def logging_reads(media: MediaFile, log: list[str]) -> MediaFile:
    """`media` whose every ranged read is logged as "read start-end" (end excluded), so that a
    test can interleave reads with the requests they feed."""
    read_range = media.read_range

    async def logged(start: int, end: int) -> bytes:
        log.append(f"read {start}-{end}")
        return await read_range(start, end)

    return replace(media, read_range=logged)
