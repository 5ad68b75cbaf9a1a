"""Instagram adapter (Instagram API with Facebook Login, Graph API): exact requests per flow."""

import io
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest
import respx
from PIL import Image

from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    EngagementPage,
    MediaFile,
    MediaKind,
    NotSupported,
    Permanent,
    PublishRequest,
    PublishResult,
    ReauthRequired,
    RecentPost,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.platforms.instagram import InstagramAdapter, PublishingLimit
from functions.shared.engagement import Engagement, EngagementAuthor
from tests.platforms.media_bytes import in_memory

V = "v25.0"
GRAPH = f"https://graph.facebook.com/{V}"
IG_USER = "17841400000000001"
TOKEN = "PAGE-TOKEN-abc"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ACCOUNT = ConnectedAccount(platform_account_id=IG_USER, name="Brand", kind="business")
TOKENS = TokenSet(access_token=TOKEN)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def adapter() -> InstagramAdapter:
    return InstagramAdapter(
        client_id="app-id", client_secret="app-secret", http=httpx.AsyncClient(), clock=lambda: NOW
    )


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def media(
    kind: MediaKind = "image", url: str = "https://cdn.example/a.jpg", alt: str | None = None
) -> MediaFile:
    data = png_bytes() if kind == "image" else os.urandom(2048)
    content_type = "image/jpeg" if kind == "image" else "video/mp4"
    return in_memory(kind, content_type, data, url, alt_text=alt)


def form(request: httpx.Request) -> dict[str, str]:
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def query(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(str(request.url)).query).items()}


def assert_bearer(request: httpx.Request) -> None:
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in str(request.url)


# --- OAuth -----------------------------------------------------------------------------------


