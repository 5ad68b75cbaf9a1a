"""Each platform's target options: exactly what Herald's adapter for that platform sends on.

A target's `options` arrive as a bounded JSON object; which model applies is known only once the
target's account (and so its platform) is looked up. Writes then refuse what the platform does
not take (unknown names, wrong types or values) with a 422 pointing at the option. An option that
publishing needs but a draft may still lack (TikTok's privacy level, the creator's to pick) is
optional here, so the documented schema holds for every stored draft; preflight reports it
missing.
"""

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, ErrorDetails, core_schema

from functions.shared.bounded_json import bounded_json
from functions.shared.inputs import SingleLine

HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://", max_length=2048)]
WebUrl = Annotated[str, StringConstraints(pattern=r"^https?://", max_length=2048)]
# Platform object ids are numeric strings (X's are 64-bit integers).
NumericId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,19}$")]


class PlatformOptions(BaseModel):
    # Strict: options are kept as sent, so `0` must not pass for `false` nor `"5"` for 5; what
    # is stored must match the documented schema.
    model_config = ConfigDict(extra="forbid", strict=True)
    # Options a draft may still lack but publishing needs: preflight reports them missing.
    required_to_publish: ClassVar[tuple[str, ...]] = ()


class XOptions(PlatformOptions):
    """X options: https://docs.x.com/x-api/posts/creation-of-a-post"""

    reply_settings: (
        Literal["everyone", "following", "mentionedUsers", "subscribers", "verified"] | None
    ) = Field(None, description="Who may reply; `everyone` when left out.")
    quote_tweet_id: NumericId | None = Field(
        None, description="Publish a quote post of this post (the first part, in a thread)."
    )


class InstagramOptions(PlatformOptions):
    """Instagram options: https://developers.facebook.com/docs/instagram-platform/content-publishing"""

    type: Literal["feed", "reel", "story", "carousel"] = Field(
        "feed", description="Content type; a single video is published as a reel."
    )
    share_to_feed: bool | None = Field(None, description="Reels: also shown in the main feed.")
    location_id: str | None = Field(None, max_length=64, description="A Facebook Page's id.")
    collaborators: list[Annotated[str, StringConstraints(max_length=30)]] | None = Field(
        None, max_length=3, description="Instagram usernames invited as collaborators."
    )
    cover_url: WebUrl | None = Field(None, description="Reels: the cover image's URL.")
    thumb_offset: int | None = Field(
        None, ge=0, description="Reels: the frame used as cover, in milliseconds from the start."
    )
    audio_name: str | None = Field(None, max_length=255, description="Reels: the audio's name.")


class FacebookOptions(PlatformOptions):
    """Facebook Page options: https://developers.facebook.com/docs/pages-api/posts"""

    type: Literal["post", "video", "reel"] | None = Field(
        None, description="Content type; a video when the media is one, else a post."
    )
    link: WebUrl | None = Field(
        None, description="A link shared with the post (posts without media)."
    )
    title: SingleLine | None = Field(None, max_length=255, description="Videos: the video's title.")


class LinkedInOptions(PlatformOptions):
    """LinkedIn options: https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api"""

    visibility: Literal["PUBLIC", "CONNECTIONS", "LOGGED_IN"] = Field(
        "PUBLIC", description="Who sees the post."
    )
    title: SingleLine | None = Field(
        None, max_length=400, description="The title of an attached video or document."
    )
    little_text: bool | None = Field(
        None,
        description="The text is already in LinkedIn's little text format and is sent as it "
        "is; otherwise Herald escapes its reserved characters.",
    )


