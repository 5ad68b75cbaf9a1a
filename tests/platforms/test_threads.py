"""The Threads adapter against the documented graph.threads.net requests, intercepted at the
transport."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    EngagementPage,
    MediaFile,
    MediaKind,
    NotSupported,
    Permanent,
    PlatformError,
    PostStatus,
    PublishRequest,
    PublishResult,
    ReauthRequired,
    RecentPost,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.platforms.threads import PublishingLimit, ThreadsAdapter
from functions.shared.engagement import Engagement, EngagementAuthor

GRAPH = "https://graph.threads.net"
BASE = f"{GRAPH}/v1.0"
USER = "17841400008460056"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TOKENS = TokenSet(access_token="th-access")
ACCOUNT = ConnectedAccount(platform_account_id=USER, name="Herald", handle="heraldhq")

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def adapter() -> ThreadsAdapter:
    return ThreadsAdapter(
        client_id="th-client",
        client_secret="th-secret",
        http=httpx.AsyncClient(),
        api_version="v1.0",
        now=lambda: NOW,
    )


def media(kind: MediaKind, url: str, alt: str | None = None) -> MediaFile:
    async def read() -> bytes:
        raise AssertionError("Threads pulls media from its URL; nothing is read.")

    async def read_range(start: int, end: int) -> bytes:
        raise AssertionError("Threads pulls media from its URL; nothing is read.")

    return MediaFile(
        kind=kind,
        content_type="image/jpeg" if kind == "image" else "video/mp4",
        size=1000,
        url=url,
        read=read,
        read_range=read_range,
        alt_text=alt,
    )


def form(request: httpx.Request) -> dict[str, str]:
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return {k: v[0] for k, v in parse_qs(request.content.decode(), strict_parsing=True).items()}


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


def forms(route: respx.Route) -> list[dict[str, str]]:
    return [form(call.request) for call in route.calls]


def status_reply(status: str, error: str | None = None, container: str = "1") -> httpx.Response:
    payload: dict[str, Any] = {"status": status, "id": container}
    if error:
        payload["error_message"] = error
    return httpx.Response(200, json=payload)


# -- publishing -------------------------------------------------------------------------------


async def test_text_post(adapter: ThreadsAdapter, mock: respx.MockRouter) -> None:
    """A TEXT container (POST /{threads-user-id}/threads), published at once
    (POST /{threads-user-id}/threads_publish with creation_id), then its permalink.

    https://developers.facebook.com/docs/threads/posts
    """
    create = mock.post(f"{BASE}/{USER}/threads").respond(200, json={"id": "c-text"})
    publish = mock.post(f"{BASE}/{USER}/threads_publish").respond(200, json={"id": "m-1"})
    permalink = mock.get(f"{BASE}/m-1").respond(
        200, json={"permalink": "https://www.threads.net/@heraldhq/post/abc", "id": "m-1"}
    )

    result = await adapter.publish(
        TOKENS,
        ACCOUNT,
        PublishRequest(
            text="Hello Threads",
            options={"reply_control": "accounts_you_follow", "link_attachment": "https://x.io"},
        ),
    )

    assert result == PublishResult(
        state="published",
        platform_post_id="m-1",
        url="https://www.threads.net/@heraldhq/post/abc",
    )
    assert forms(create) == [
        {
            "media_type": "TEXT",
            "text": "Hello Threads",
            "reply_control": "accounts_you_follow",
            "link_attachment": "https://x.io",
            "access_token": "th-access",
        }
    ]
    assert forms(publish) == [{"creation_id": "c-text", "access_token": "th-access"}]
    assert query(permalink.calls.last.request) == {
        "fields": "permalink",
        "access_token": "th-access",
    }
    assert [c.request.method for c in mock.calls] == ["POST", "POST", "GET"]


async def test_reply_chain_post(adapter: ThreadsAdapter, mock: respx.MockRouter) -> None:
    """Posts of a thread answer the previous one through reply_to_id on the container.

    https://developers.facebook.com/docs/threads/retrieve-and-manage-replies/create-replies
    """
    create = mock.post(f"{BASE}/{USER}/threads").respond(200, json={"id": "c-2"})
    mock.post(f"{BASE}/{USER}/threads_publish").respond(200, json={"id": "m-2"})
    mock.get(f"{BASE}/m-2").respond(200, json={"permalink": "https://www.threads.net/p/2"})

    await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="2/2", reply_to="m-1"))

    assert forms(create) == [
        {"media_type": "TEXT", "text": "2/2", "reply_to_id": "m-1", "access_token": "th-access"}
    ]


async def test_image_post_waits_for_the_container(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """An IMAGE container is created with image_url (and alt_text); it is published only once
    GET /{container-id}?fields=status,error_message reports FINISHED.

    https://developers.facebook.com/docs/threads/posts
    https://developers.facebook.com/docs/threads/troubleshooting
    """
    create = mock.post(f"{BASE}/{USER}/threads").respond(200, json={"id": "c-img"})

    result = await adapter.publish(
        TOKENS,
        ACCOUNT,
        PublishRequest(
            text="A photo",
            media=[media("image", "https://media.example/p.jpg", alt="A red box")],
        ),
    )

    assert forms(create) == [
        {
            "media_type": "IMAGE",
            "image_url": "https://media.example/p.jpg",
            "alt_text": "A red box",
            "text": "A photo",
            "access_token": "th-access",
        }
    ]
    assert result.state == "processing"
    assert result.check_after_seconds == 30
    assert result.progress == {"stage": "container", "user": USER, "container": "c-img"}

    check = mock.get(f"{BASE}/c-img")
    check.side_effect = [status_reply("IN_PROGRESS"), status_reply("FINISHED")]
    publish = mock.post(f"{BASE}/{USER}/threads_publish").respond(200, json={"id": "m-img"})
    mock.get(f"{BASE}/m-img").respond(200, json={"permalink": "https://www.threads.net/p/img"})

    waiting = await adapter.status(TOKENS, ACCOUNT, result)
    assert waiting == PostStatus(state="processing", check_after_seconds=60)
    assert not publish.called
    assert query(check.calls.last.request) == {
        "fields": "status,error_message",
        "access_token": "th-access",
    }

    done = await adapter.status(TOKENS, ACCOUNT, result)
    assert done == PostStatus(
        state="published", platform_post_id="m-img", url="https://www.threads.net/p/img"
    )
    assert forms(publish) == [{"creation_id": "c-img", "access_token": "th-access"}]


async def test_video_post_and_processing_errors(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """A VIDEO container with video_url; ERROR carries error_message, EXPIRED fails too.

    https://developers.facebook.com/docs/threads/posts
    https://developers.facebook.com/docs/threads/troubleshooting
    """
    create = mock.post(f"{BASE}/{USER}/threads").respond(200, json={"id": "c-vid"})

    result = await adapter.publish(
        TOKENS,
        ACCOUNT,
        PublishRequest(text="", media=[media("video", "https://media.example/v.mp4")]),
    )

    assert forms(create) == [
        {
            "media_type": "VIDEO",
            "video_url": "https://media.example/v.mp4",
            "access_token": "th-access",
        }
    ]
    check = mock.get(f"{BASE}/c-vid")
    check.side_effect = [status_reply("ERROR", "INVALID_DURATION"), status_reply("EXPIRED")]

    failed = await adapter.status(TOKENS, ACCOUNT, result)
    assert failed.state == "failed"
    assert failed.error == "INVALID_DURATION"
    expired = await adapter.status(TOKENS, ACCOUNT, result)
    assert expired.state == "failed"


async def test_carousel_post(adapter: ThreadsAdapter, mock: respx.MockRouter) -> None:
    """Carousel: one item container per image or video (is_carousel_item=true), in order; once
    every item is FINISHED, a CAROUSEL container with children (comma-separated ids) and text,
    then publish.

    https://developers.facebook.com/docs/threads/posts
    https://developers.facebook.com/docs/threads/troubleshooting
    """
    urls = ["https://media.example/1.jpg", "https://media.example/2.jpg"]
    create = mock.post(f"{BASE}/{USER}/threads")
    create.side_effect = [
        httpx.Response(200, json={"id": "item-1"}),
        httpx.Response(200, json={"id": "item-2"}),
        httpx.Response(200, json={"id": "item-3"}),
    ]

    result = await adapter.publish(
        TOKENS,
        ACCOUNT,
        PublishRequest(
            text="Three things",
            media=[
                media("image", urls[0], alt="one"),
                media("image", urls[1]),
                media("video", "https://media.example/3.mp4"),
            ],
            reply_to="m-0",
        ),
    )

    assert forms(create) == [
        {
            "media_type": "IMAGE",
            "image_url": urls[0],
            "alt_text": "one",
            "is_carousel_item": "true",
            "access_token": "th-access",
        },
        {
            "media_type": "IMAGE",
            "image_url": urls[1],
            "is_carousel_item": "true",
            "access_token": "th-access",
        },
        {
            "media_type": "VIDEO",
            "video_url": "https://media.example/3.mp4",
            "is_carousel_item": "true",
            "access_token": "th-access",
        },
    ]
    assert result.state == "processing"
    assert result.progress["children"] == "item-1,item-2,item-3"

    # First check: the video item is still processing, so nothing more is created.
    for item, state in (("item-1", "FINISHED"), ("item-2", "FINISHED"), ("item-3", "IN_PROGRESS")):
        mock.get(f"{BASE}/{item}").mock(return_value=status_reply(state, container=item))
    waiting = await adapter.status(TOKENS, ACCOUNT, result)
    assert waiting == PostStatus(state="processing", check_after_seconds=60)
    assert create.call_count == 3

    # Second check: all items finished -> carousel container, its status, publish.
    mock.get(f"{BASE}/item-3").mock(return_value=status_reply("FINISHED", container="item-3"))
    create.side_effect = [httpx.Response(200, json={"id": "c-car"})]
    mock.get(f"{BASE}/c-car").mock(return_value=status_reply("FINISHED", container="c-car"))
    publish = mock.post(f"{BASE}/{USER}/threads_publish").respond(200, json={"id": "m-car"})
    mock.get(f"{BASE}/m-car").respond(200, json={"permalink": "https://www.threads.net/p/car"})

    done = await adapter.status(TOKENS, ACCOUNT, result)

    assert done == PostStatus(
        state="published", platform_post_id="m-car", url="https://www.threads.net/p/car"
    )
    assert forms(create)[3:] == [
        {
            "media_type": "CAROUSEL",
            "reply_to_id": "m-0",
            "text": "Three things",
            "children": "item-1,item-2,item-3",
            "access_token": "th-access",
        }
    ]
    assert forms(publish) == [{"creation_id": "c-car", "access_token": "th-access"}]


async def test_carousel_item_error_fails_the_post(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """https://developers.facebook.com/docs/threads/troubleshooting"""
    mock.get(f"{BASE}/item-1").mock(return_value=status_reply("ERROR", "FAILED_DOWNLOADING_VIDEO"))
    pending = PublishResult(
        state="processing",
        progress={"stage": "children", "user": USER, "children": "item-1,item-2"},
    )

    failed = await adapter.status(TOKENS, ACCOUNT, pending)

    assert failed.state == "failed"
    assert failed.error is not None
    assert "FAILED_DOWNLOADING_VIDEO" in failed.error


