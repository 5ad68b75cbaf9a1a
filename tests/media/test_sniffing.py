"""The leading-bytes gate: real files from FFmpeg and Pillow are named right, and ffprobe reads
each with the demuxer its signature implies."""

from pathlib import Path

import pytest
from PIL import Image

from functions.media.adapters import ffmpeg
from functions.media.domain.sniffing import HEAD_BYTES, describe_unknown, sniff
from tests.media.library_world import encode
from tests.support.ffmpeg_samples import make_tone, make_video

VP9 = ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8")


@pytest.mark.ffmpeg
@pytest.mark.parametrize(
    ("filename", "content_type", "kind"),
    [
        ("clip.mp4", "video/mp4", "video"),
        ("clip.mov", "video/quicktime", "video"),
        ("clip.webm", "video/webm", "video"),
        ("tone.m4a", "audio/mp4", "audio"),
        ("tone.mp3", "audio/mpeg", "audio"),
        ("tone.wav", "audio/wav", "audio"),
        ("tone.aac", "audio/aac", "audio"),
        ("tone.ogg", "audio/ogg", "audio"),
        ("tone.flac", "audio/flac", "audio"),
    ],
)
def test_audio_and_video_containers_are_named_by_their_signature(
    tmp_path: Path, filename: str, content_type: str, kind: str
) -> None:
    path = tmp_path / filename
    if kind == "video":
        codec = VP9 if filename.endswith(".webm") else ("-c:v", "libx264", "-preset", "ultrafast")
        make_video(path, seconds=0.5, video_codec=codec)
    else:
        make_tone(path, seconds=0.5)

    sniffed = sniff(path.read_bytes()[:HEAD_BYTES])

    assert sniffed is not None
    assert (sniffed.content_type, sniffed.kind) == (content_type, kind)
    assert ffmpeg.probe(path).container == sniffed.demuxer


@pytest.mark.parametrize(
    ("image_format", "content_type", "kind"),
    [
        ("JPEG", "image/jpeg", "image"),
        ("PNG", "image/png", "image"),
        ("WEBP", "image/webp", "image"),
        ("GIF", "image/gif", "gif"),
    ],
)
def test_images_are_named_by_their_signature(
    image_format: str, content_type: str, kind: str
) -> None:
    data = encode(Image.new("RGB", (20, 20)), image_format)

    sniffed = sniff(data[:HEAD_BYTES])

    assert sniffed is not None
    assert (sniffed.content_type, sniffed.kind, sniffed.demuxer) == (content_type, kind, None)


@pytest.mark.parametrize(
    ("head", "description"),
    [
        (b"\x7fELF\x02\x01\x01", "an executable program (ELF)"),
        (b"MZ\x90\x00", "a Windows program"),
        (b"#!/bin/sh\nrm -rf /\n", "a script"),
        (b"PK\x03\x04\x14\x00", "a ZIP archive"),
        (b"#EXTM3U\n#EXTINF:1,\nhttp://10.0.0.1/x\n", "a playlist"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "a HEIC photo"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "Matroska (MKV)"),
        (b"  <svg xmlns='http://www.w3.org/2000/svg'>", "an XML or SVG document"),
        (b"just some text", "no image, video or audio format"),
    ],
)
def test_what_is_not_media_is_named_in_the_refusal(head: bytes, description: str) -> None:
    assert sniff(head) is None
    assert description in describe_unknown(head)