class TikTokOptions(PlatformOptions):
    """TikTok options: https://developers.tiktok.com/doc/content-posting-api-reference-direct-post"""

    # TikTok's UX guidelines: the creator picks the privacy level; there is no default.
    required_to_publish = ("privacy_level",)
    privacy_level: (
        Literal["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]
        | None
    ) = Field(
        None,
        description="Required to publish (a draft may wait for it): one of the levels TikTok "
        "offers this creator.",
    )
    title: SingleLine | None = Field(None, max_length=90, description="Photo posts: the title.")
    disable_comment: bool | None = Field(None, description="Turn comments off for the post.")
    disable_duet: bool | None = Field(None, description="Videos.")
    disable_stitch: bool | None = Field(None, description="Videos.")
    video_cover_timestamp_ms: int | None = Field(
        None, ge=0, description="Videos: the frame used as cover."
    )
    brand_content_toggle: bool | None = Field(None, description="Paid partnership.")
    brand_organic_toggle: bool | None = Field(None, description="Promotes the creator's brand.")
    is_aigc: bool | None = Field(None, description="Videos: generated with AI.")
    auto_add_music: bool | None = Field(None, description="Photo posts.")
    photo_cover_index: int | None = Field(
        None, ge=0, description="Photo posts: which image is the cover, from 0."
    )


class YouTubeOptions(PlatformOptions):
    """YouTube options: https://developers.google.com/youtube/v3/docs/videos#resource"""

    title: SingleLine | None = Field(
        None, min_length=1, max_length=100, description="The text's first line when left out."
    )
    privacy_status: Literal["public", "unlisted", "private"] = Field(
        "public", description="Who may watch the video (`status.privacyStatus`)."
    )
    made_for_kids: bool = Field(
        False,
        description="Whether the video is made for children (`status.selfDeclaredMadeForKids`).",
    )
    tags: list[Annotated[str, StringConstraints(max_length=500)]] | None = Field(
        None, max_length=500, description="Keywords of the video (`snippet.tags`)."
    )
    category_id: Annotated[str, StringConstraints(pattern=r"^\d+$", max_length=4)] | None = Field(
        None, description="The video category's id (`snippet.categoryId`), e.g. `22`."
    )
    contains_synthetic_media: bool | None = Field(
        None,
        description="Declares altered or synthetic content (`status.containsSyntheticMedia`).",
    )


class ThreadsOptions(PlatformOptions):
    """Threads options: https://developers.facebook.com/docs/threads/posts"""

    reply_control: Literal["everyone", "accounts_you_follow", "mentioned_only"] | None = Field(
        None, description="Who may reply to the post."
    )
    link_attachment: HttpsUrl | None = Field(None, description="Text posts: a link preview.")
    topic_tag: str | None = Field(
        None, min_length=1, max_length=50, description="The post's topic, without `#`."
    )
    quote_post_id: NumericId | None = Field(None, description="Publish a quote of this post.")


class SandboxOptions(PlatformOptions):
    note: str | None = Field(None, max_length=1000, description="Kept with the post; not sent.")


OPTIONS: Mapping[str, type[PlatformOptions]] = {
    "x": XOptions,
    "instagram": InstagramOptions,
    "facebook": FacebookOptions,
    "linkedin": LinkedInOptions,
    "tiktok": TikTokOptions,
    "youtube": YouTubeOptions,
    "threads": ThreadsOptions,
    "sandbox": SandboxOptions,
}


class _DocumentedPerPlatform:
    """Shows `options` in OpenAPI as one of the platform models, each with its descriptions."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, _: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(
            core_schema.union_schema([model.__pydantic_core_schema__ for model in OPTIONS.values()])
        )


# Options are a few flat fields: anything deeper or larger than this is no platform's.
TargetOptions = Annotated[
    dict[str, Any], bounded_json(max_depth=3, max_bytes=4096), _DocumentedPerPlatform
]


def option_errors(platform: str, options: Mapping[str, Any]) -> list[ErrorDetails]:
    """What the platform does not take: unknown options, wrong types or values."""
    try:
        OPTIONS[platform].model_validate(dict(options))
    except ValidationError as invalid:
        return invalid.errors()
    return []


def missing_to_publish(platform: str, options: Mapping[str, Any]) -> list[str]:
    """The options publishing needs that are not chosen yet."""
    needed = OPTIONS[platform].required_to_publish
    return [name for name in needed if options.get(name) is None]