async def test_carousel_limits_are_enforced_before_any_request(adapter: ThreadsAdapter) -> None:
    """Carousels hold at most 20 items; documents and GIF files are not Threads media.

    https://developers.facebook.com/docs/threads/posts
    """
    with respx.mock(assert_all_mocked=True):
        with pytest.raises(Permanent):
            await adapter.publish(
                TOKENS,
                ACCOUNT,
                PublishRequest(
                    text="x", media=[media("image", f"https://m.example/{i}") for i in range(21)]
                ),
            )
        with pytest.raises(Permanent):
            await adapter.publish(
                TOKENS, ACCOUNT, PublishRequest(text="x", media=[media("gif", "https://m/g")])
            )


# -- error classification --------------------------------------------------------------------


def meta_error(status: int, code: int, message: str, **extra: Any) -> httpx.Response:
    return httpx.Response(
        status,
        headers=extra.pop("headers", {}),
        json={
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": "AbCdEf",
                **extra,
            }
        },
    )


@pytest.mark.parametrize(
    ("response", "error", "message", "retry_after"),
    [
        (
            meta_error(400, 190, "Error validating access token: Session has expired"),
            ReauthRequired,
            "Error validating access token: Session has expired",
            None,
        ),
        (
            meta_error(400, 4, "Application request limit reached", is_transient=True),
            Retryable,
            "Application request limit reached",
            None,
        ),
        (
            meta_error(
                429,
                613,
                "Calls to this api have exceeded the rate limit.",
                headers={"Retry-After": "12"},
            ),
            Retryable,
            "Calls to this api have exceeded the rate limit.",
            12.0,
        ),
        (
            meta_error(500, 2, "An unexpected error has occurred. Please retry later."),
            Retryable,
            "An unexpected error has occurred. Please retry later.",
            None,
        ),
        (
            meta_error(
                400,
                100,
                "Invalid parameter",
                error_subcode=2207003,
                error_user_msg="The text is too long: posts are limited to 500 characters.",
            ),
            Permanent,
            "The text is too long: posts are limited to 500 characters.",
            None,
        ),
    ],
)
async def test_errors_are_classified(
    adapter: ThreadsAdapter,
    mock: respx.MockRouter,
    response: httpx.Response,
    error: type[PlatformError],
    message: str,
    retry_after: float | None,
) -> None:
    """Meta error objects: 190 -> re-auth; 4/17/32/613 (rate limits), transient and 5xx -> retry
    (honouring Retry-After); anything else -> permanent with Meta's (user) message.

    https://developers.facebook.com/docs/graph-api/guides/error-handling
    https://developers.facebook.com/docs/threads/overview
    """
    mock.post(f"{BASE}/{USER}/threads").mock(return_value=response)

    with pytest.raises(error) as raised:
        await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="x"))

    assert raised.value.message == message
    if retry_after is not None:
        assert isinstance(raised.value, Retryable)
        assert raised.value.retry_after == retry_after