def test_authorization_url(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow"""
    url = adapter.authorization_url(
        state="signed-state", code_challenge="challenge", redirect_uri="https://app.example/cb"
    )
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}"
        == f"https://www.facebook.com/{V}/dialog/oauth"
    )
    assert query(httpx.Request("GET", url)) == {
        "client_id": "app-id",
        "redirect_uri": "https://app.example/cb",
        "state": "signed-state",
        "response_type": "code",
        "scope": "instagram_basic,instagram_content_publish,instagram_manage_comments,"
        "instagram_manage_insights,pages_show_list,pages_read_engagement,business_management",
    }


@pytest.mark.anyio
async def test_exchange_code_then_long_lived_token(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow (code
    exchange) and https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get(f"{GRAPH}/oauth/access_token").mock(
            side_effect=[
                httpx.Response(
                    200, json={"access_token": "SHORT", "token_type": "bearer", "expires_in": 3600}
                ),
                httpx.Response(
                    200,
                    json={"access_token": "LONG", "token_type": "bearer", "expires_in": 5183944},
                ),
            ]
        )
        tokens = await adapter.exchange_code(
            code="the-code", code_verifier="verifier", redirect_uri="https://app.example/cb"
        )
    first, second = (call.request for call in route.calls)
    assert query(first) == {
        "client_id": "app-id",
        "redirect_uri": "https://app.example/cb",
        "client_secret": "app-secret",
        "code": "the-code",
    }
    assert query(second) == {
        "grant_type": "fb_exchange_token",
        "client_id": "app-id",
        "client_secret": "app-secret",
        "fb_exchange_token": "SHORT",
    }
    assert "authorization" not in first.headers
    assert tokens.access_token == "LONG"
    assert tokens.expires_at == NOW + timedelta(seconds=5183944)
    assert tokens.refresh_token is None


@pytest.mark.anyio
async def test_refresh_re_exchanges_for_a_long_lived_token(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get(f"{GRAPH}/oauth/access_token").respond(
            200, json={"access_token": "LONG-2", "token_type": "bearer", "expires_in": 100}
        )
        tokens = await adapter.refresh(TokenSet(access_token="LONG-1"))
    assert query(route.calls.last.request)["fb_exchange_token"] == "LONG-1"
    assert query(route.calls.last.request)["grant_type"] == "fb_exchange_token"
    assert tokens == TokenSet(
        access_token="LONG-2", expires_at=NOW + timedelta(seconds=100), scopes=adapter.scopes
    )


@pytest.mark.anyio
async def test_accounts_lists_linked_instagram_accounts_with_page_tokens(
    adapter: InstagramAdapter,
) -> None:
    """https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/get-started
    (GET /me/accounts with instagram_business_account); the person first, by GET /me?fields=id
    (https://developers.facebook.com/docs/graph-api/reference/user: the app-scoped user id, which
    Meta's data deletion callback names:
    https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback)"""
    page_one = {
        "data": [
            {
                "id": "111",
                "name": "Brand Page",
                "access_token": "PAGE-111",
                "instagram_business_account": {
                    "id": IG_USER,
                    "username": "brand",
                    "name": "Brand IG",
                    "profile_picture_url": "https://cdn.example/p.jpg",
                },
            },
            {"id": "222", "name": "No IG", "access_token": "PAGE-222"},
        ],
        "paging": {"cursors": {"after": "CURSOR"}, "next": f"{GRAPH}/me/accounts?after=CURSOR"},
    }
    page_two = {
        "data": [
            {
                "id": "333",
                "name": "Other",
                "access_token": "PAGE-333",
                "instagram_business_account": {"id": "17841400000000003", "username": "other"},
            }
        ],
        "paging": {"cursors": {"after": "END"}},
    }
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        person = mock.get(f"{GRAPH}/me", params={"fields": "id"}).respond(
            200, json={"id": "218471"}
        )
        route = mock.get(f"{GRAPH}/me/accounts").mock(
            side_effect=[httpx.Response(200, json=page_one), httpx.Response(200, json=page_two)]
        )
        found = await adapter.accounts(TokenSet(access_token="USER-LONG"))
    first, second = (call.request for call in route.calls)
    assert first.headers["authorization"] == "Bearer USER-LONG"
    fields = "id,name,access_token,instagram_business_account{id,username,name,profile_picture_url}"
    assert query(first) == {"fields": fields, "limit": "100"}
    assert query(second) == {"fields": fields, "limit": "100", "after": "CURSOR"}
    assert [
        (account.platform_account_id, account.handle, tokens.access_token)
        for account, tokens in found
    ] == [
        (IG_USER, "brand", "PAGE-111"),
        ("17841400000000003", "other", "PAGE-333"),
    ]
    account = found[0][0]
    assert account.kind == "business"
    assert account.name == "Brand IG"
    assert account.avatar_url == "https://cdn.example/p.jpg"
    assert dict(account.extra) == {
        "page_id": "111",
        "page_name": "Brand Page",
        "meta_user_id": "218471",
    }
    assert query(person.calls.last.request) == {"fields": "id"}


# --- publishing ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_publish_single_image(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/instagram-platform/content-publishing (image container,
    status_code check, media_publish)"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        create = mock.post(f"{GRAPH}/{IG_USER}/media").respond(200, json={"id": "C1"})
        check = mock.get(f"{GRAPH}/C1").respond(200, json={"status_code": "FINISHED", "id": "C1"})
        publish = mock.post(f"{GRAPH}/{IG_USER}/media_publish").respond(200, json={"id": "M1"})
        permalink = mock.get(f"{GRAPH}/M1").respond(
            200, json={"permalink": "https://www.instagram.com/p/abc/", "id": "M1"}
        )
        result = await adapter.publish(
            TOKENS,
            ACCOUNT,
            PublishRequest(text="Hello #herald", media=[media(alt="A red square")]),
        )
    assert form(create.calls.last.request) == {
        "image_url": "https://cdn.example/a.jpg",
        "caption": "Hello #herald",
        "alt_text": "A red square",
    }
    assert query(check.calls.last.request) == {"fields": "status_code,status"}
    assert form(publish.calls.last.request) == {"creation_id": "C1"}
    assert query(permalink.calls.last.request) == {"fields": "permalink"}
    for route in (create, check, publish, permalink):
        assert_bearer(route.calls.last.request)
    assert result == PublishResult(
        state="published", platform_post_id="M1", url="https://www.instagram.com/p/abc/"
    )


@pytest.mark.anyio
async def test_publish_image_carousel(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/instagram-platform/content-publishing (carousel: child
    containers with is_carousel_item, then a CAROUSEL container with children)"""
    items = [media(url=f"https://cdn.example/{n}.jpg") for n in range(3)]
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        create = mock.post(f"{GRAPH}/{IG_USER}/media").mock(
            side_effect=[httpx.Response(200, json={"id": cid}) for cid in ("K0", "K1", "K2", "CAR")]
        )
        check = mock.get(f"{GRAPH}/CAR").respond(200, json={"status_code": "FINISHED"})
        publish = mock.post(f"{GRAPH}/{IG_USER}/media_publish").respond(200, json={"id": "M2"})
        mock.get(f"{GRAPH}/M2").respond(200, json={"permalink": "https://www.instagram.com/p/car/"})
        result = await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="Three", media=items))
    bodies = [form(call.request) for call in create.calls]
    assert bodies[:3] == [
        {"is_carousel_item": "true", "image_url": f"https://cdn.example/{n}.jpg"} for n in range(3)
    ]
    assert bodies[3] == {"media_type": "CAROUSEL", "children": "K0,K1,K2", "caption": "Three"}
    assert check.call_count == 1
    assert form(publish.calls.last.request) == {"creation_id": "CAR"}
    assert result.state == "published"
    assert result.platform_post_id == "M2"


