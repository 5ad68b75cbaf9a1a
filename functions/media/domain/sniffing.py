"""What a file is, told by its first bytes: the gate before Pillow or FFmpeg ever read it.

Pillow and ffprobe identify what they open, but ffprobe opens far more than media: HLS
playlists, concat lists and other formats that name further files or URLs for it to read. So
only files whose leading bytes carry one of the signatures below reach a prober, and the prober
must then agree (ffprobe's demuxer must be the one the signature implies, see probing.py).

Signatures, from each format's specification: JPEG SOI marker FF D8 FF (ITU T.81); the PNG
signature (RFC 2083); GIF87a / GIF89a; RIFF containers with form type WEBP or WAVE; ISO base
media files (MP4, MOV, M4A: ISO/IEC 14496-12) with an `ftyp` box first, whose major brand tells
QuickTime and audio-only files apart; EBML (Matroska) with DocType `webm`; MP3 (an ID3v2 tag or
an MPEG audio frame header for layer III); AAC in ADTS frames; Ogg pages (`OggS`); FLAC (`fLaC`).
"""

from dataclasses import dataclass

from functions.media.domain.kinds import Kind

HEAD_BYTES = 64
# ffprobe's name for the demuxer that reads each family of files.
ISO_MEDIA_DEMUXER = "mov,mp4,m4a,3gp,3g2,mj2"
MATROSKA_DEMUXER = "matroska,webm"
_QUICKTIME_BRANDS = frozenset({b"qt  "})
_AUDIO_ONLY_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
_STILL_IMAGE_BRANDS = {
    b"heic": "a HEIC photo",
    b"heix": "a HEIC photo",
    b"mif1": "a HEIF image",
    b"avif": "an AVIF image",
}


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the leading bytes say: the content type, its kind, and the demuxer ffprobe must use
    (None for images, which Pillow reads)."""

    content_type: str
    kind: Kind
    demuxer: str | None = None


def sniff(head: bytes) -> Sniffed | None:
    """The media type the leading bytes announce, or None if they announce none Herald takes."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", "image")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", "image")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("image/gif", "gif")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Sniffed("image/webp", "image")
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return Sniffed("audio/wav", "audio", "wav")
    if head[4:8] == b"ftyp":
        return _iso_media(head[8:12])
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video/webm", "video", MATROSKA_DEMUXER) if b"webm" in head else None
    if head.startswith(b"OggS"):
        return Sniffed("audio/ogg", "audio", "ogg")
    if head.startswith(b"fLaC"):
        return Sniffed("audio/flac", "audio", "flac")
    if head.startswith(b"ID3") or _mpeg_audio_frame(head, layer=0b01):
        return Sniffed("audio/mpeg", "audio", "mp3")
    if _mpeg_audio_frame(head, layer=0b00):
        return Sniffed("audio/aac", "audio", "aac")
    return None


def _iso_media(brand: bytes) -> Sniffed | None:
    if brand in _STILL_IMAGE_BRANDS:
        return None
    if brand in _QUICKTIME_BRANDS:
        return Sniffed("video/quicktime", "video", ISO_MEDIA_DEMUXER)
    if brand in _AUDIO_ONLY_BRANDS:
        return Sniffed("audio/mp4", "audio", ISO_MEDIA_DEMUXER)
    return Sniffed("video/mp4", "video", ISO_MEDIA_DEMUXER)


def _mpeg_audio_frame(head: bytes, *, layer: int) -> bool:
    """An MPEG audio frame header: 11 sync bits, then version, layer (III: 01, ADTS: 00)."""
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    return (head[1] >> 1) & 0b11 == layer and (head[1] >> 3) & 0b11 != 0b01


# Files people mistake for media, or disguise as it, named so the refusal says what arrived.
_NON_MEDIA = (
    (b"\x7fELF", "an executable program (ELF)"),
    (b"MZ", "a Windows program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xce\xfa\xed\xfe", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a macOS program or Java class"),
    (b"#!", "a script"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"#EXTM3U", "a playlist"),
)


def describe_unknown(head: bytes) -> str:
    """What a file that is no accepted media seems to be, for the refusal message."""
    for signature, description in _NON_MEDIA:
        if head.startswith(signature):
            return description
    if head[4:8] == b"ftyp" and head[8:12] in _STILL_IMAGE_BRANDS:
        return _STILL_IMAGE_BRANDS[head[8:12]] + ", which Herald cannot read yet"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "a Matroska (MKV) file; convert it to MP4 or WebM"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "a web page"
    if text.startswith((b"<svg", b"<?xml")):
        return "an XML or SVG document"
    return "no image, video or audio format Herald accepts"
