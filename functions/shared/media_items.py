"""Media library assets: written by the media group, read by publishing (preflight and upload).

WS#<workspace>   ASSET#<asset>   one file of the library with what probing found in its bytes

The probed fields are what the platforms' media rules are checked against, so they come from
the file's content (Pillow for images, FFmpeg for video and audio), never from its name or the
uploader's claims. A field a probe cannot tell stays null.
"""

from typing import Self

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from functions.shared.identity_items import FindableItem
from functions.shared.tables import key


def whole(value: float | None) -> int | None:
    """A count the item stores as a DynamoDB number (pixels, channels, hertz) as an int."""
    return None if value is None else int(value)


class MediaAssetItem(FindableItem):
    asset_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # image, gif, video, audio, document
    name = UnicodeAttribute()
    content_type = UnicodeAttribute()  # the MIME type the bytes were identified as
    size_bytes = NumberAttribute()
    object_key = UnicodeAttribute()  # in the media bucket, under workspaces/<workspace>/
    thumbnail_key = UnicodeAttribute(null=True)
    labels = UnicodeSetAttribute(null=True)
    alt_text = UnicodeAttribute(null=True)
    source_asset_id = UnicodeAttribute(null=True)  # the asset this one was made from
    created_by = UnicodeAttribute()

    # What probing found.
    container = UnicodeAttribute(null=True)  # e.g. "mov,mp4,m4a,3gp,3g2,mj2", "JPEG"
    width = NumberAttribute(null=True)  # as displayed, after rotation / EXIF orientation
    height = NumberAttribute(null=True)
    rotation = NumberAttribute(null=True)  # degrees, from the video's display matrix
    duration_seconds = NumberAttribute(null=True)
    frame_rate = NumberAttribute(null=True)
    video_codec = UnicodeAttribute(null=True)  # FFmpeg codec names: h264, hevc, vp9...
    audio_codec = UnicodeAttribute(null=True)  # aac, mp3, opus...
    audio_channels = NumberAttribute(null=True)
    audio_sample_rate = NumberAttribute(null=True)
    bit_rate = NumberAttribute(null=True)
    faststart = BooleanAttribute(null=True)  # MP4/MOV: the moov atom precedes the media data

    @staticmethod
    def keys(workspace_id: str, asset_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("ASSET", asset_id)

    @classmethod
    def find(cls, workspace_id: str, asset_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, asset_id))