@pytest.mark.anyio
async def test_carousel_with_video_waits_for_children_through_status(
    adapter: InstagramAdapter,
) -> None:
    """https://developers.facebook.com/docs/instagram-platform/content-publishing (video carousel
    items: media_type=VIDEO; containers are checked with status_code, never by sleeping)"""
    items = [
        media(url="https://cdn.example/0.jpg"),
        media("video", url="https://cdn.example/1.mp4"),
    ]
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        create = mock.post(f"{GRAPH}/{IG_USER}/media").mock(
            side_effect=[
                httpx.Response(200, json={"id": "K0"}),
                httpx.Response(200, json={"id": "K1"}),
            ]
        )
        mock.get(f"{GRAPH}/K0").respond(200, json={"status_code": "FINISHED"})
        mock.get(f"{GRAPH}/K1").respond(200, json={"status_code": "IN_PROGRESS"})
        first = await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="Mixed", media=items))
    assert [form(call.request) for call in create.calls] == [
        {"is_carousel_item": "true", "image_url": "https://cdn.example/0.jpg"},
        {
            "is_carousel_item": "true",
            "media_type": "VIDEO",
            "video_url": "https://cdn.example/1.mp4",
        },
    ]
    assert first.state == "processing"
    assert first.check_after_seconds == 30
    assert dict(first.progress) == {
        "ig_user_id": IG_USER,
        "kind": "carousel",
        "stage": "children",
        "children": "K0,K1",
        "caption": "Mixed",
    }
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/K0").respond(200, json={"status_code": "FINISHED"})
        mock.get(f"{GRAPH}/K1").respond(200, json={"status_code": "FINISHED"})
        parent = mock.post(f"{GRAPH}/{IG_USER}/media").respond(200, json={"id": "CAR"})
        mock.get(f"{GRAPH}/CAR").respond(200, json={"status_code": "FINISHED"})
        mock.post(f"{GRAPH}/{IG_USER}/media_publish").respond(200, json={"id": "M3"})
        mock.get(f"{GRAPH}/M3").respond(200, json={"permalink": "https://www.instagram.com/p/m3/"})
        status = await adapter.status(TOKENS, ACCOUNT, first)
    assert form(parent.calls.last.request) == {
        "media_type": "CAROUSEL",
        "children": "K0,K1",
        "caption": "Mixed",
    }
    assert status.state == "published"
    assert status.platform_post_id == "M3"
    assert status.url == "https://www.instagram.com/p/m3/"


@pytest.mark.anyio
async def test_reel_is_processing_then_published_by_status(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
    (media_type=REELS, video_url, share_to_feed) and the IG Container status_code
    (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-container)"""
    request = PublishRequest(
        text="Reel caption",
        media=[media("video", url="https://cdn.example/r.mp4")],
        options={"type": "reel", "share_to_feed": True, "thumb_offset": 1500},
    )
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        create = mock.post(f"{GRAPH}/{IG_USER}/media").respond(200, json={"id": "R1"})
        mock.get(f"{GRAPH}/R1").respond(200, json={"status_code": "IN_PROGRESS"})
        result = await adapter.publish(TOKENS, ACCOUNT, request)
    assert form(create.calls.last.request) == {
        "media_type": "REELS",
        "video_url": "https://cdn.example/r.mp4",
        "caption": "Reel caption",
        "share_to_feed": "true",
        "thumb_offset": "1500",
    }
    assert result.state == "processing"
    assert result.progress["container_id"] == "R1"
    assert result.check_after_seconds == 30

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/R1").respond(200, json={"status_code": "IN_PROGRESS"})
        still = await adapter.status(TOKENS, ACCOUNT, result)
    assert still.state == "processing"
    assert still.check_after_seconds == 30

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/R1").respond(200, json={"status_code": "FINISHED"})
        publish = mock.post(f"{GRAPH}/{IG_USER}/media_publish").respond(200, json={"id": "M9"})
        mock.get(f"{GRAPH}/M9").respond(
            200, json={"permalink": "https://www.instagram.com/reel/x/"}
        )
        done = await adapter.status(TOKENS, ACCOUNT, result)
    assert form(publish.calls.last.request) == {"creation_id": "R1"}
    assert done.state == "published"
    assert done.platform_post_id == "M9"
    assert done.url == "https://www.instagram.com/reel/x/"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kind", "url", "key"),
    [
        ("image", "https://cdn.example/s.jpg", "image_url"),
        ("video", "https://cdn.example/s.mp4", "video_url"),
    ],
)
async def test_story(adapter: InstagramAdapter, kind: MediaKind, url: str, key: str) -> None:
    """https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
    (media_type=STORIES with image_url or video_url)"""
    request = PublishRequest(
        text="ignored", media=[media(kind, url=url)], options={"type": "story"}
    )
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        create = mock.post(f"{GRAPH}/{IG_USER}/media").respond(200, json={"id": "S1"})
        mock.get(f"{GRAPH}/S1").respond(200, json={"status_code": "FINISHED"})
        mock.post(f"{GRAPH}/{IG_USER}/media_publish").respond(200, json={"id": "M5"})
        mock.get(f"{GRAPH}/M5").respond(
            200, json={"permalink": "https://www.instagram.com/stories/brand/5/"}
        )
        result = await adapter.publish(TOKENS, ACCOUNT, request)
    assert form(create.calls.last.request) == {"media_type": "STORIES", key: url}
    assert result.state == "published"
    assert result.platform_post_id == "M5"


@pytest.mark.anyio
async def test_container_error_and_expiry_fail_with_a_message(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-container
    (status_code ERROR and EXPIRED; `status` carries the error detail)"""
    pending = PublishResult(
        state="processing",
        progress={
            "ig_user_id": IG_USER,
            "kind": "reel",
            "stage": "container",
            "container_id": "R1",
        },
    )
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/R1").respond(
            200, json={"status_code": "ERROR", "status": "Error: 2207026 unsupported video format"}
        )
        failed = await adapter.status(TOKENS, ACCOUNT, pending)
    assert failed.state == "failed"
    assert failed.error is not None
    assert "2207026 unsupported video format" in failed.error
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/R1").respond(200, json={"status_code": "EXPIRED"})
        expired = await adapter.status(TOKENS, ACCOUNT, pending)
    assert expired.state == "failed"
    assert expired.error is not None
    assert "expired" in expired.error


