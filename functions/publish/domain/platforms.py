"""Every platform Herald publishes to, its content types and their limits.

One table serves `GET /v1/accounts/platforms` and preflight validation alike, so the dashboard
shows exactly the rules Herald enforces. Figures are the platforms' documented limits (sources
beside each platform); where a platform documents a range, the stricter end is used.
"""

from typing import Literal

from pydantic import BaseModel, Field

Platform = Literal[
    "x", "instagram", "facebook", "linkedin", "tiktok", "youtube", "threads", "sandbox"
]
MediaType = Literal["image", "gif", "video", "document"]


class MediaLimits(BaseModel):
    types: list[MediaType] = Field(
        description="The kinds of media this mix holds (image, video, gif)."
    )
    formats: list[str] = Field(description="Accepted MIME types.")
    max_bytes: int = Field(description="Largest file accepted, in bytes.")
    min_count: int = Field(0, description="Fewest files in the mix.")
    max_count: int = Field(description="Most files in the mix.")
    max_duration_seconds: float | None = Field(
        None, description="Longest video accepted, in seconds."
    )
    min_duration_seconds: float | None = Field(
        None, description="Shortest video accepted, in seconds."
    )
    min_aspect_ratio: float | None = Field(None, description="Width / height, at least.")
    max_aspect_ratio: float | None = Field(None, description="Width / height, at most.")
    max_width: int | None = Field(None, description="Widest image or video, in pixels.")
    max_height: int | None = Field(None, description="Tallest image or video, in pixels.")
    video_codecs: list[str] | None = Field(
        None, description="Accepted video codecs (FFmpeg names), when the platform says."
    )
    audio_codecs: list[str] | None = Field(None, description="Accepted audio codecs.")
    min_frame_rate: float | None = Field(None, description="Lowest video frame rate, per second.")
    max_frame_rate: float | None = Field(None, description="Highest video frame rate, per second.")


class ContentType(BaseModel):
    name: str = Field(
        description="The content type's name, as given in a target's options (e.g. `reel`)."
    )
    description: str = Field(description="What this content type is.")
    max_text_length: int | None = Field(
        description="Most characters of text, counted the platform's way; null if it takes no text."
    )
    media: list[MediaLimits] = Field(description="One entry per kind of media mix allowed.")


class PlatformInfo(BaseModel):
    platform: Platform = Field(description="The platform's identifier in Herald.")
    name: str = Field(description="The platform's name, for display.")
    oauth: bool = Field(description="Whether connecting goes through the platform's OAuth.")
    pkce: bool = Field(description="Whether its OAuth login uses PKCE (RFC 7636).")
    text_counting: str = Field(description="How text length is counted.")
    content_types: list[ContentType] = Field(
        description="What a post to this platform can be (feed post, reel, story, short, ...)."
    )
    daily_post_limit: int | None = Field(
        None,
        description="Posts an account may publish through the API in any 24 hours; preflight "
        "counts the workspace's scheduled posts against it.",
    )
    first_comment: bool = Field(True, description="Whether a first comment can follow a post.")
    threads: bool = Field(False, description="Whether a post can be a thread of replies.")
    documentation: str = Field(
        description="The platform's API documentation that these limits come from."
    )


_MB = 1024 * 1024
_JPEG_PNG = ["image/jpeg", "image/png"]
_MP4_MOV = ["video/mp4", "video/quicktime"]

