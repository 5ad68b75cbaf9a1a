"""Each platform's documented webhook payloads parsed into Herald's engagement model, and what a
parser leaves out (tests/webhooks/platform_examples.py cites each payload's page)."""

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.shared.engagement import Engagement, EngagementAuthor, PlatformNotice
from functions.webhooks.domain.platform_hooks import (
    PARSERS,
    facebook,
    instagram,
    linkedin,
    threads,
    tiktok,
    x,
    youtube,
)
from tests.webhooks import platform_examples as examples


def test_a_facebook_page_comment_becomes_a_comment_on_its_post() -> None:
    assert facebook.parse(examples.FACEBOOK_FEED_COMMENT) == [
        Engagement(
            platform="facebook",
            platform_account_id="1067280970047460",
            platform_item_id="1516862418389611_1516863328389520",
            kind="comment",
            text="Is this available in blue?",
            author=EngagementAuthor(platform_user_id="1498386310260125", name="Cinderella Hoover"),
            created_at=datetime(2018, 3, 7, 0, 46, 10, tzinfo=UTC),
            platform_post_id="1067280970047460_1516862418389611",
            thread_id="1516862418389611_1516863328389520",
        )
    ]


def test_a_facebook_reply_names_the_comment_it_answers() -> None:
    body = copy.deepcopy(examples.FACEBOOK_FEED_COMMENT)
    value = body["entry"][0]["changes"][0]["value"]
    value["comment_id"], value["parent_id"] = "1516862418389611_999", "1516862418389611_555"
    [reply] = facebook.parse(body)
    assert isinstance(reply, Engagement)
    assert (reply.kind, reply.parent_id, reply.thread_id) == (
        "reply",
        "1516862418389611_555",
        "1516862418389611_555",
    )


@pytest.mark.parametrize(
    "change",
    [
        {"verb": "edited"},  # an edit is not a new item
        {"verb": "remove"},
        {"item": "reaction"},
        {"from": {"id": "1067280970047460", "name": "The Page"}},  # the Page's own reply
    ],
)
def test_facebook_changes_that_are_not_new_comments_are_left_out(change: dict[str, Any]) -> None:
    body = copy.deepcopy(examples.FACEBOOK_FEED_COMMENT)
    body["entry"][0]["changes"][0]["value"].update(change)
    assert facebook.parse(body) == []


def test_facebook_split_makes_one_delivery_per_change_each_parsed_alone() -> None:
    body = copy.deepcopy(examples.FACEBOOK_FEED_COMMENT)
    second = copy.deepcopy(body["entry"][0]["changes"][0])
    second["value"]["comment_id"] = "1516862418389611_2"
    body["entry"][0]["changes"].append(second)
    deliveries = facebook.split(body)
    assert [d.event_id for d in deliveries] == [
        "feed:1516862418389611_1516863328389520:add",
        "feed:1516862418389611_2:add",
    ]
    parsed = [facebook.parse(d.payload)[0] for d in deliveries]
    assert [item.platform_item_id for item in parsed if isinstance(item, Engagement)] == [
        "1516862418389611_1516863328389520",
        "1516862418389611_2",
    ]


def test_an_instagram_comment_keeps_its_author_handle_and_media() -> None:
    assert instagram.parse(examples.INSTAGRAM_COMMENT) == [
        Engagement(
            platform="instagram",
            platform_account_id="17841405309211844",
            platform_item_id="17865799348089039",
            kind="comment",
            text="This is an example.",
            author=EngagementAuthor(platform_user_id="1234567890123456", handle="test_username"),
            platform_post_id="18023345989012587",
            thread_id="17865799348089039",
        )
    ]


def test_an_instagram_mention_is_a_mention_whose_text_is_not_in_the_webhook() -> None:
    [mention] = instagram.parse(examples.INSTAGRAM_MENTION)
    assert mention == Engagement(
        platform="instagram",
        platform_account_id="17841405309211844",
        platform_item_id="17894227972186120",
        kind="mention",
        text="",
        author=EngagementAuthor(),
        platform_post_id="17887498072083520",
    )


def test_a_threads_reply_to_a_reply_keeps_its_thread_and_parent() -> None:
    assert threads.parse(examples.THREADS_REPLY) == [
        Engagement(
            platform="threads",
            platform_account_id="123456",
            platform_item_id="8901234",
            kind="reply",
            text="Reply",
            author=EngagementAuthor(handle="test_username"),
            created_at=datetime(2024, 8, 7, 10, 33, 16, tzinfo=UTC),
            platform_post_id="123456",
            parent_id="567890",
            thread_id="123456",
            permalink="https://www.threads.net/@test_username/post/Pp",
        )
    ]


def test_an_x_reply_to_the_account_is_a_comment_on_its_post() -> None:
    [comment] = x.parse(examples.X_REPLY)
    assert comment == Engagement(
        platform="x",
        platform_account_id="2244994945",
        platform_item_id="1050118621198921728",
        kind="comment",
        text="@TwitterDev When will the new endpoints be available?",
        author=EngagementAuthor(
            platform_user_id="6253282",
            name="Twitter API",
            handle="TwitterAPI",
            avatar_url="https://pbs.twimg.com/profile_images/942858479592554497/BbazLO9L_normal.jpg",
        ),
        created_at=datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC),
        platform_post_id="1050118000000000000",
        parent_id="1050118000000000000",
        thread_id="1050118000000000000",
        permalink="https://x.com/TwitterAPI/status/1050118621198921728",
    )