@pytest.mark.anyio
async def test_content_rules_refused_before_any_request(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/instagram-platform/content-publishing (carousels hold up
    to 10 items; stories one item)"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True):
        with pytest.raises(Permanent, match="2 to 10"):
            await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="x", media=[media()] * 11))
        with pytest.raises(Permanent, match="image or a video"):
            await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="x"))
        with pytest.raises(Permanent, match="exactly one"):
            await adapter.publish(
                TOKENS,
                ACCOUNT,
                PublishRequest(text="x", media=[media()] * 2, options={"type": "story"}),
            )


# --- limit, comment, delete, metrics ------------------------------------------------------------


@pytest.mark.anyio
async def test_publishing_limit(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get(f"{GRAPH}/{IG_USER}/content_publishing_limit").respond(
            200,
            json={
                "data": [{"config": {"quota_total": 50, "quota_duration": 86400}, "quota_usage": 7}]
            },
        )
        limit = await adapter.publishing_limit(TOKENS, ACCOUNT)
    assert query(route.calls.last.request) == {"fields": "config,quota_usage"}
    assert_bearer(route.calls.last.request)
    assert limit == PublishingLimit(quota_usage=7, quota_total=50, quota_duration_seconds=86400)


@pytest.mark.anyio
async def test_first_comment(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.post(f"{GRAPH}/M1/comments").respond(200, json={"id": "CM1"})
        comment_id = await adapter.comment(TOKENS, ACCOUNT, "M1", "First! #tags")
    assert form(route.calls.last.request) == {"message": "First! #tags"}
    assert_bearer(route.calls.last.request)
    assert comment_id == "CM1"


@pytest.mark.anyio
async def test_delete_is_not_offered_by_the_api(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/instagram-platform/reference/instagram-media (no delete
    operation documented): Permanent with a clear message, no request sent."""
    with (
        respx.mock(assert_all_called=True, assert_all_mocked=True),
        pytest.raises(Permanent, match="Instagram app") as caught,
    ):
        await adapter.delete(TOKENS, ACCOUNT, "M1")
    assert caught.value.code == "delete_unsupported"


@pytest.mark.anyio
@pytest.mark.parametrize("product_type", ["FEED", "REELS"])
async def test_metrics_of_a_feed_post_or_reel(adapter: InstagramAdapter, product_type: str) -> None:
    """The media's product type first, then the metrics FEED and REELS take: views, reach,
    likes, comments, shares, saved, total_interactions.

    https://developers.facebook.com/docs/instagram-platform/reference/instagram-media (fields),
    https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
    """
    body = {
        "data": [
            {"name": "views", "period": "lifetime", "values": [{"value": 1200}]},
            {"name": "reach", "period": "lifetime", "values": [{"value": 900}]},
            {"name": "likes", "period": "lifetime", "values": [{"value": 80}]},
            {"name": "comments", "period": "lifetime", "values": [{"value": 4}]},
            {"name": "shares", "period": "lifetime", "values": [{"value": 3}]},
            {"name": "saved", "period": "lifetime", "values": [{"value": 9}]},
            {"name": "total_interactions", "period": "lifetime", "total_value": {"value": 96}},
        ]
    }
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        media_route = mock.get(f"{GRAPH}/M1").respond(
            200, json={"media_product_type": product_type, "id": "M1"}
        )
        route = mock.get(f"{GRAPH}/M1/insights").respond(200, json=body)
        metrics = await adapter.metrics(TOKENS, ACCOUNT, "M1")
    assert query(media_route.calls.last.request) == {"fields": "media_product_type"}
    assert query(route.calls.last.request) == {
        "metric": "views,reach,likes,comments,shares,saved,total_interactions"
    }
    assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert metrics == {
        "views": 1200,
        "reach": 900,
        "likes": 80,
        "comments": 4,
        "shares": 3,
        "saved": 9,
        "total_interactions": 96,
    }


@pytest.mark.anyio
async def test_metrics_of_a_story_ask_only_what_stories_take(adapter: InstagramAdapter) -> None:
    """Stories take no likes, comments or saved (Meta refuses the whole request when one
    metric does not fit the media type); they take replies, navigation, follows and
    profile_visits instead.

    https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
    """
    body = {
        "data": [
            {"name": "views", "period": "lifetime", "values": [{"value": 410}]},
            {"name": "reach", "period": "lifetime", "values": [{"value": 380}]},
            {"name": "shares", "period": "lifetime", "values": [{"value": 2}]},
            {"name": "total_interactions", "period": "lifetime", "values": [{"value": 17}]},
            {"name": "replies", "period": "lifetime", "values": [{"value": 6}]},
            {"name": "navigation", "period": "lifetime", "values": [{"value": 95}]},
            {"name": "follows", "period": "lifetime", "values": [{"value": 3}]},
            {"name": "profile_visits", "period": "lifetime", "values": [{"value": 12}]},
        ]
    }
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/S1").respond(200, json={"media_product_type": "STORY", "id": "S1"})
        route = mock.get(f"{GRAPH}/S1/insights").respond(200, json=body)
        metrics = await adapter.metrics(TOKENS, ACCOUNT, "S1")
    assert query(route.calls.last.request) == {
        "metric": "views,reach,shares,total_interactions,replies,navigation,follows,profile_visits"
    }
    assert metrics == {
        "views": 410,
        "reach": 380,
        "shares": 2,
        "total_interactions": 17,
        "replies": 6,
        "navigation": 95,
        "follows": 3,
        "profile_visits": 12,
    }


@pytest.mark.anyio
async def test_metrics_of_an_unknown_product_type_ask_what_every_type_takes(
    adapter: InstagramAdapter,
) -> None:
    """A product type the adapter does not know (AD, or one Meta adds later) is asked only the
    metrics FEED, REELS and STORY all take, so the request cannot be refused for a metric.

    https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
    """
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/A1").respond(200, json={"media_product_type": "AD", "id": "A1"})
        route = mock.get(f"{GRAPH}/A1/insights").respond(200, json={"data": []})
        assert await adapter.metrics(TOKENS, ACCOUNT, "A1") == {}
    assert query(route.calls.last.request) == {"metric": "views,reach,shares,total_interactions"}


# --- error classification -----------------------------------------------------------------------


def graph_error(code: int, message: str, **extra: object) -> dict[str, object]:
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "T",
            **extra,
        }
    }


async def publish_image(adapter: InstagramAdapter) -> None:
    await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="x", media=[media()]))


@pytest.mark.anyio
async def test_429_with_retry_after_is_retryable(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/graph-api/overview/rate-limiting"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{IG_USER}/media").respond(
            429, headers={"Retry-After": "120"}, text="slow down"
        )
        with pytest.raises(Retryable) as caught:
            await publish_image(adapter)
    assert caught.value.retry_after == 120.0


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, graph_error(4, "Application request limit reached")),
        (400, graph_error(17, "User request limit reached")),
        (400, graph_error(32, "Page request limit reached")),
        (400, graph_error(613, "Calls to this api have exceeded the rate limit.")),
        (400, graph_error(80002, "There have been too many calls to this Instagram account.")),
        (400, graph_error(9007, "Media is being processed", is_transient=True)),
        (500, graph_error(2, "An unexpected error has occurred. Please retry your request later.")),
        (503, {"not": "meta"}),
    ],
)
async def test_throttling_transient_and_5xx_are_retryable(
    adapter: InstagramAdapter, status: int, body: dict[str, object]
) -> None:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling (codes 4, 17, 32, 613,
    the 80001-range business use case limits, is_transient, code 2 service downtime)"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{IG_USER}/media").respond(status, json=body)
        with pytest.raises(Retryable):
            await publish_image(adapter)


@pytest.mark.anyio
async def test_timeout_is_retryable(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{IG_USER}/media").mock(side_effect=httpx.ReadTimeout("timed out"))
        with pytest.raises(Retryable):
            await publish_image(adapter)


@pytest.mark.anyio
async def test_expired_token_requires_reauth(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling (code 190: access token
    expired, answered with HTTP 400)"""
    body = graph_error(190, "Error validating access token: Session has expired", error_subcode=463)
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{IG_USER}/media").respond(400, json=body)
        with pytest.raises(ReauthRequired) as caught:
            await publish_image(adapter)
    assert caught.value.code == "190"


@pytest.mark.anyio
async def test_content_refusal_is_permanent_with_metas_message(adapter: InstagramAdapter) -> None:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling (error_user_msg is the
    message to show the user)"""
    body = graph_error(
        36003,
        "Invalid parameter",
        error_subcode=2207009,
        error_user_title="Unsupported aspect ratio",
        error_user_msg="The aspect ratio is not supported.",
    )
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{IG_USER}/media").respond(400, json=body)
        with pytest.raises(Permanent) as caught:
            await publish_image(adapter)
    assert caught.value.message == "The aspect ratio is not supported."
    assert caught.value.code == "36003"
    assert caught.value.platform == "instagram"


@pytest.mark.anyio
async def test_revoke_removes_the_login_grant(adapter: InstagramAdapter) -> None:
    """Shared Meta login: the person behind the Page token (GET /debug_token), then
    DELETE /{user-id}/permissions, both with the app access token.

    https://developers.facebook.com/docs/graph-api/reference/debug_token,
    https://developers.facebook.com/docs/graph-api/reference/user/permissions/
    """
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        debug = mock.get(f"{GRAPH}/debug_token").respond(
            200, json={"data": {"type": "PAGE", "is_valid": True, "user_id": "10220000000000002"}}
        )
        permissions = mock.delete(f"{GRAPH}/10220000000000002/permissions").respond(
            200, json={"success": True}
        )
        assert await adapter.revoke(TOKENS) is True
    lookup = debug.calls.last.request
    assert query(lookup) == {"input_token": TOKEN}
    app_auth = f"Bearer {adapter.client_id}|{adapter.client_secret}"
    assert lookup.headers["authorization"] == app_auth
    removal = permissions.calls.last.request
    assert removal.method == "DELETE"
    assert removal.headers["authorization"] == app_auth


@pytest.mark.anyio
async def test_revoke_refused_by_meta(adapter: InstagramAdapter) -> None:
    """A refused revocation carries Meta's own message (Graph API error object).

    https://developers.facebook.com/docs/graph-api/guides/error-handling
    """
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/debug_token").respond(
            200, json={"data": {"is_valid": True, "user_id": "1022"}}
        )
        mock.delete(f"{GRAPH}/1022/permissions").respond(
            400,
            json={
                "error": {
                    "message": "(#200) Permissions error",
                    "type": "OAuthException",
                    "code": 200,
                }
            },
        )
        with pytest.raises(Permanent, match=r"\(#200\) Permissions error"):
            await adapter.revoke(TOKENS)


# --- reconciling --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_recent_posts_list_the_accounts_media(adapter: InstagramAdapter) -> None:
    """GET /<ig-user-id>/media?fields=id,caption,timestamp,permalink&limit=50 with the Page token,
    newest first; the listing takes no start time here, so older media are dropped locally.

    https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media,
    https://developers.facebook.com/docs/graph-api/results (limit)
    """
    body = {
        "data": [
            {
                "id": "17895695668004550",
                "caption": "Spring drop #new",
                "timestamp": "2026-01-02T03:00:00+0000",
                "permalink": "https://www.instagram.com/p/DAbCdEf1234/",
            },
            {
                "id": "17899305451014820",
                "timestamp": "2026-01-02T02:30:00+0000",
                "permalink": "https://www.instagram.com/reel/DAbCdEf1233/",
            },
            {
                "id": "17896450804038745",
                "caption": "Last week's post",
                "timestamp": "2025-12-26T10:00:00+0000",
                "permalink": "https://www.instagram.com/p/DAbCdEf1232/",
            },
        ],
        "paging": {"cursors": {"before": "QVFIUkZA", "after": "QVFIUlBm"}},
    }
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get(f"{GRAPH}/{IG_USER}/media").respond(200, json=body)
        posts = await adapter.recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=2))
    request = route.calls.last.request
    assert request.method == "GET"
    assert_bearer(request)
    assert query(request) == {"fields": "id,caption,timestamp,permalink", "limit": "50"}
    assert posts == [
        RecentPost(
            platform_post_id="17895695668004550",
            text="Spring drop #new",
            created_at=datetime(2026, 1, 2, 3, 0, tzinfo=UTC),
            url="https://www.instagram.com/p/DAbCdEf1234/",
        ),
        RecentPost(
            platform_post_id="17899305451014820",
            text="",
            created_at=datetime(2026, 1, 2, 2, 30, tzinfo=UTC),
            url="https://www.instagram.com/reel/DAbCdEf1233/",
        ),
    ]


@pytest.mark.anyio
async def test_recent_posts_throttled_is_retryable(adapter: InstagramAdapter) -> None:
    """Graph error 4 (application request limit): https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/{IG_USER}/media").respond(
            400, json=graph_error(4, "Application request limit reached")
        )
        with pytest.raises(Retryable, match="Application request limit reached"):
            await adapter.recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=2))