async def test_timeout_is_retryable(adapter: ThreadsAdapter, mock: respx.MockRouter) -> None:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    mock.post(f"{BASE}/{USER}/threads").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(Retryable):
        await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="x"))


# -- OAuth, accounts, quota --------------------------------------------------------------------


def test_authorization_url(adapter: ThreadsAdapter) -> None:
    """The Authorization Window is https://threads.com/oauth/authorize with client_id,
    redirect_uri, scope (comma-separated), response_type=code and state.

    https://developers.facebook.com/documentation/threads/get-started/get-access-tokens-and-permissions
    """
    url = adapter.authorization_url(
        state="signed-state", code_challenge="unused", redirect_uri="https://app.example/cb"
    )

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://threads.com/oauth/authorize"
    assert parse_qs(parts.query) == {
        "client_id": ["th-client"],
        "redirect_uri": ["https://app.example/cb"],
        "scope": [
            "threads_basic,threads_content_publish,threads_manage_replies,"
            "threads_manage_insights,threads_delete,threads_manage_mentions"
        ],
        "response_type": ["code"],
        "state": ["signed-state"],
    }


async def test_exchange_code_for_a_long_lived_token(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """POST /oauth/access_token (short-lived, 1 hour), then GET /access_token with
    grant_type=th_exchange_token (long-lived, 60 days).

    https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions
    https://developers.facebook.com/docs/threads/get-started/long-lived-tokens
    """
    short = mock.post(f"{GRAPH}/oauth/access_token").respond(
        200, json={"access_token": "short-lived", "user_id": USER}
    )
    long = mock.get(f"{GRAPH}/access_token").respond(
        200, json={"access_token": "long-lived", "token_type": "bearer", "expires_in": 5183944}
    )

    tokens = await adapter.exchange_code(
        code="the-code", code_verifier="unused", redirect_uri="https://app.example/cb"
    )

    assert form(short.calls.last.request) == {
        "client_id": "th-client",
        "client_secret": "th-secret",
        "grant_type": "authorization_code",
        "redirect_uri": "https://app.example/cb",
        "code": "the-code",
    }
    assert query(long.calls.last.request) == {
        "grant_type": "th_exchange_token",
        "client_secret": "th-secret",
        "access_token": "short-lived",
    }
    assert tokens.access_token == "long-lived"
    assert tokens.expires_at == NOW + timedelta(seconds=5183944)
    assert [c.request.url.path for c in mock.calls] == ["/oauth/access_token", "/access_token"]


async def test_refresh(adapter: ThreadsAdapter, mock: respx.MockRouter) -> None:
    """GET /refresh_access_token with grant_type=th_refresh_token and the long-lived token.

    https://developers.facebook.com/docs/threads/get-started/long-lived-tokens
    """
    route = mock.get(f"{GRAPH}/refresh_access_token").respond(
        200, json={"access_token": "renewed", "token_type": "bearer", "expires_in": 5183944}
    )

    tokens = await adapter.refresh(TOKENS)

    assert query(route.calls.last.request) == {
        "grant_type": "th_refresh_token",
        "access_token": "th-access",
    }
    assert tokens.access_token == "renewed"
    assert tokens.expires_at == NOW + timedelta(seconds=5183944)


async def test_refresh_of_an_expired_token_needs_reauth(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """https://developers.facebook.com/docs/threads/get-started/long-lived-tokens"""
    mock.get(f"{GRAPH}/refresh_access_token").mock(
        return_value=meta_error(400, 190, "Session has expired")
    )

    with pytest.raises(ReauthRequired):
        await adapter.refresh(TOKENS)


async def test_accounts(adapter: ThreadsAdapter, mock: respx.MockRouter) -> None:
    """GET /me?fields=id,username,name,threads_profile_picture_url.

    https://developers.facebook.com/docs/threads/threads-profiles
    """
    route = mock.get(f"{BASE}/me").respond(
        200,
        json={
            "id": USER,
            "username": "heraldhq",
            "name": "Herald",
            "threads_profile_picture_url": "https://scontent.example/p.jpg",
        },
    )

    found = await adapter.accounts(TOKENS)

    assert found == [
        (
            ConnectedAccount(
                platform_account_id=USER,
                name="Herald",
                handle="heraldhq",
                avatar_url="https://scontent.example/p.jpg",
                kind="profile",
            ),
            TOKENS,
        )
    ]
    assert query(route.calls.last.request) == {
        "fields": "id,username,name,threads_profile_picture_url",
        "access_token": "th-access",
    }


async def test_publishing_limit(adapter: ThreadsAdapter, mock: respx.MockRouter) -> None:
    """GET /{threads-user-id}/threads_publishing_limit (250 posts / 1000 replies per 24 hours).

    https://developers.facebook.com/docs/threads/overview
    """
    route = mock.get(f"{BASE}/{USER}/threads_publishing_limit").respond(
        200,
        json={
            "data": [
                {
                    "quota_usage": 4,
                    "config": {"quota_total": 250, "quota_duration": 86400},
                    "reply_quota_usage": 1,
                    "reply_config": {"quota_total": 1000, "quota_duration": 86400},
                }
            ]
        },
    )

    limit = await adapter.publishing_limit(TOKENS, ACCOUNT)

    assert limit == PublishingLimit(
        quota_usage=4,
        quota_total=250,
        quota_duration=86400,
        reply_quota_usage=1,
        reply_quota_total=1000,
    )
    assert limit.remaining == 246
    assert query(route.calls.last.request) == {
        "fields": "quota_usage,config,reply_quota_usage,reply_config",
        "access_token": "th-access",
    }


# -- delete, comment, metrics ----------------------------------------------------------------


async def test_delete(adapter: ThreadsAdapter, mock: respx.MockRouter) -> None:
    """DELETE /{threads-media-id}?access_token=...

    https://developers.facebook.com/docs/threads/posts/delete-posts
    """
    route = mock.delete(f"{BASE}/m-1").respond(200, json={"success": True, "deleted_id": "m-1"})

    await adapter.delete(TOKENS, ACCOUNT, "m-1")

    assert query(route.calls.last.request) == {"access_token": "th-access"}


async def test_comment_is_a_published_reply(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """A reply container (TEXT, reply_to_id), then threads_publish.

    https://developers.facebook.com/docs/threads/retrieve-and-manage-replies/create-replies
    """
    create = mock.post(f"{BASE}/{USER}/threads").respond(200, json={"id": "c-reply"})
    publish = mock.post(f"{BASE}/{USER}/threads_publish").respond(200, json={"id": "m-reply"})

    assert await adapter.comment(TOKENS, ACCOUNT, "m-1", "First!") == "m-reply"
    assert forms(create) == [
        {"media_type": "TEXT", "text": "First!", "reply_to_id": "m-1", "access_token": "th-access"}
    ]
    assert forms(publish) == [{"creation_id": "c-reply", "access_token": "th-access"}]


async def test_metrics(adapter: ThreadsAdapter, mock: respx.MockRouter) -> None:
    """GET /{threads-media-id}/insights?metric=views,likes,replies,reposts,quotes,shares.

    https://developers.facebook.com/docs/threads/insights
    """
    data: list[dict[str, Any]] = [
        {"name": name, "period": "lifetime", "values": [{"value": value}], "id": f"m-1/{name}"}
        for name, value in (("views", 4523), ("likes", 187), ("replies", 42), ("reposts", 23))
    ]
    data += [{"name": "quotes", "period": "lifetime", "values": [{"value": 8}]}]
    data += [{"name": "shares", "period": "lifetime", "total_value": {"value": 3}}]
    route = mock.get(f"{BASE}/m-1/insights").respond(200, json={"data": data})

    assert await adapter.metrics(TOKENS, ACCOUNT, "m-1") == {
        "views": 4523,
        "likes": 187,
        "replies": 42,
        "reposts": 23,
        "quotes": 8,
        "shares": 3,
    }
    assert query(route.calls.last.request) == {
        "metric": "views,likes,replies,reposts,quotes,shares",
        "access_token": "th-access",
    }


@pytest.mark.anyio
async def test_revoke_is_not_offered(adapter: ThreadsAdapter, mock: respx.MockRouter) -> None:
    """The Threads API documents no revocation call: nothing is called, False comes back.

    https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions
    """
    assert await adapter.revoke(TOKENS) is False
    assert not mock.calls


# -- reconciling --------------------------------------------------------------------------------


async def test_recent_posts_list_the_profiles_threads_since(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """GET /{threads-user-id}/threads with fields, since (a Unix timestamp) and limit (at most
    100), the token as access_token; the answer is the documented list shape.

    https://developers.facebook.com/docs/threads/reference/user,
    https://developers.facebook.com/docs/threads/threads-media
    """
    route = mock.get(f"{BASE}/{USER}/threads").respond(
        200,
        json={
            "data": [
                {
                    "id": "18050206876707110",
                    "text": "Today Is Monday",
                    "timestamp": "2026-11-01T11:42:03+0000",
                    "permalink": "https://www.threads.net/@heraldhq/post/abcdefg",
                },
                {
                    "id": "18050206876707109",
                    "media_type": "IMAGE",
                    "timestamp": "2026-11-01T11:05:00+0000",
                    "permalink": "https://www.threads.net/@heraldhq/post/abcdeff",
                },
            ],
            "paging": {"cursors": {"before": "BEFORE_CURSOR", "after": "AFTER_CURSOR"}},
        },
    )
    since = NOW - timedelta(hours=1)
    posts = await adapter.recent_posts(TOKENS, ACCOUNT, since)

    request = route.calls.last.request
    assert request.method == "GET"
    assert query(request) == {
        "fields": "id,text,timestamp,permalink",
        "since": str(int(since.timestamp())),
        "limit": "100",
        "access_token": "th-access",
    }
    assert posts == [
        RecentPost(
            platform_post_id="18050206876707110",
            text="Today Is Monday",
            created_at=datetime(2026, 11, 1, 11, 42, 3, tzinfo=UTC),
            url="https://www.threads.net/@heraldhq/post/abcdefg",
        ),
        RecentPost(
            platform_post_id="18050206876707109",
            text="",
            created_at=datetime(2026, 11, 1, 11, 5, tzinfo=UTC),
            url="https://www.threads.net/@heraldhq/post/abcdeff",
        ),
    ]


async def test_recent_posts_since_is_never_before_the_listing_allows(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """`since` must be at least 1688540400; an earlier window asks from there.

    https://developers.facebook.com/docs/threads/reference/user
    """
    route = mock.get(f"{BASE}/{USER}/threads").respond(200, json={"data": []})
    posts = await adapter.recent_posts(TOKENS, ACCOUNT, datetime(2020, 1, 1, tzinfo=UTC))
    assert posts == []
    assert query(route.calls.last.request)["since"] == "1688540400"


async def test_recent_posts_with_an_expired_token_need_reauth(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """Graph error 190 (token expired): https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    mock.get(f"{BASE}/{USER}/threads").mock(
        return_value=meta_error(400, 190, "Error validating access token: Session has expired")
    )
    with pytest.raises(ReauthRequired, match="Session has expired"):
        await adapter.recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))


# -- engagement (the inbox) -------------------------------------------------------------------

TOP_REPLY = Engagement(
    platform="threads",
    platform_account_id=USER,
    platform_item_id="r-1",
    kind="comment",
    text="Love it",
    author=EngagementAuthor(name="fan", handle="fan"),
    platform_post_id="m-1",
    thread_id="r-1",
)
NESTED_REPLY = Engagement(
    platform="threads",
    platform_account_id=USER,
    platform_item_id="r-2",
    kind="reply",
    text="Me too",
    author=EngagementAuthor(name="friend", handle="friend"),
    platform_post_id="m-1",
    parent_id="r-1",
    thread_id="r-1",
)


async def test_reply_to_a_reply_is_a_published_reply(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """A TEXT container with reply_to_id, then threads_publish
    (https://developers.facebook.com/docs/threads/retrieve-and-manage-replies/create-replies)."""
    create = mock.post(f"{BASE}/{USER}/threads").respond(200, json={"id": "c-9"})
    mock.post(f"{BASE}/{USER}/threads_publish").respond(200, json={"id": "r-9"})

    reply = await adapter.reply_to_engagement(TOKENS, ACCOUNT, NESTED_REPLY, "Thanks both")

    assert forms(create) == [
        {
            "media_type": "TEXT",
            "text": "Thanks both",
            "reply_to_id": "r-2",
            "access_token": "th-access",
        }
    ]
    assert reply == Engagement(
        platform="threads",
        platform_account_id=USER,
        platform_item_id="r-9",
        kind="reply",
        text="Thanks both",
        author=EngagementAuthor(platform_user_id=USER, name="Herald", handle="heraldhq"),
        created_at=NOW,
        platform_post_id="m-1",
        parent_id="r-2",
        thread_id="r-1",
    )


@pytest.mark.parametrize(("hidden", "value"), [(True, "true"), (False, "false")])
async def test_hide_and_unhide_a_top_level_reply(
    adapter: ThreadsAdapter, mock: respx.MockRouter, hidden: bool, value: str
) -> None:
    """POST /{reply-id}/manage_reply hide=true|false answers {"success": true}
    (https://developers.facebook.com/documentation/threads/reply-management)."""
    route = mock.post(f"{BASE}/r-1/manage_reply").respond(200, json={"success": True})

    await adapter.hide_engagement(TOKENS, ACCOUNT, TOP_REPLY, hidden=hidden)

    assert forms(route) == [{"hide": value, "access_token": "th-access"}]


async def test_a_nested_reply_cannot_be_hidden_alone(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """ "Replies nested deeper than the top-level reply cannot be targeted in isolation"
    (https://developers.facebook.com/documentation/threads/reply-management)."""
    with pytest.raises(NotSupported, match="top-level"):
        await adapter.hide_engagement(TOKENS, ACCOUNT, NESTED_REPLY, hidden=True)
    assert not mock.calls


async def test_only_the_profile_s_own_replies_are_deleted(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """DELETE /{threads-media-id} (https://developers.facebook.com/docs/threads/posts/delete-posts)
    removes the profile's own media only."""
    with pytest.raises(NotSupported, match="only its own"):
        await adapter.delete_engagement(TOKENS, ACCOUNT, TOP_REPLY)
    route = mock.delete(f"{BASE}/r-9").respond(200, json={"success": True, "deleted_id": "r-9"})
    own = Engagement(
        platform="threads",
        platform_account_id=USER,
        platform_item_id="r-9",
        kind="reply",
        text="Thanks",
        author=EngagementAuthor(platform_user_id=USER),
    )

    await adapter.delete_engagement(TOKENS, ACCOUNT, own)

    assert query(route.calls.last.request) == {"access_token": "th-access"}


async def test_list_comments_reads_the_whole_conversation(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """GET /{media-id}/conversation?fields=...&reverse=true, flat, newest first
    (https://developers.facebook.com/documentation/threads/reference/reply-management)."""
    route = mock.get(f"{BASE}/m-1/conversation").respond(
        200,
        json={
            "data": [
                {
                    "id": "r-3",
                    "text": "Deeper",
                    "timestamp": "2026-11-01T11:03:00+0000",
                    "username": "heraldhq",
                    "permalink": "https://www.threads.net/@heraldhq/post/r3",
                    "replied_to": {"id": "r-2"},
                    "root_post": {"id": "m-1"},
                    "is_reply_owned_by_me": True,
                },
                {
                    "id": "r-2",
                    "text": "Me too",
                    "timestamp": "2026-11-01T11:02:00+0000",
                    "username": "friend",
                    "replied_to": {"id": "r-1"},
                    "root_post": {"id": "m-1"},
                    "is_reply_owned_by_me": False,
                },
                {
                    "id": "r-1",
                    "text": "Love it",
                    "timestamp": "2026-11-01T11:01:00+0000",
                    "username": "fan",
                    "replied_to": {"id": "m-1"},
                    "root_post": {"id": "m-1"},
                },
            ],
            "paging": {"cursors": {"before": "BEFORE", "after": "AFTER"}},
        },
    )

    page = await adapter.list_comments(TOKENS, ACCOUNT, "m-1", "2026-11-01T11:01:00+00:00 r-1")

    assert query(route.calls.last.request) == {
        "fields": "id,text,timestamp,username,permalink,replied_to,root_post,is_reply_owned_by_me",
        "reverse": "true",
        "limit": "100",
        "access_token": "th-access",
    }
    assert page.items == [
        Engagement(
            platform="threads",
            platform_account_id=USER,
            platform_item_id="r-3",
            kind="reply",
            text="Deeper",
            author=EngagementAuthor(platform_user_id=USER, name="heraldhq", handle="heraldhq"),
            created_at=datetime(2026, 11, 1, 11, 3, tzinfo=UTC),
            platform_post_id="m-1",
            parent_id="r-2",
            thread_id="r-1",
            permalink="https://www.threads.net/@heraldhq/post/r3",
        ),
        Engagement(
            platform="threads",
            platform_account_id=USER,
            platform_item_id="r-2",
            kind="reply",
            text="Me too",
            author=EngagementAuthor(name="friend", handle="friend"),
            created_at=datetime(2026, 11, 1, 11, 2, tzinfo=UTC),
            platform_post_id="m-1",
            parent_id="r-1",
            thread_id="r-1",
        ),
    ]
    assert page.cursor == "2026-11-01T11:03:00+00:00 r-3"


async def test_list_mentions_since_the_cursor(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """GET /{threads-user-id}/mentions with since
    (https://developers.facebook.com/documentation/threads/threads-mentions; the answer is
    data[] of media objects, https://developers.facebook.com/documentation/threads/retrieve-and-discover-posts)."""
    route = mock.get(f"{BASE}/{USER}/mentions").respond(
        200,
        json={
            "data": [
                {
                    "id": "18038",
                    "text": "@heraldhq is great",
                    "timestamp": "2026-11-01T10:00:00+0000",
                    "username": "keldo",
                    "permalink": "https://www.threads.net/@keldo/post/18038",
                }
            ]
        },
    )

    page = await adapter.list_mentions(TOKENS, ACCOUNT, "2026-11-01T09:00:00+00:00 17999")

    assert query(route.calls.last.request) == {
        "fields": "id,text,timestamp,username,permalink,replied_to,root_post",
        "limit": "100",
        "since": str(int(datetime(2026, 11, 1, 9, tzinfo=UTC).timestamp())),
        "access_token": "th-access",
    }
    assert page == EngagementPage(
        items=[
            Engagement(
                platform="threads",
                platform_account_id=USER,
                platform_item_id="18038",
                kind="mention",
                text="@heraldhq is great",
                author=EngagementAuthor(name="keldo", handle="keldo"),
                created_at=datetime(2026, 11, 1, 10, tzinfo=UTC),
                platform_post_id="18038",
                thread_id="18038",
                permalink="https://www.threads.net/@keldo/post/18038",
            )
        ],
        cursor="2026-11-01T10:00:00+00:00 18038",
    )


async def test_rate_limited_mentions_are_retryable(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """Throttling code 4: https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    mock.get(f"{BASE}/{USER}/mentions").respond(
        400, json={"error": {"message": "Application request limit reached", "code": 4}}
    )
    with pytest.raises(Retryable):
        await adapter.list_mentions(TOKENS, ACCOUNT, None)


async def test_a_reply_chain_that_loops_back_on_itself_still_ends(
    adapter: ThreadsAdapter, mock: respx.MockRouter
) -> None:
    """Threads of replies are followed up to the top-level reply; a malformed answer whose
    replies name each other as parents must not keep the listing walking forever."""
    mock.get(f"{BASE}/m-1/conversation").respond(
        200,
        json={
            "data": [
                {"id": "r-a", "timestamp": "2026-11-01T11:00:00+0000", "replied_to": {"id": "r-b"}},
                {"id": "r-b", "timestamp": "2026-11-01T11:00:00+0000", "replied_to": {"id": "r-a"}},
            ]
        },
    )

    page = await adapter.list_comments(TOKENS, ACCOUNT, "m-1", None)

    assert {item.platform_item_id for item in page.items} == {"r-a", "r-b"}
    assert all(item.kind == "reply" for item in page.items)
