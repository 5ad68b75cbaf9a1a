"""Library images as a vision model takes them: read from the media bucket, downscaled, inline.

The model gets a `data:image/jpeg;base64,...` URL (the Chat Completions API's image input,
https://platform.openai.com/docs/guides/images-vision), never a link to the bucket: nothing
outside Herald can fetch the workspace's files, and the bytes sent are a fresh JPEG of the
pixels at most `VISION_SIDE` pixels a side, without the original's metadata (EXIF and its GPS
position). Vision models scale larger images down themselves (OpenAI to 2048 a side, then 768
the short side), so bigger would only cost upload time and tokens.
"""

import base64

from functions.shared import images
from functions.shared.images import ImagePolicy
from functions.shared.media_items import MediaAssetItem
from functions.shared.storage import read_object

VISION_SIDE = 1024
VISION_QUALITY = 85
# What the library accepts (functions/media/domain/kinds.py): a GIF is seen by its first frame.
_POLICY = ImagePolicy(formats=("JPEG", "PNG", "WEBP", "GIF"), max_pixels=100_000_000)


def data_url(asset: MediaAssetItem) -> str:
    """The asset's image, downscaled, as a data URL; ImageRejected if it is no usable image."""
    source = read_object(asset.object_key, max_bytes=int(asset.size_bytes))
    with images.open_image(source, _POLICY) as image:
        jpeg = images.downscaled_jpeg(image, (VISION_SIDE, VISION_SIDE), quality=VISION_QUALITY)
    return f"data:image/jpeg;base64,{base64.b64encode(jpeg).decode('ascii')}"