# -- engagement (the inbox) ---------------------------------------------------------------------

MEDIA_ID = "17895695668004550"
IG_COMMENT = Engagement(
    platform="instagram",
    platform_account_id=IG_USER,
    platform_item_id="17870913679156914",
    kind="comment",
    text="This is awesome!",
    author=EngagementAuthor(platform_user_id="17841405309211844", handle="fan"),
    platform_post_id=MEDIA_ID,
    thread_id="17870913679156914",
)


@pytest.mark.anyio
async def test_reply_to_a_comment(adapter: InstagramAdapter) -> None:
    """POST /<ig-comment-id>/replies with message answers {"id": ...}
    (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment/replies)."""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.post(f"{GRAPH}/17870913679156914/replies").respond(
            200, json={"id": "17873440459141021"}
        )
        reply = await adapter.reply_to_engagement(TOKENS, ACCOUNT, IG_COMMENT, "*sniff*")
    request = route.calls.last.request
    assert_bearer(request)
    assert form(request) == {"message": "*sniff*"}
    assert reply.platform_item_id == "17873440459141021"
    assert reply.kind == "reply"
    assert reply.parent_id == "17870913679156914"
    assert reply.thread_id == "17870913679156914"
    assert reply.author == EngagementAuthor(platform_user_id=IG_USER, name="Brand")
    assert reply.created_at == NOW


