"""Media library assets: written by the media group, read by publishing (preflight and upload).

WS#<workspace>   ASSET#<asset>   one file of the library with what probing found in its bytes
"""

from typing import Self

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from functions.shared.identity_items import FindableItem
from functions.shared.probed_media import ProbedMedia
from functions.shared.tables import key


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
    # A generated asset's provenance: prompt, model, when (media/domain/models.Generation).
    generation = JSONAttribute(null=True)
    created_by = UnicodeAttribute()

    # What probing found: ProbedMedia's fields, each stored as an attribute of its own.
    container = UnicodeAttribute(null=True)
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    rotation = NumberAttribute(null=True)
    duration_seconds = NumberAttribute(null=True)
    frame_rate = NumberAttribute(null=True)
    video_codec = UnicodeAttribute(null=True)
    audio_codec = UnicodeAttribute(null=True)
    audio_channels = NumberAttribute(null=True)
    audio_sample_rate = NumberAttribute(null=True)
    bit_rate = NumberAttribute(null=True)
    faststart = BooleanAttribute(null=True)

    @staticmethod
    def keys(workspace_id: str, asset_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("ASSET", asset_id)

    @classmethod
    def find(cls, workspace_id: str, asset_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, asset_id))

    def probed(self) -> ProbedMedia:
        # DynamoDB numbers come back as int or float; the model's int fields take whole floats.
        return ProbedMedia.model_validate(self, from_attributes=True)