PLATFORMS: tuple[PlatformInfo, ...] = (
    PlatformInfo(
        platform="x",
        name="X",
        oauth=True,
        pkce=True,
        text_counting="twitter-text v3 weighted length (URLs count 23, most CJK and emoji 2)",
        # POST /2/tweets: 100 requests per 24 hours per user
        # (https://docs.x.com/x-api/fundamentals/rate-limits).
        daily_post_limit=100,
        threads=True,
        documentation="https://docs.x.com/x-api/media/quickstart/media-upload-chunked",
        content_types=[
            ContentType(
                name="post",
                description="A post, optionally a thread of replies, with up to 4 images, "
                "or 1 GIF, or 1 video.",
                max_text_length=280,
                media=[
                    MediaLimits(
                        types=["image"],
                        formats=[*_JPEG_PNG, "image/webp"],
                        max_bytes=5 * _MB,
                        max_count=4,
                    ),
                    MediaLimits(
                        types=["gif"], formats=["image/gif"], max_bytes=15 * _MB, max_count=1
                    ),
                    MediaLimits(
                        types=["video"],
                        formats=["video/mp4"],
                        max_bytes=512 * _MB,
                        max_count=1,
                        min_duration_seconds=0.5,
                        max_duration_seconds=140,
                        min_aspect_ratio=1 / 3,
                        max_aspect_ratio=3,
                        max_width=1920,
                        max_height=1200,
                        video_codecs=["h264"],
                        audio_codecs=["aac"],
                        max_frame_rate=60,
                    ),
                ],
            )
        ],
    ),
    PlatformInfo(
        platform="instagram",
        name="Instagram",
        oauth=True,
        pkce=False,
        text_counting="characters (caption at most 2,200, 30 hashtags)",
        # "100 API-published posts within a 24-hour moving period"; carousels count once.
        daily_post_limit=100,
        documentation="https://developers.facebook.com/docs/instagram-platform/content-publishing",
        content_types=[
            ContentType(
                name="image",
                description="A single feed image.",
                max_text_length=2200,
                media=[
                    MediaLimits(
                        types=["image"],
                        formats=["image/jpeg"],
                        max_bytes=8 * _MB,
                        min_count=1,
                        max_count=1,
                        min_aspect_ratio=4 / 5,
                        max_aspect_ratio=1.91,
                    )
                ],
            ),
            ContentType(
                name="carousel",
                description="2 to 10 images or videos.",
                max_text_length=2200,
                media=[
                    MediaLimits(
                        types=["image", "video"],
                        formats=["image/jpeg", *_MP4_MOV],
                        max_bytes=100 * _MB,
                        min_count=2,
                        max_count=10,
                        max_duration_seconds=60,
                        min_aspect_ratio=4 / 5,
                        max_aspect_ratio=1.91,
                    )
                ],
            ),
            ContentType(
                name="reel",
                description="A vertical video, 3 s to 15 minutes.",
                max_text_length=2200,
                media=[
                    MediaLimits(
                        types=["video"],
                        formats=_MP4_MOV,
                        max_bytes=300 * _MB,
                        min_count=1,
                        max_count=1,
                        min_duration_seconds=3,
                        max_duration_seconds=900,
                        min_aspect_ratio=0.01,
                        max_aspect_ratio=10,
                        max_width=1920,
                        video_codecs=["h264", "hevc"],
                        audio_codecs=["aac"],
                        min_frame_rate=23,
                        max_frame_rate=60,
                    )
                ],
            ),
            ContentType(
                name="story",
                description="An image or a video of at most 60 s, shown for 24 hours.",
                max_text_length=None,
                media=[
                    MediaLimits(
                        types=["image", "video"],
                        formats=["image/jpeg", *_MP4_MOV],
                        max_bytes=100 * _MB,
                        min_count=1,
                        max_count=1,
                        min_duration_seconds=3,
                        max_duration_seconds=60,
                    )
                ],
            ),
        ],
    ),
    PlatformInfo(
        platform="facebook",
        name="Facebook Page",
        oauth=True,
        pkce=False,
        text_counting="characters (at most 63,206)",
        documentation="https://developers.facebook.com/docs/pages-api/posts",
        content_types=[
            ContentType(
                name="post",
                description="Text, a link, or one to ten photos.",
                max_text_length=63206,
                media=[
                    MediaLimits(
                        types=["image"],
                        formats=[*_JPEG_PNG, "image/gif", "image/webp"],
                        max_bytes=10 * _MB,
                        max_count=10,
                    )
                ],
            ),
            ContentType(
                name="video",
                description="A video of up to 240 minutes.",
                max_text_length=63206,
                media=[
                    MediaLimits(
                        types=["video"],
                        formats=_MP4_MOV,
                        max_bytes=4096 * _MB,
                        min_count=1,
                        max_count=1,
                        max_duration_seconds=240 * 60,
                    )
                ],
            ),
            ContentType(
                name="reel",
                description="A vertical video of 3 to 90 s.",
                max_text_length=63206,
                media=[
                    MediaLimits(
                        types=["video"],
                        formats=_MP4_MOV,
                        max_bytes=1024 * _MB,
                        min_count=1,
                        max_count=1,
                        min_duration_seconds=3,
                        max_duration_seconds=90,
                        min_aspect_ratio=9 / 16,
                        max_aspect_ratio=9 / 16,
                    )
                ],
            ),
        ],
    ),
    PlatformInfo(
        platform="linkedin",
        name="LinkedIn",
        oauth=True,
        pkce=False,
        text_counting="characters (commentary at most 3,000)",
        # Posts API: 150 requests per member per day
        # (https://learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits).
        daily_post_limit=150,
        documentation="https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api",
        content_types=[
            ContentType(
                name="post",
                description="Text with up to 20 images, or one video, or one document, "
                "as a member or an organization.",
                max_text_length=3000,
                media=[
                    MediaLimits(
                        types=["image"],
                        formats=[*_JPEG_PNG, "image/gif"],
                        max_bytes=8 * _MB,
                        max_count=20,
                    ),
                    MediaLimits(
                        types=["video"],
                        formats=["video/mp4"],
                        max_bytes=500 * _MB,
                        max_count=1,
                        min_duration_seconds=3,
                        max_duration_seconds=30 * 60,
                        video_codecs=["h264"],
                        min_frame_rate=10,
                        max_frame_rate=60,
                    ),
                    MediaLimits(
                        types=["document"],
                        formats=[
                            "application/pdf",
                            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        ],
                        max_bytes=100 * _MB,
                        max_count=1,
                    ),
                ],
            )
        ],
    ),
    PlatformInfo(
        platform="tiktok",
        name="TikTok",
        oauth=True,
        pkce=True,
        text_counting="characters (caption at most 2,200; photo titles 90)",
        # Direct Post: creators are capped at about 15 posts a day (error spam_risk_too_many_posts).
        daily_post_limit=15,
        first_comment=False,
        documentation="https://developers.tiktok.com/doc/content-posting-api-reference-direct-post",
        content_types=[
            ContentType(
                name="video",
                description="A video posted directly, with the creator's privacy options.",
                max_text_length=2200,
                media=[
                    MediaLimits(
                        types=["video"],
                        formats=[*_MP4_MOV, "video/webm"],
                        max_bytes=4096 * _MB,
                        min_count=1,
                        max_count=1,
                        min_duration_seconds=3,
                        max_duration_seconds=600,
                        video_codecs=["h264", "hevc", "vp8", "vp9"],
                        min_frame_rate=23,
                        max_frame_rate=60,
                    )
                ],
            ),
            ContentType(
                name="photo",
                description="1 to 35 photos.",
                max_text_length=4000,
                media=[
                    MediaLimits(
                        types=["image"],
                        formats=["image/jpeg", "image/webp"],
                        max_bytes=20 * _MB,
                        min_count=1,
                        max_count=35,
                    )
                ],
            ),
        ],
    ),
    PlatformInfo(
        platform="youtube",
        name="YouTube",
        oauth=True,
        pkce=True,
        text_counting="characters (title at most 100, description 5,000)",
        # Uploads are limited by the project's daily quota (10,000 units, 1,600 per upload), not
        # per channel, so no per-account figure applies.
        documentation="https://developers.google.com/youtube/v3/docs/videos/insert",
        content_types=[
            ContentType(
                name="video",
                description="A video with title, description, tags, privacy and made-for-kids.",
                max_text_length=5000,
                media=[
                    MediaLimits(
                        types=["video"],
                        formats=[*_MP4_MOV, "video/webm", "video/x-msvideo"],
                        max_bytes=256 * 1024 * _MB,
                        min_count=1,
                        max_count=1,
                        max_duration_seconds=12 * 3600,
                    )
                ],
            )
        ],
    ),
    PlatformInfo(
        platform="threads",
        name="Threads",
        oauth=True,
        pkce=False,
        text_counting="characters (at most 500)",
        # "250 API-published posts within a 24-hour moving period"
        # (https://developers.facebook.com/docs/threads/overview#rate-limiting).
        daily_post_limit=250,
        threads=True,
        documentation="https://developers.facebook.com/docs/threads/posts",
        content_types=[
            ContentType(
                name="post",
                description="Text, an image, a video or a carousel of 2 to 20, optionally a "
                "chain of replies.",
                max_text_length=500,
                media=[
                    MediaLimits(
                        types=["image", "video"],
                        formats=[*_JPEG_PNG, *_MP4_MOV],
                        max_bytes=1024 * _MB,
                        max_count=20,
                        max_duration_seconds=300,
                        video_codecs=["h264", "hevc"],
                        audio_codecs=["aac"],
                        min_frame_rate=23,
                        max_frame_rate=60,
                    )
                ],
            )
        ],
    ),
    PlatformInfo(
        platform="sandbox",
        name="Sandbox",
        oauth=False,
        pkce=False,
        text_counting="characters (at most 500)",
        daily_post_limit=50,
        threads=True,
        documentation="https://github.com/herald (built in: no platform is called)",
        content_types=[
            ContentType(
                name="post",
                description="Anything a real platform accepts; it can be told to fail on demand.",
                max_text_length=500,
                media=[
                    MediaLimits(
                        types=["image", "gif", "video", "document"],
                        formats=["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"],
                        max_bytes=100 * _MB,
                        max_count=4,
                    )
                ],
            )
        ],
    ),
)


def platform_info(platform: str) -> PlatformInfo | None:
    return next((info for info in PLATFORMS if info.platform == platform), None)


# Which entry of the platform credentials each OAuth platform signs in with: Meta's login serves
# Instagram and Facebook, Google's serves YouTube.
CREDENTIALS_ENTRY = {
    "x": "x",
    "instagram": "meta",
    "facebook": "meta",
    "threads": "threads",
    "linkedin": "linkedin",
    "tiktok": "tiktok",
    "youtube": "google",
}
OAUTH_PLATFORMS = tuple(CREDENTIALS_ENTRY)