@pytest.mark.anyio
async def test_reply_to_a_reply_goes_to_its_top_level_comment(adapter: InstagramAdapter) -> None:
    """ "You can only reply to top-level comments; replies to a reply will be added to the
    top-level comment" (same reference page)."""
    nested = replace(
        IG_COMMENT,
        platform_item_id="17900000000000001",
        kind="reply",
        parent_id="17870913679156914",
    )
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/17870913679156914/replies").respond(200, json={"id": "1790000000002"})
        reply = await adapter.reply_to_engagement(TOKENS, ACCOUNT, nested, "Hi")
    assert reply.parent_id == "17900000000000001"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("item_id", "expected"),
    [
        (MEDIA_ID, {"media_id": MEDIA_ID, "message": "Thanks!"}),
        (
            "17858893269000001",
            {"media_id": MEDIA_ID, "comment_id": "17858893269000001", "message": "Thanks!"},
        ),
    ],
)
async def test_reply_to_a_mention(
    adapter: InstagramAdapter, item_id: str, expected: dict[str, str]
) -> None:
    """POST /<ig-user-id>/mentions with media_id, comment_id (a mention in a comment) and
    message (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentions)."""
    mention = replace(IG_COMMENT, platform_item_id=item_id, kind="mention")
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.post(f"{GRAPH}/{IG_USER}/mentions").respond(200, json={"id": "17840000000009"})
        reply = await adapter.reply_to_engagement(TOKENS, ACCOUNT, mention, "Thanks!")
    assert form(route.calls.last.request) == expected
    assert reply.platform_item_id == "17840000000009"


