"""The engagement function's look-up: an Instagram mention's webhook names only the media and
the comment, so the inbound processor asks the publish group (which holds the token) to read it
(functions/publish/domain/engagement.py). The Graph API answers are the shapes the reference
pages document: GET /<ig-user-id>?fields=mentioned_comment.comment_id(<id>){...}
(https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_comment)
and mentioned_media.media_id(<id>){...}
(https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_media).
"""

from datetime import UTC, datetime
from typing import Any

import respx

from functions.publish.workers.engagement import handler
from functions.shared.engagement import Engagement, EngagementAuthor
from functions.shared.engagement_calls import EngagementAnswer, EngagementCall
from tests.publish.studio import Studio
from tests.support.events import lambda_context

IG_USER = "17841400000000001"
MEDIA_ID = "17918195224117851"
COMMENT_ID = "17895695668004550"
USER_URL = f"https://graph.facebook.com/v25.0/{IG_USER}"


def mention(item_id: str) -> Engagement:
    """As the webhook parser leaves it: ids only."""
    return Engagement(
        platform="instagram",
        platform_account_id=IG_USER,
        platform_item_id=item_id,
        kind="mention",
        text="",
        author=EngagementAuthor(),
        platform_post_id=MEDIA_ID,
    )


def look_up(studio: Studio, account_id: str, item_id: str) -> EngagementAnswer:
    call = EngagementCall(studio.workspace_id, account_id, "look_up", mention(item_id))
    answer: dict[str, Any] = handler(call.to_event(), lambda_context("herald-test-engagement"))
    return EngagementAnswer.from_json(answer["result"])


def test_a_mention_in_a_comment_is_read_through_mentioned_comment(studio: Studio) -> None:
    account_id = studio.connect("instagram", IG_USER, kind="business", access_token="ig-token")
    with respx.mock(assert_all_called=True, assert_all_mocked=False) as mock:
        route = mock.get(USER_URL).respond(
            200,
            json={
                "mentioned_comment": {
                    "timestamp": "2026-12-05T09:30:00+0000",
                    "text": "@acme.coffee is the oat flat white back?",
                    "id": COMMENT_ID,
                },
                "id": IG_USER,
            },
        )
        answer = look_up(studio, account_id, COMMENT_ID)
    request = route.calls.last.request
    assert request.url.params["fields"] == (
        f"mentioned_comment.comment_id({COMMENT_ID}){{id,text,timestamp}}"
    )
    assert request.headers["authorization"] == "Bearer ig-token"
    assert answer.outcome == "done"
    assert answer.reply is not None
    assert answer.reply.text == "@acme.coffee is the oat flat white back?"
    assert answer.reply.created_at == datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    assert (answer.reply.platform_item_id, answer.reply.kind) == (COMMENT_ID, "mention")


def test_a_mention_in_a_caption_is_read_through_mentioned_media(studio: Studio) -> None:
    account_id = studio.connect("instagram", IG_USER, kind="business", access_token="ig-token")
    with respx.mock(assert_all_called=True, assert_all_mocked=False) as mock:
        route = mock.get(USER_URL).respond(
            200,
            json={
                "mentioned_media": {
                    "caption": "Sunday at @acme.coffee",
                    "username": "ada.bakes",
                    "timestamp": "2026-12-05T08:00:00+0000",
                    "media_type": "IMAGE",
                    "id": MEDIA_ID,
                },
                "id": IG_USER,
            },
        )
        answer = look_up(studio, account_id, MEDIA_ID)
    assert route.calls.last.request.url.params["fields"] == (
        f"mentioned_media.media_id({MEDIA_ID}){{id,caption,timestamp,username,media_type}}"
    )
    assert answer.reply is not None
    assert answer.reply.text == "Sunday at @acme.coffee"
    assert answer.reply.author == EngagementAuthor(name="ada.bakes", handle="ada.bakes")


def test_a_refused_look_up_and_a_platform_without_one_are_answers(studio: Studio) -> None:
    account_id = studio.connect("instagram", IG_USER, kind="business", access_token="ig-token")
    with respx.mock(assert_all_mocked=False) as mock:
        # Meta's error for comments disabled on the media (the mentioned_comment page's
        # limitation), as Graph API errors are shaped.
        mock.get(USER_URL).respond(
            400,
            json={"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100}},
        )
        refused = look_up(studio, account_id, COMMENT_ID)
    assert refused.outcome == "refused"
    sandbox = studio.sandbox()
    call = EngagementCall(
        studio.workspace_id,
        sandbox,
        "look_up",
        Engagement(
            platform="sandbox",
            platform_account_id="",
            platform_item_id="m-1",
            kind="mention",
            text="",
            author=EngagementAuthor(),
        ),
    )
    answer = EngagementAnswer.from_json(
        handler(call.to_event(), lambda_context("herald-test-engagement"))["result"]
    )
    assert answer.outcome == "not_supported"