def test_an_x_post_that_is_no_reply_to_the_account_mentions_it_and_its_own_posts_are_left_out() -> (
    None
):
    body = copy.deepcopy(examples.X_REPLY)
    body["tweet_create_events"][0]["in_reply_to_user_id_str"] = "999"
    [mention] = x.parse(body)
    assert isinstance(mention, Engagement)
    assert (mention.kind, mention.platform_post_id) == ("mention", "1050118621198921728")
    body["tweet_create_events"][0]["user"]["id_str"] = "2244994945"
    assert x.parse(body) == []


def test_x_revoke_marks_the_account_as_having_removed_access() -> None:
    [delivery] = x.split(examples.X_REVOKE)
    assert x.parse(delivery.payload) == [
        PlatformNotice(platform="x", platform_account_id="63046977", kind="authorization_removed")
    ]


def test_tiktok_events_become_notices() -> None:
    assert tiktok.parse(examples.TIKTOK_AUTHORIZATION_REMOVED) == [
        PlatformNotice(
            platform="tiktok",
            platform_account_id="act.example12345Example12345Example",
            kind="authorization_removed",
            detail="the user disconnected Herald in the TikTok app",
        )
    ]
    assert tiktok.parse(examples.TIKTOK_PUBLISH_FAILED) == [
        PlatformNotice(
            platform="tiktok",
            platform_account_id="act.example12345Example12345Example",
            kind="publish_failed",
            platform_post_id="v_pub_url~v2.123456789",
            detail="file_format_check_failed",
        )
    ]


def test_youtube_feed_entries_become_video_published_notices_for_their_channel_only() -> None:
    [delivery] = youtube.split(examples.YOUTUBE_FEED, examples.YOUTUBE_CHANNEL)
    assert delivery.event_id == "video:dQw4w9WgXcQ"
    assert youtube.parse(delivery.payload) == [
        PlatformNotice(
            platform="youtube",
            platform_account_id=examples.YOUTUBE_CHANNEL,
            kind="video_published",
            platform_post_id="dQw4w9WgXcQ",
            detail="Video title",
        )
    ]
    assert youtube.split(examples.YOUTUBE_FEED, "UC" + "A" * 22) == []


def test_a_youtube_entry_updated_long_after_it_was_published_is_an_edit_not_a_new_video() -> None:
    feed = examples.YOUTUBE_FEED.replace(
        b"<updated>2015-03-06T21:45:24", b"<updated>2015-03-09T19:05:24"
    )
    [delivery] = youtube.split(feed, examples.YOUTUBE_CHANNEL)
    assert youtube.parse(delivery.payload) == []


def test_a_youtube_feed_with_a_document_type_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaa">]><feed>&a;</feed>'
    with pytest.raises(youtube.MalformedFeed):
        youtube.split(bomb, examples.YOUTUBE_CHANNEL)


def test_a_linkedin_comment_notification_is_a_comment_on_the_page_post() -> None:
    [delivery] = linkedin.split(examples.LINKEDIN_COMMENT)
    assert delivery.event_id == "5603453321"
    assert linkedin.parse(delivery.payload) == [
        Engagement(
            platform="linkedin",
            platform_account_id="urn:li:organization:96072893",
            platform_item_id=examples.LINKEDIN_COMMENT_URN,
            kind="comment",
            text="Commenting as Sumit Butola...",
            author=EngagementAuthor(platform_user_id="urn:li:person:zLqTygBP8S"),
            created_at=datetime(2023, 8, 9, 9, 48, 26, 310000, tzinfo=UTC),
            platform_post_id="urn:li:activity:7094637247890620418",
            thread_id="urn:li:activity:7094637247890620418",
        )
    ]


UNREADABLE = [
    {},
    {"entry": "not a list", "values": 3, "notifications": {"a": 1}},
    {"entry": [None, 3, {"changes": [None, {"field": "feed", "value": []}]}]},
    {"tweet_create_events": [{"id_str": ["x"]}], "for_user_id": {}},
    {"event": "post.publish.failed", "user_openid": "u", "content": "[" * 5000},
    {"channel_id": "UC", "video_id": 5, "published": "yesterday"},
]
# Payloads Herald itself writes (the sandbox platform's webhook, the poller's normalized items):
# read whole or refused whole, which the processor acknowledges and counts.
HERALD_SHAPED = {"sandbox", "polled"}


@pytest.mark.parametrize("platform", sorted(set(PARSERS) - HERALD_SHAPED))
@pytest.mark.parametrize("payload", UNREADABLE)
def test_parsers_leave_out_what_they_cannot_read_without_raising(
    platform: str, payload: dict[str, Any]
) -> None:
    found = PARSERS[platform](payload)
    assert all(isinstance(item, Engagement | PlatformNotice) for item in found)


@pytest.mark.parametrize("platform", sorted(HERALD_SHAPED))
@pytest.mark.parametrize("payload", UNREADABLE)
def test_herald_shaped_payloads_are_read_whole_or_refused(
    platform: str, payload: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the processor's contract is any ValueError
        PARSERS[platform](payload)


def test_a_polled_engagement_comes_back_as_the_poller_queued_it() -> None:
    """The publish group's poller queues normalized engagements (`Engagement.to_payload`)."""
    polled = Engagement(
        platform="youtube",
        platform_account_id="UCx9Yq2Jv1xg3Lz0Q7mWbR4A",
        platform_item_id="UgzQ8vY3xP0kR5tL2nB4AaABAg",
        kind="comment",
        text="Where was this filmed?",
        author=EngagementAuthor(platform_user_id="UC1", name="Ana", handle="@ana"),
        created_at=datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
        platform_post_id="wtLJPvx7-ys",
        thread_id="UgzQ8vY3xP0kR5tL2nB4AaABAg",
        permalink="https://www.youtube.com/watch?v=wtLJPvx7-ys&lc=UgzQ8vY3xP0kR5tL2nB4AaABAg",
    )

    assert PARSERS["polled"](json.loads(json.dumps(polled.to_payload()))) == [polled]