@pytest.mark.anyio
@pytest.mark.parametrize(("hidden", "value"), [(True, "true"), (False, "false")])
async def test_hide_and_unhide(adapter: InstagramAdapter, hidden: bool, value: str) -> None:
    """POST /<ig-comment-id>?hide=true|false
    (https://developers.facebook.com/docs/instagram-platform/comment-moderation)."""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.post(f"{GRAPH}/17870913679156914").respond(200, json={"success": True})
        await adapter.hide_engagement(TOKENS, ACCOUNT, IG_COMMENT, hidden=hidden)
    request = route.calls.last.request
    assert_bearer(request)
    assert form(request) == {"hide": value}


@pytest.mark.anyio
async def test_delete_a_comment(adapter: InstagramAdapter) -> None:
    """DELETE /<ig-comment-id> (https://developers.facebook.com/docs/instagram-platform/comment-moderation)."""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.delete(f"{GRAPH}/17870913679156914").respond(200, json={"success": True})
        await adapter.delete_engagement(TOKENS, ACCOUNT, IG_COMMENT)
    assert_bearer(route.calls.last.request)


@pytest.mark.anyio
async def test_mentions_cannot_be_listed_hidden_or_deleted(adapter: InstagramAdapter) -> None:
    """Mentions come by webhook only; they sit on other accounts' media
    (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentions)."""
    mention = replace(IG_COMMENT, kind="mention")
    with respx.mock(assert_all_mocked=True) as mock:
        with pytest.raises(NotSupported, match="webhook"):
            await adapter.list_mentions(TOKENS, ACCOUNT, None)
        with pytest.raises(NotSupported):
            await adapter.hide_engagement(TOKENS, ACCOUNT, mention, hidden=True)
        with pytest.raises(NotSupported):
            await adapter.delete_engagement(TOKENS, ACCOUNT, mention)
    assert not mock.calls


