"""The one catalogue of platform formats: each a name and one frame size, for images and videos.

The media studio's image tools (`preset`), its reframe jobs (`preset`) and the publish
preflight's fixes (`media_preset`) all read this catalogue, so a name means one size whatever
the kind of file, and a platform's format has one name for its images and its videos. A format
that exists for one kind only (a YouTube thumbnail is a still, a Short is a video) says so.

Sizes are the platforms' recommended uploads; where a platform gives different sizes for its
images and videos, the one every kind accepts is kept:
- Instagram: feed 1080 wide, 4:5 to 1.91:1; stories and reels 9:16 full screen
  (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media).
- Facebook: the 4:5 feed frame that fills a phone's screen, for photos and videos alike (the
  1200x630 of link previews is a link's card, not a post's picture).
- X: videos at most 1280x1024, 1280x720 recommended for landscape (X media best practices,
  https://developer.x.com/en/docs/x-api/v1/media/upload-media/uploading-media/media-best-practices);
  pictures in 16:9 take the same frame.
- YouTube: 1920x1080 videos, 1080x1920 Shorts; thumbnails 1280x720
  (https://support.google.com/youtube/answer/72431).
- LinkedIn and TikTok publish no size page for posts; 16:9 full HD for LinkedIn (inside its
  256x144 to 4096x2304 video range) and 9:16 full HD for TikTok's videos and photo posts.
Every side is even: H.264 with 4:2:0 chroma needs it.
"""

from typing import Literal

# The formats an image can be made into, and those a video can: the request models' enums.
EitherKindFormat = Literal[
    "instagram_square",
    "instagram_portrait",
    "story",
    "facebook",
    "x_landscape",
    "linkedin",
    "tiktok",
]
ImageFormat = Literal[EitherKindFormat, "youtube_thumbnail"]
VideoFormat = Literal[EitherKindFormat, "youtube", "youtube_shorts"]

FORMATS: dict[str, tuple[int, int]] = {
    "instagram_square": (1080, 1080),  # 1:1 feed
    "instagram_portrait": (1080, 1350),  # 4:5 feed
    "story": (1080, 1920),  # 9:16 stories and reels
    "facebook": (1080, 1350),  # 4:5 feed
    "x_landscape": (1280, 720),  # 16:9
    "linkedin": (1920, 1080),  # 16:9
    "tiktok": (1080, 1920),  # 9:16 videos and photo posts
    "youtube": (1920, 1080),
    "youtube_shorts": (1080, 1920),
    "youtube_thumbnail": (1280, 720),
}

# The format that fixes a file of a kind for a platform's content type (preflight's fixes).
# `story` is the 9:16 frame of stories and reels.
FIXES: dict[tuple[str, str, str], str] = {
    ("instagram", "image", "image"): "instagram_portrait",
    ("instagram", "carousel", "image"): "instagram_portrait",
    ("instagram", "carousel", "video"): "instagram_portrait",
    ("instagram", "story", "image"): "story",
    ("instagram", "story", "video"): "story",
    ("instagram", "reel", "video"): "story",
    ("facebook", "post", "image"): "facebook",
    ("facebook", "reel", "video"): "story",
    ("tiktok", "photo", "image"): "tiktok",
    ("tiktok", "video", "video"): "tiktok",
    ("x", "post", "image"): "x_landscape",
    ("x", "post", "video"): "x_landscape",
    ("threads", "post", "video"): "instagram_portrait",
    ("youtube", "video", "video"): "youtube",
    ("linkedin", "post", "image"): "linkedin",
    ("linkedin", "post", "video"): "linkedin",
}


def size_of(name: str) -> tuple[int, int]:
    """The frame (width, height) of a format named by a validated request (an ImageFormat or a
    VideoFormat)."""
    return FORMATS[name]


def fix_for(platform: str, content_type: str, kind: str) -> str | None:
    """The format to make a copy in so that a file of `kind` suits the content type, if any."""
    return FIXES.get((platform, content_type, kind))
