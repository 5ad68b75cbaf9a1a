"""What the media library takes: the file types a browser may declare, their kinds and size caps.

The caps follow the platforms Herald publishes to (functions/publish/domain/platforms.py cites
each platform's documentation) and what one API call can verify:

- images (JPEG, PNG, WebP): 50 MiB. TikTok photo posts take up to 20 MB, the most of any platform,
  but a library image is often the source the image tools resize for them, and a 6000x4000 PNG
  takes 30 to 70 MB. Pixels are capped apart from bytes (`MAX_PIXELS`).
- GIFs: 15 MiB, X's limit for animated GIFs, the only platform that caps GIFs apart from images.
- video: 1 GiB. Enough for X (512 MB), LinkedIn (500 MB), Instagram Reels (300 MB), Threads
  (1 GB) and Facebook Reels (1 GB); TikTok and Facebook feed videos (4 GB) and YouTube take
  more, but completing an upload downloads the file into the media function's /tmp to probe it
  and make its thumbnail within an API request (see uploads.py).
- audio: 256 MiB, about 23 minutes of 16-bit 48 kHz stereo WAV and many hours of MP3 or AAC:
  music tracks and voice-overs for the video jobs.
"""

from typing import Literal, get_args

Kind = Literal["image", "gif", "video", "audio"]
# What a browser may declare when it starts an upload: the types Herald can verify and probe.
UploadContentType = Literal[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "audio/mpeg",
    "audio/mp4",
    "audio/aac",
    "audio/wav",
    "audio/ogg",
    "audio/flac",
    "audio/webm",
]
UPLOAD_CONTENT_TYPES: tuple[str, ...] = get_args(UploadContentType)

_MIB = 1024 * 1024
MAX_BYTES: dict[Kind, int] = {
    "image": 50 * _MIB,
    "gif": 15 * _MIB,
    "video": 1024 * _MIB,
    "audio": 256 * _MIB,
}
# Widest the image work will decode: 100 megapixels covers 108 MP phone sensors and
# medium-format cameras; an RGBA decode of it needs 400 MB.
MAX_PIXELS = 100_000_000

KIND_NOUNS: dict[Kind, str] = {
    "image": "An image",
    "gif": "A GIF",
    "video": "A video",
    "audio": "An audio file",
}


_FAMILY_KINDS: dict[str, Kind] = {"image": "image", "video": "video", "audio": "audio"}
_KINDS: dict[str, Kind] = {
    content_type: "gif"
    if content_type == "image/gif"
    else _FAMILY_KINDS[content_type.split("/")[0]]
    for content_type in UPLOAD_CONTENT_TYPES
}


def kind_of(content_type: str) -> Kind:
    """The kind a declarable content type belongs to."""
    return _KINDS[content_type]


def family(kind: Kind) -> str:
    """Images and GIFs are one family: a GIF declared as an image (or back) is no mismatch."""
    return "image" if kind == "gif" else kind


def size_phrase(size: int) -> str:
    if size >= 1024 * _MIB and size % (1024 * _MIB) == 0:
        return f"{size // (1024 * _MIB)} GiB"
    if size % _MIB == 0:
        return f"{size // _MIB} MiB"
    return f"{size} bytes"


def size_limit_message(kind: Kind, size: int) -> str | None:
    """Why a file of `size` bytes is too big for its kind, or None when it is not."""
    limit = MAX_BYTES[kind]
    if size <= limit:
        return None
    return (
        f"{KIND_NOUNS[kind]} may have at most {size_phrase(limit)} ({limit} bytes); "
        f"this one has {size} bytes."
    )