@pytest.mark.anyio
async def test_list_comments_with_replies_newer_than_the_cursor(adapter: InstagramAdapter) -> None:
    """GET /<ig-media-id>/comments, the documented answer's data[] with timestamp and text
    (https://developers.facebook.com/docs/instagram-platform/comment-moderation,
    https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments)."""
    listing = {
        "data": [
            {
                "timestamp": "2017-08-31T19:16:02+0000",
                "text": "This is awesome!",
                "id": "17870913679156914",
                "username": "fan",
                "from": {"id": "17841405309211844", "username": "fan"},
                "replies": {
                    "data": [
                        {
                            "timestamp": "2017-08-31T19:20:00+0000",
                            "text": "Right?",
                            "id": "17873440459141021",
                            "username": "friend",
                            "from": {"id": "17841405309211845", "username": "friend"},
                            "parent_id": "17870913679156914",
                        }
                    ]
                },
            },
            {
                "timestamp": "2017-08-31T18:10:30+0000",
                "text": "I love this!",
                "id": "17873440459141020",
            },
        ]
    }
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get(f"{GRAPH}/{MEDIA_ID}/comments").respond(200, json=listing)
        page = await adapter.list_comments(
            TOKENS, ACCOUNT, MEDIA_ID, "2017-08-31T18:10:30+00:00 17873440459141020"
        )
    request = route.calls.last.request
    assert_bearer(request)
    assert query(request) == {
        "fields": "id,text,timestamp,username,from,parent_id,"
        "replies{id,text,timestamp,username,from,parent_id}",
        "limit": "50",
    }
    assert page.items == [
        Engagement(
            platform="instagram",
            platform_account_id=IG_USER,
            platform_item_id="17873440459141021",
            kind="reply",
            text="Right?",
            author=EngagementAuthor(
                platform_user_id="17841405309211845", name="friend", handle="friend"
            ),
            created_at=datetime(2017, 8, 31, 19, 20, tzinfo=UTC),
            platform_post_id=MEDIA_ID,
            parent_id="17870913679156914",
            thread_id="17870913679156914",
        ),
        Engagement(
            platform="instagram",
            platform_account_id=IG_USER,
            platform_item_id="17870913679156914",
            kind="comment",
            text="This is awesome!",
            author=EngagementAuthor(platform_user_id="17841405309211844", name="fan", handle="fan"),
            created_at=datetime(2017, 8, 31, 19, 16, 2, tzinfo=UTC),
            platform_post_id=MEDIA_ID,
            thread_id="17870913679156914",
        ),
    ]
    assert page.cursor == "2017-08-31T19:20:00+00:00 17873440459141021"


@pytest.mark.anyio
async def test_comments_listing_with_nothing_new_keeps_no_cursor(adapter: InstagramAdapter) -> None:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/{MEDIA_ID}/comments").respond(
            200,
            json={"data": [{"timestamp": "2017-08-31T18:10:30+0000", "text": "Old", "id": "1"}]},
        )
        page = await adapter.list_comments(TOKENS, ACCOUNT, MEDIA_ID, "2017-08-31T18:10:30+00:00 1")
    assert page == EngagementPage(items=[], cursor=None)


@pytest.mark.anyio
async def test_a_rate_limited_listing_is_retryable(adapter: InstagramAdapter) -> None:
    """Code 4 is the app rate limit: https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/{MEDIA_ID}/comments").respond(
            400, json={"error": {"message": "Application request limit reached", "code": 4}}
        )
        with pytest.raises(Retryable):
            await adapter.list_comments(TOKENS, ACCOUNT, MEDIA_ID, None)
