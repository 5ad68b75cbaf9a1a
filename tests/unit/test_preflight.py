"""Preflight's pure checks: text, media, options, threads, first comments and quotas, per platform.

Limits come from `functions/publish/domain/platforms.py`, which cites each platform's documentation;
these tests pin the boundaries (the limit passes, one more fails) and the answer's shape: a code, a
message and, where the media studio can make a fitting copy, a fix naming its preset.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from functions.publish.domain import preflight
from functions.publish.domain.post_models import PostContent, Problem, TargetPreflight
from functions.publish.domain.preflight import AccountFacts, AssetFacts

MB = 1024 * 1024
ACCOUNT = "01JB0000000000000000000001"
OTHER_ACCOUNT = "01JB0000000000000000000002"


def jpeg(asset_id: str = "01JC0000000000000000000001", **probed: Any) -> AssetFacts:
    facts: dict[str, Any] = {
        "kind": "image",
        "content_type": "image/jpeg",
        "size_bytes": 400_000,
        "width": 1080,
        "height": 1350,
    }
    return AssetFacts(asset_id=asset_id, **(facts | probed))


def mp4(asset_id: str = "01JD0000000000000000000001", **probed: Any) -> AssetFacts:
    facts: dict[str, Any] = {
        "kind": "video",
        "content_type": "video/mp4",
        "size_bytes": 20 * MB,
        "width": 1080,
        "height": 1920,
        "duration_seconds": 20.0,
        "frame_rate": 30.0,
        "video_codec": "h264",
        "audio_codec": "aac",
    }
    return AssetFacts(asset_id=asset_id, **(facts | probed))


def check(
    platform: str,
    text: str = "Hello",
    media: Sequence[AssetFacts] = (),
    *,
    missing_media: Sequence[str] = (),
    **target: Any,
) -> TargetPreflight:
    """Preflight of a post with one target on an active `platform` account."""
    content = PostContent(
        text=text,
        media=[asset.asset_id for asset in media] + list(missing_media),
        targets=[{"account_id": ACCOUNT, **target}],
    )
    accounts = {ACCOUNT: AccountFacts(ACCOUNT, platform, "active", "Acme")}
    result = preflight.check(content, accounts, {asset.asset_id: asset for asset in media})
    (checked,) = result.targets
    assert result.ok is (not checked.problems)
    return checked


def codes(checked: TargetPreflight) -> list[tuple[str, str | None]]:
    return [(problem.code, problem.field) for problem in checked.problems]


def only(checked: TargetPreflight) -> Problem:
    (problem,) = checked.problems
    return problem


# --- text ----------------------------------------------------------------------------------------

# (platform, options, media, limit): every content type with a text limit, with media it takes.
TEXT_LIMITS = [
    ("sandbox", {}, [], 500),
    ("threads", {}, [], 500),
    ("linkedin", {}, [], 3000),
    ("instagram", {}, [jpeg()], 2200),
    ("tiktok", {"privacy_level": "SELF_ONLY"}, [mp4()], 2200),
    ("youtube", {}, [mp4(width=1920, height=1080)], 5000),
]


@pytest.mark.parametrize(("platform", "options", "media", "limit"), TEXT_LIMITS)
def test_each_platform_takes_text_up_to_its_limit_and_not_one_character_more(
    platform: str, options: dict[str, Any], media: list[AssetFacts], limit: int
) -> None:
    at_limit = check(platform, "a" * limit, media, options=options)
    over = check(platform, "a" * (limit + 1), media, options=options)

    assert at_limit.problems == []
    problem = only(over)
    assert (problem.code, problem.field) == ("text_too_long", "text")
    assert f"The text is {limit + 1} characters" in problem.message
    assert f"takes at most {limit} here" in problem.message
    assert problem.fix is not None
    assert problem.fix.description == "Shorten it by 1 characters."


def test_facebook_takes_63206_characters_the_most_any_post_may_hold() -> None:
    assert check("facebook", "a" * 63206).problems == []
    with pytest.raises(ValidationError, match="at most 63206 characters"):
        check("facebook", "a" * 63207)


def test_characters_are_code_points_so_an_emoji_counts_once_outside_x() -> None:
    # U+1F44D is two UTF-16 code units; Threads counts characters.
    assert check("threads", "\N{THUMBS UP SIGN}" * 500).problems == []
    assert codes(check("threads", "\N{THUMBS UP SIGN}" * 501)) == [("text_too_long", "text")]


def test_x_counts_weighted_length_urls_as_23_and_cjk_as_2() -> None:
    url = "https://example.com/" + "a" * 100
    assert check("x", "a" * 280).problems == []
    assert check("x", "\N{CJK UNIFIED IDEOGRAPH-6F22}" * 140).problems == []
    assert check("x", "a" * 256 + " " + url).problems == []  # 256 + 1 + 23 = 280

    problem = only(check("x", "\N{CJK UNIFIED IDEOGRAPH-6F22}" * 141))
    assert (problem.code, problem.field) == ("text_too_long", "text")
    assert problem.message.startswith("X counts this text as 282 of 280")
    assert problem.fix is not None
    assert "thread part" in problem.fix.description
    assert codes(check("x", "a" * 257 + " " + url)) == [("text_too_long", "text")]


def test_instagram_takes_30_hashtags_and_20_mentions() -> None:
    hashtags = " ".join(f"#tag{n}" for n in range(30))
    mentions = " ".join(f"@friend{n}" for n in range(20))
    assert check("instagram", f"{hashtags} {mentions}", [jpeg()]).problems == []

    too_many = check("instagram", f"{hashtags} #one_more {mentions} @one.more", [jpeg()])
    assert codes(too_many) == [("too_many_hashtags", "text"), ("too_many_mentions", "text")]
    assert too_many.problems[0].message == "31 hashtags; Instagram allows 30."
    assert too_many.problems[1].message == "21 mentions; Instagram allows 20."
    # A '#' inside a word is no hashtag.
    assert check("instagram", hashtags + " C#sharp", [jpeg()]).problems == []


def test_a_target_without_text_or_media_is_empty() -> None:
    assert codes(check("sandbox", "   ")) == [("empty", "text")]


def test_a_target_s_own_text_and_media_replace_the_shared_ones() -> None:
    content = PostContent(
        text="a" * 600,
        media=["01JC0000000000000000000001"],
        targets=[
            {"account_id": ACCOUNT, "text": "Short enough for Threads", "media": []},
            {"account_id": OTHER_ACCOUNT},
        ],
    )
    accounts = {
        ACCOUNT: AccountFacts(ACCOUNT, "threads", "active", "Acme"),
        OTHER_ACCOUNT: AccountFacts(OTHER_ACCOUNT, "threads", "active", "Acme Two"),
    }

    own, shared = preflight.check(content, accounts, {}).targets

    assert own.problems == []
    assert codes(shared) == [("text_too_long", "text"), ("media_not_found", "media/0")]


# --- media ---------------------------------------------------------------------------------------


def test_media_counts_per_content_type() -> None:
    images = [jpeg(f"01JC00000000000000000000{n:02d}", width=1600, height=900) for n in range(5)]
    assert check("x", media=images[:4]).problems == []
    assert check("x").problems == []  # X takes a post without media
    problem = only(check("x", media=images))
    assert (problem.code, problem.field) == ("too_many_media", "media")
    assert problem.message == "A X post takes at most 4 media files; this has 5."

    assert codes(check("instagram", "Caption")) == [("media_required", "media")]
    assert codes(check("instagram", "Caption", [jpeg()], options={"type": "carousel"})) == [
        ("too_few_media", "media")
    ]
    carousel = [jpeg(f"01JC00000000000000000000{n:02d}") for n in range(2)]
    assert check("instagram", "Caption", carousel).content_type == "carousel"
    assert check("instagram", "Caption", carousel).problems == []


def test_media_that_a_content_type_cannot_mix_is_refused() -> None:
    problem = only(check("x", media=[jpeg(width=1600, height=900), mp4(width=1280, height=720)]))
    assert (problem.code, problem.field) == ("media_mix", "media")
    assert "cannot mix image, video" in problem.message

    document = AssetFacts(
        asset_id="01JE0000000000000000000001",
        kind="document",
        content_type="application/pdf",
        size_bytes=MB,
    )
    assert check("linkedin", media=[document]).problems == []
    assert codes(check("linkedin", media=[document, jpeg()])) == [("media_mix", "media")]


def test_media_not_in_the_library_is_named() -> None:
    missing = "01JC9999999999999999999999"
    checked = check("x", media=[jpeg(width=1600, height=900)], missing_media=[missing])
    problem = only(checked)
    assert (problem.code, problem.field) == ("media_not_found", "media/1")
    assert missing in problem.message


def test_formats_and_sizes_per_platform() -> None:
    png = jpeg(content_type="image/png")
    problem = only(check("instagram", "Caption", [png]))
    assert (problem.code, problem.field, problem.fix) == ("media_format", "media/0", None)
    assert problem.message == "Instagram does not take image/png here; it takes image/jpeg."

    assert check("x", media=[jpeg(size_bytes=5 * MB)]).problems == []
    big_image = only(check("x", media=[jpeg(size_bytes=5 * MB + 1)]))
    assert big_image.code == "media_too_large"
    assert big_image.fix is None  # the media studio does not shrink image files to a size

    big_video = only(check("x", media=[mp4(size_bytes=513 * MB, width=1280, height=720)]))
    assert big_video.code == "media_too_large"
    assert big_video.message == "The file is 513.0 MB; X takes at most 512.0 MB."
    assert big_video.fix is not None
    assert big_video.fix.media_preset == "x_landscape"


def test_durations_per_platform() -> None:
    landscape: dict[str, Any] = {"width": 1280, "height": 720}
    assert check("x", media=[mp4(duration_seconds=140, **landscape)]).problems == []
    too_long = only(check("x", media=[mp4(duration_seconds=140.5, **landscape)]))
    assert too_long.code == "media_too_long"
    assert too_long.message == "The video lasts 140.5 s; X takes at most 140 s."

    reel = {"type": "reel"}
    assert check("instagram", "Reel", [mp4(duration_seconds=3)], options=reel).problems == []
    too_short = only(check("instagram", "Reel", [mp4(duration_seconds=2.9)], options=reel))
    assert (too_short.code, too_short.field) == ("media_too_short", "media/0")
    assert too_short.message == "The video lasts 2.9 s; Instagram needs at least 3 s."


def test_aspect_ratios_come_with_the_preset_that_reframes_the_file() -> None:
    reel = {"type": "reel"}
    assert check("facebook", "Reel", [mp4()], options=reel).problems == []
    landscape = only(check("facebook", "Reel", [mp4(width=1920, height=1080)], options=reel))
    assert (landscape.code, landscape.field) == ("media_aspect_ratio", "media/0")
    assert landscape.message == (
        "The video is 1920x1080 (ratio 1.78); Facebook Page takes ratios 0.56."
    )
    assert landscape.fix is not None
    assert landscape.fix.media_preset == "story"  # 1080x1920, 9:16

    # Instagram's feed takes 4:5 to 1.91:1; a 1:2 portrait photo is cropped to 4:5.
    assert check("instagram", "Feed", [jpeg(width=1080, height=1350)]).problems == []
    assert check("instagram", "Feed", [jpeg(width=1910, height=1000)]).problems == []
    tall = only(check("instagram", "Feed", [jpeg(width=1000, height=2000)]))
    assert tall.code == "media_aspect_ratio"
    assert tall.message.endswith("Instagram takes ratios from 0.80 to 1.91.")
    assert tall.fix is not None
    assert tall.fix.media_preset == "instagram_portrait"


def test_dimensions_frame_rates_and_codecs_come_with_a_fix() -> None:
    landscape: dict[str, Any] = {"width": 1920, "height": 1080}
    assert check("x", media=[mp4(**landscape)]).problems == []
    huge = only(check("x", media=[mp4(width=3840, height=2160)]))
    assert huge.code == "media_dimensions"
    assert huge.message == "The video is 3840x2160; X takes at most 1920x1200."

    fast = only(check("x", media=[mp4(frame_rate=120, **landscape)]))
    assert fast.code == "media_frame_rate"
    assert fast.message == "The video runs at 120 fps; X takes at most 60."
    slow = only(check("tiktok", media=[mp4(frame_rate=15)], options={"privacy_level": "SELF_ONLY"}))
    assert (slow.code, slow.message) == (
        "media_frame_rate",
        "The video runs at 15 fps; TikTok needs at least 23.",
    )
    assert slow.fix is not None
    assert slow.fix.media_preset == "tiktok"

    hevc = only(check("x", media=[mp4(video_codec="hevc", **landscape)]))
    assert hevc.code == "media_codec"
    assert hevc.message == "The video is encoded as hevc; X takes h264."
    mp3 = only(check("x", media=[mp4(audio_codec="mp3", **landscape)]))
    assert (mp3.code, mp3.message) == ("media_audio_codec", "The audio is mp3; X takes aac.")
    for problem in (huge, fast, hevc, mp3):
        assert problem.fix is not None
        assert problem.fix.media_preset == "x_landscape"
    # What a probe could not tell is not held against the file.
    assert check("x", media=[mp4(frame_rate=None, video_codec=None, **landscape)]).problems == []


# --- options -------------------------------------------------------------------------------------


def test_tiktok_needs_the_creator_s_privacy_level() -> None:
    problem = only(check("tiktok", "Clip", [mp4()]))
    assert (problem.code, problem.field) == ("invalid_option", "options/privacy_level")
    assert problem.message == "privacy_level: TikTok needs it to publish"
    wrong = only(check("tiktok", "Clip", [mp4()], options={"privacy_level": "EVERYONE"}))
    assert (wrong.code, wrong.field) == ("invalid_option", "options/privacy_level")
    assert check("tiktok", "Clip", [mp4()], options={"privacy_level": "SELF_ONLY"}).problems == []


def test_youtube_titles_take_100_characters() -> None:
    video = [mp4(width=1920, height=1080)]
    assert check("youtube", "About", video, options={"title": "t" * 100}).problems == []
    problem = only(check("youtube", "About", video, options={"title": "t" * 101}))
    assert (problem.code, problem.field) == ("invalid_option", "options/title")
    assert "at most 100 characters" in problem.message
    privacy = only(check("youtube", "About", video, options={"privacy_status": "secret"}))
    assert privacy.field == "options/privacy_status"
    kids = only(check("youtube", "About", video, options={"made_for_kids": "perhaps"}))
    assert kids.field == "options/made_for_kids"


def test_x_reply_settings_and_unknown_options() -> None:
    assert check("x", options={"reply_settings": "following"}).problems == []
    assert codes(check("x", options={"reply_settings": "nobody"})) == [
        ("invalid_option", "options/reply_settings")
    ]
    assert codes(check("x", options={"privacy_level": "SELF_ONLY"})) == [
        ("invalid_option", "options/privacy_level")
    ]


def test_instagram_content_types_follow_the_type_option() -> None:
    assert check("instagram", "Reel", [mp4()], options={"type": "reel"}).content_type == "reel"
    assert check("instagram", "", [mp4()], options={"type": "story"}).content_type == "story"
    assert codes(check("instagram", "Reel", [mp4()], options={"type": "igtv"})) == [
        ("invalid_option", "options/type"),
        ("media_mix", "media"),
    ]


# --- threads and first comments ------------------------------------------------------------------


def test_threads_are_for_x_and_threads_and_each_part_is_checked() -> None:
    parts = [{"text": "Part two"}, {"text": "b" * 281}, {"text": " "}]
    checked = check("x", "Part one", thread=parts)
    assert codes(checked) == [("text_too_long", "thread/1/text"), ("empty", "thread/2")]
    assert check("threads", "One", thread=[{"text": "Two"}]).problems == []
    problem = only(check("instagram", "Caption", [jpeg()], thread=[{"text": "Two"}]))
    assert (problem.code, problem.field) == ("thread_unsupported", "thread")
    assert problem.message == "Instagram posts cannot continue as a thread."


def test_first_comments_follow_the_platform_s_text_rules_and_tiktok_has_none() -> None:
    assert check("x", first_comment="More at acme.test").problems == []
    assert codes(check("x", first_comment="c" * 281)) == [("text_too_long", "first_comment")]
    problem = only(
        check(
            "tiktok",
            "Clip",
            [mp4()],
            options={"privacy_level": "SELF_ONLY"},
            first_comment="First!",
        )
    )
    assert (problem.code, problem.field) == ("first_comment_unsupported", "first_comment")
    assert problem.message == "TikTok does not let apps add a first comment."


# --- accounts and the post as a whole ------------------------------------------------------------


def test_unknown_and_disconnected_accounts_are_problems_of_their_target() -> None:
    content = PostContent(
        text="Hello", targets=[{"account_id": ACCOUNT}, {"account_id": OTHER_ACCOUNT}]
    )
    accounts = {ACCOUNT: AccountFacts(ACCOUNT, "sandbox", "needs_reconnect", "Acme")}

    result = preflight.check(content, accounts, {})

    assert result.ok is False
    reconnect, unknown = result.targets
    assert codes(reconnect) == [("account_needs_reconnect", "account_id")]
    assert reconnect.problems[0].fix is not None
    assert (unknown.platform, codes(unknown)) == (None, [("account_not_found", "account_id")])


def test_a_post_without_targets_says_so_and_a_good_one_is_ok() -> None:
    empty = preflight.check(PostContent(text="Hello"), {}, {})
    assert (empty.ok, [p.code for p in empty.problems], empty.targets) == (
        False,
        ["no_targets"],
        [],
    )
    good = preflight.check(
        PostContent(text="Hello", targets=[{"account_id": ACCOUNT}]),
        {ACCOUNT: AccountFacts(ACCOUNT, "x", "active", "Acme")},
        {},
    )
    assert (good.ok, good.problems, good.targets[0].content_type) == (True, [], "post")


# --- quotas --------------------------------------------------------------------------------------

AT = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
THREADS = AccountFacts(ACCOUNT, "threads", "active", "Acme")


def quota(account: AccountFacts, times: list[datetime]) -> list[TargetPreflight]:
    return preflight.quota_problems([account], AT, {account.account_id: times})


def test_threads_takes_250_posts_in_any_24_hours_around_the_new_one() -> None:
    hour = timedelta(hours=1)
    assert quota(THREADS, [AT - hour] * 249) == []
    (over,) = quota(THREADS, [AT - hour] * 250)
    assert over.account_id == ACCOUNT
    problem = only(over)
    assert problem.code == "quota_exceeded"
    assert problem.message == "Acme would publish 251 posts within 24 hours; Threads allows 250."
    # A burst after the new post counts as much as one before it.
    assert len(quota(THREADS, [AT + hour] * 250)) == 1
    assert len(quota(THREADS, [AT + 23 * hour] * 250)) == 1
    # Posts a full day away are outside every 24-hour window that holds the new post.
    assert quota(THREADS, [AT - 24 * hour] * 250) == []
    assert quota(THREADS, [AT + 24 * hour] * 250) == []


def test_the_busiest_window_counts_not_the_whole_two_days() -> None:
    hour = timedelta(hours=1)
    # 200 posts 20 h before and 200 posts 20 h after: no 24 hours hold more than 201 with it.
    assert quota(THREADS, [AT - 20 * hour] * 200 + [AT + 20 * hour] * 200) == []
    # 130 at 11:00 and 130 at 13:00 are within one window with the 12:00 post: 261.
    (over,) = quota(THREADS, [AT - hour] * 130 + [AT + hour] * 130)
    assert "261 posts" in only(over).message


def test_platforms_without_a_per_account_limit_have_no_quota() -> None:
    youtube = AccountFacts(ACCOUNT, "youtube", "active", "Channel")
    assert quota(youtube, [AT] * 1000) == []
    sandbox = AccountFacts(ACCOUNT, "sandbox", "active", "Sandbox")
    assert quota(sandbox, [AT - timedelta(minutes=5)] * 49) == []
    assert len(quota(sandbox, [AT - timedelta(minutes=5)] * 50)) == 1
