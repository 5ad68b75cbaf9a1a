"""The X adapter against the documented X API v2 requests, intercepted at the transport."""

import base64
import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
from functions.publish.adapters.platforms.x import XAdapter
from functions.publish.domain.publishing import matching_post
from functions.shared.engagement import Engagement, EngagementAuthor
from tests.platforms.media_bytes import form_parts, in_memory, logging_reads

API = "https://api.x.com"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TOKENS = TokenSet(access_token="user-access", refresh_token="user-refresh")
ACCOUNT = ConnectedAccount(platform_account_id="2244994945", name="Herald", handle="heraldhq")
AUTH = {"authorization": "Bearer user-access"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def adapter() -> XAdapter:
    # Chunks of 1000 bytes so every upload below spans several APPEND segments.
    return XAdapter(
        client_id="client-id",
        client_secret="client-secret",
        http=httpx.AsyncClient(),
        chunk_size=1000,
        clock=lambda: NOW,
    )


def png_bytes(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, format="PNG")
    return buffer.getvalue()


def media(kind: MediaKind, content: bytes, content_type: str, alt: str | None = None) -> MediaFile:
    return in_memory(
        kind,
        content_type,
        content,
        "https://media.example/asset",
        alt_text=alt,
        filename=f"asset.{content_type.split('/')[1]}",
    )


def body(request: httpx.Request) -> Any:
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.content)


def assert_auth(request: httpx.Request) -> None:
    assert request.headers["authorization"] == AUTH["authorization"]


# -- publishing ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_text_post(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """POST /2/tweets with text and reply_settings.

    https://docs.x.com/x-api/posts/create-or-edit-post
    """
    route = mock.post(f"{API}/2/tweets").respond(
        201, json={"data": {"id": "1346889436626259968", "text": "Hello"}}
    )
    result = await adapter.publish(
        TOKENS, ACCOUNT, PublishRequest(text="Hello", options={"reply_settings": "following"})
    )
    request = route.calls.last.request
    assert_auth(request)
    assert request.url == f"{API}/2/tweets"
    assert body(request) == {"text": "Hello", "reply_settings": "following"}
    assert result == PublishResult(
        state="published",
        platform_post_id="1346889436626259968",
        url="https://x.com/heraldhq/status/1346889436626259968",
    )


@pytest.mark.anyio
@pytest.mark.parametrize("setting", ["following", "mentionedUsers", "subscribers", "verified"])
async def test_every_documented_reply_setting_is_sent(
    adapter: XAdapter, mock: respx.MockRouter, setting: str
) -> None:
    """reply_settings enum: https://docs.x.com/x-api/posts/create-or-edit-post"""
    route = mock.post(f"{API}/2/tweets").respond(201, json={"data": {"id": "1", "text": "t"}})
    await adapter.publish(
        TOKENS, ACCOUNT, PublishRequest(text="t", options={"reply_settings": setting})
    )
    assert body(route.calls.last.request)["reply_settings"] == setting


@pytest.mark.anyio
async def test_everyone_omits_reply_settings_and_reply_chains_use_in_reply_to(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """Threads are reply chains: reply.in_reply_to_tweet_id.

    https://docs.x.com/x-api/posts/create-or-edit-post
    """
    route = mock.post(f"{API}/2/tweets").respond(201, json={"data": {"id": "2", "text": "2/2"}})
    await adapter.publish(
        TOKENS,
        ACCOUNT,
        PublishRequest(text="2/2", reply_to="1", options={"reply_settings": "everyone"}),
    )
    assert body(route.calls.last.request) == {"text": "2/2", "reply": {"in_reply_to_tweet_id": "1"}}


@pytest.mark.anyio
async def test_quote_post_sends_the_quoted_post_s_id(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """A quote post is POST /2/tweets with quote_tweet_id beside the text.

    https://docs.x.com/x-api/posts/creation-of-a-post
    """
    route = mock.post(f"{API}/2/tweets").respond(
        201, json={"data": {"id": "1445880548472328193", "text": "Worth reading"}}
    )
    result = await adapter.publish(
        TOKENS,
        ACCOUNT,
        PublishRequest(
            text="Worth reading",
            options={"quote_tweet_id": "1445880548472328192", "reply_settings": "following"},
        ),
    )
    request = route.calls.last.request
    assert_auth(request)
    assert body(request) == {
        "text": "Worth reading",
        "quote_tweet_id": "1445880548472328192",
        "reply_settings": "following",
    }
    assert result.platform_post_id == "1445880548472328193"


@pytest.mark.anyio
async def test_unknown_reply_setting_is_permanent(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """https://docs.x.com/x-api/posts/create-or-edit-post lists the accepted values."""
    with pytest.raises(Permanent, match="mentionedUsers"):
        await adapter.publish(
            TOKENS, ACCOUNT, PublishRequest(text="t", options={"reply_settings": "friends"})
        )
    assert not mock.calls


@pytest.mark.anyio
async def test_four_images_with_alt_text(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """Each image: initialize (tweet_image), append chunks, finalize, then alt text; then the post.

    https://docs.x.com/x-api/media/quickstart/media-upload-chunked
    https://docs.x.com/x-api/media/initialize-media-upload
    https://docs.x.com/x-api/media/append-media-upload
    https://docs.x.com/x-api/media/media-upload-finalize
    https://docs.x.com/x-api/media/create-media-metadata
    https://docs.x.com/x-api/posts/create-or-edit-post
    """
    images = [png_bytes(color) for color in ("red", "green", "blue", "white")]
    ids = ["101", "102", "103", "104"]
    mock.post(f"{API}/2/media/upload/initialize").mock(
        side_effect=[
            httpx.Response(200, json={"data": {"id": media_id, "media_key": f"3_{media_id}"}})
            for media_id in ids
        ]
    )
    for media_id in ids:
        mock.post(f"{API}/2/media/upload/{media_id}/append").respond(200, json={"data": {}})
        mock.post(f"{API}/2/media/upload/{media_id}/finalize").respond(
            200, json={"data": {"id": media_id, "size": 1}}
        )
    metadata = mock.post(f"{API}/2/media/metadata").respond(200, json={"data": {"id": "x"}})
    tweet = mock.post(f"{API}/2/tweets").respond(201, json={"data": {"id": "900", "text": "4"}})

    files = [
        media("image", content, "image/png", alt=f"picture {n}") for n, content in enumerate(images)
    ]
    result = await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="four", media=files))

    calls = [call.request for call in mock.calls]
    position = 0
    for media_id, content in zip(ids, images, strict=True):
        init = calls[position]
        assert init.method == "POST"
        assert init.url == f"{API}/2/media/upload/initialize"
        assert_auth(init)
        assert body(init) == {
            "media_type": "image/png",
            "total_bytes": len(content),
            "media_category": "tweet_image",
        }
        position += 1
        chunks = [content[i : i + 1000] for i in range(0, len(content), 1000)]
        for index, chunk in enumerate(chunks):
            append = calls[position]
            assert append.url == f"{API}/2/media/upload/{media_id}/append"
            assert_auth(append)
            assert append.headers["content-type"].startswith("multipart/form-data; boundary=")
            parts = form_parts(append)
            assert parts["segment_index"] == (str(index).encode(), None, None)
            assert parts["media"] == (chunk, "asset.png", "application/octet-stream")
            position += 1
        assert (
            b"".join(form_parts(c)["media"][0] for c in calls[position - len(chunks) : position])
            == content
        )
        finalize = calls[position]
        assert finalize.url == f"{API}/2/media/upload/{media_id}/finalize"
        assert finalize.content == b""
        assert_auth(finalize)
        position += 1
        alt = calls[position]
        assert alt.url == f"{API}/2/media/metadata"
        assert_auth(alt)
        assert body(alt) == {
            "id": media_id,
            "metadata": {"alt_text": {"text": f"picture {ids.index(media_id)}"}},
        }
        position += 1
    assert calls[position] is tweet.calls.last.request
    assert body(tweet.calls.last.request) == {"text": "four", "media": {"media_ids": ids}}
    assert position == len(calls) - 1
    assert metadata.call_count == 4
    assert result.state == "published"
    assert result.platform_post_id == "900"


@pytest.mark.anyio
async def test_video_is_streamed_one_chunk_per_append_in_segment_order(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """INITIALIZE gives total_bytes from the stored size; each chunk is read from storage just
    before its APPEND (multipart `media`, segment_index 0, 1, 2...), never the whole video.

    https://docs.x.com/x-api/media/quickstart/media-upload-chunked,
    https://docs.x.com/x-api/media/append-media-upload
    """
    video = os.urandom(2500)
    log: list[str] = []

    def appended(request: httpx.Request) -> httpx.Response:
        parts = form_parts(request)
        log.append(f"append {parts['segment_index'][0].decode()} {len(parts['media'][0])}")
        return httpx.Response(200, json={"data": {}})

    init = mock.post(f"{API}/2/media/upload/initialize").respond(200, json={"data": {"id": "9"}})
    append = mock.post(f"{API}/2/media/upload/9/append").mock(side_effect=appended)
    mock.post(f"{API}/2/media/upload/9/finalize").respond(200, json={"data": {"id": "9"}})
    mock.post(f"{API}/2/tweets").respond(201, json={"data": {"id": "1", "text": "t"}})
    streamed = logging_reads(media("video", video, "video/mp4"), log)
    await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="t", media=[streamed]))
    assert body(init.calls.last.request)["total_bytes"] == 2500
    assert log == [
        "read 0-1000",
        "append 0 1000",
        "read 1000-2000",
        "append 1 1000",
        "read 2000-2500",
        "append 2 500",
    ]
    assert b"".join(form_parts(call.request)["media"][0] for call in append.calls) == video


@pytest.mark.anyio
async def test_video_processing_then_status_posts(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """tweet_video: async finalize returns processing_info; STATUS is polled, then the post.

    https://docs.x.com/x-api/media/quickstart/media-upload-chunked
    https://docs.x.com/x-api/media/get-media-upload-status
    """
    video = os.urandom(2500)
    init = mock.post(f"{API}/2/media/upload/initialize").respond(
        200, json={"data": {"id": "777", "media_key": "7_777", "expires_after_secs": 86400}}
    )
    append = mock.post(f"{API}/2/media/upload/777/append").respond(200, json={"data": {}})
    mock.post(f"{API}/2/media/upload/777/finalize").respond(
        200,
        json={
            "data": {
                "id": "777",
                "processing_info": {"state": "pending", "check_after_secs": 3},
            }
        },
    )
    result = await adapter.publish(
        TOKENS,
        ACCOUNT,
        PublishRequest(
            text="watch",
            media=[media("video", video, "video/mp4", alt="a short clip")],
            reply_to="55",
        ),
    )
    assert body(init.calls.last.request) == {
        "media_type": "video/mp4",
        "total_bytes": 2500,
        "media_category": "tweet_video",
    }
    sent = [form_parts(call.request) for call in append.calls]
    assert [part["segment_index"][0] for part in sent] == [b"0", b"1", b"2"]
    assert [part["media"][0] for part in sent] == [video[:1000], video[1000:2000], video[2000:]]
    assert result.state == "processing"
    assert result.check_after_seconds == 3
    assert result.progress["pending"] == "777"
    assert result.platform_post_id is None

    # Still processing: one STATUS request, nothing posted.
    status = mock.get(f"{API}/2/media/upload", params={"command": "STATUS", "media_id": "777"})
    status.side_effect = [
        httpx.Response(
            200,
            json={
                "data": {
                    "id": "777",
                    "processing_info": {
                        "state": "in_progress",
                        "check_after_secs": 10,
                        "progress_percent": 40,
                    },
                }
            },
        ),
        httpx.Response(
            200, json={"data": {"id": "777", "processing_info": {"state": "succeeded"}}}
        ),
    ]
    first = await adapter.status(TOKENS, ACCOUNT, result)
    assert first.state == "processing"
    assert first.check_after_seconds == 10
    assert_auth(status.calls.last.request)
    assert dict(status.calls.last.request.url.params) == {"command": "STATUS", "media_id": "777"}

    metadata = mock.post(f"{API}/2/media/metadata").respond(200, json={"data": {"id": "777"}})
    tweet = mock.post(f"{API}/2/tweets").respond(201, json={"data": {"id": "901", "text": "w"}})
    done = await adapter.status(TOKENS, ACCOUNT, result)
    assert body(metadata.calls.last.request) == {
        "id": "777",
        "metadata": {"alt_text": {"text": "a short clip"}},
    }
    assert body(tweet.calls.last.request) == {
        "text": "watch",
        "media": {"media_ids": ["777"]},
        "reply": {"in_reply_to_tweet_id": "55"},
    }
    assert done.state == "published"
    assert done.platform_post_id == "901"
    assert done.url == "https://x.com/heraldhq/status/901"
    assert tweet.call_count == 1
    assert status.call_count == 2


@pytest.mark.anyio
async def test_video_processing_failure(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """processing_info.state failed ends the post with X's message.

    https://docs.x.com/x-api/media/get-media-upload-status
    """
    mock.get(f"{API}/2/media/upload").respond(
        200,
        json={
            "data": {
                "id": "777",
                "processing_info": {
                    "state": "failed",
                    "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported codec"},
                },
            }
        },
    )
    pending = PublishResult(
        state="processing", progress={"tweet": json.dumps({"text": "t"}), "pending": "777"}
    )
    status = await adapter.status(TOKENS, ACCOUNT, pending)
    assert status.state == "failed"
    assert status.error == "Unsupported codec"


@pytest.mark.anyio
async def test_gif_is_uploaded_as_tweet_gif(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """One animated GIF: media_category tweet_gif, synchronous finalize then the post, whose
    `text` is sent empty: X's OpenAPI document gives the create-post body's `text` the default "".

    https://docs.x.com/x-api/media/initialize-media-upload,
    https://api.x.com/2/openapi.json (the create-post request's `text` property),
    https://docs.x.com/x-api/posts/create-or-edit-post
    """
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    gif = buffer.getvalue()
    init = mock.post(f"{API}/2/media/upload/initialize").respond(200, json={"data": {"id": "55"}})
    append = mock.post(f"{API}/2/media/upload/55/append").respond(200, json={"data": {}})
    mock.post(f"{API}/2/media/upload/55/finalize").respond(
        200, json={"data": {"id": "55", "processing_info": {"state": "succeeded"}}}
    )
    tweet = mock.post(f"{API}/2/tweets").respond(201, json={"data": {"id": "3", "text": ""}})
    result = await adapter.publish(
        TOKENS, ACCOUNT, PublishRequest(text="", media=[media("gif", gif, "image/gif")])
    )
    assert body(init.calls.last.request) == {
        "media_type": "image/gif",
        "total_bytes": len(gif),
        "media_category": "tweet_gif",
    }
    assert b"".join(form_parts(call.request)["media"][0] for call in append.calls) == gif
    assert body(tweet.calls.last.request) == {"text": "", "media": {"media_ids": ["55"]}}
    assert result.state == "published"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kinds", "message"),
    [
        (["image"] * 5, "at most 4 images"),
        (["image", "video"], "cannot be combined"),
        (["gif", "image"], "cannot be combined"),
        (["video", "video"], "cannot be combined"),
        (["document"], "does not accept document"),
    ],
)
async def test_media_limits_are_permanent_before_any_request(
    adapter: XAdapter, mock: respx.MockRouter, kinds: list[MediaKind], message: str
) -> None:
    """Up to 4 photos, 1 animated GIF or 1 video per post.

    https://docs.x.com/x-api/media/quickstart/best-practices
    """
    types = {
        "image": "image/png",
        "video": "video/mp4",
        "gif": "image/gif",
        "document": "application/pdf",
    }
    files = [media(kind, b"x", types[kind]) for kind in kinds]
    with pytest.raises(Permanent, match=message):
        await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="t", media=files))
    assert not mock.calls


@pytest.mark.anyio
async def test_oversized_image_is_permanent(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """Images up to 5 MB: https://docs.x.com/x-api/media/introduction"""
    big = MediaFile(
        kind="image",
        content_type="image/jpeg",
        size=6 * 1024 * 1024,
        url="https://media.example/big",
        read=lambda: pytest.fail("must not be read"),
        read_range=lambda start, end: pytest.fail("must not be read"),
    )
    with pytest.raises(Permanent, match="at most"):
        await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="t", media=[big]))


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_rate_limit_honours_retry_after(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """429 Too Many Requests: https://docs.x.com/resources/fundamentals/rate-limits"""
    mock.post(f"{API}/2/tweets").respond(
        429,
        headers={"Retry-After": "120"},
        json={
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        },
    )
    with pytest.raises(Retryable) as caught:
        await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="t"))
    assert caught.value.retry_after == 120


@pytest.mark.anyio
async def test_rate_limit_falls_back_to_x_rate_limit_reset(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """x-rate-limit-reset is the window's end in epoch seconds.

    https://docs.x.com/resources/fundamentals/rate-limits
    """
    reset = int((NOW + timedelta(seconds=300)).timestamp())
    mock.post(f"{API}/2/tweets").respond(
        429,
        headers={"x-rate-limit-reset": str(reset)},
        json={"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
    )
    with pytest.raises(Retryable) as caught:
        await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="t"))
    assert caught.value.retry_after == 300
    assert caught.value.message == "Rate limit exceeded"
    assert caught.value.code == "88"


@pytest.mark.anyio
async def test_server_error_and_timeout_are_retryable(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """5xx and timeouts: https://docs.x.com/x-api/fundamentals/response-codes-and-errors"""
    mock.post(f"{API}/2/tweets").mock(
        side_effect=[httpx.Response(503, text="Service Unavailable"), httpx.ReadTimeout("slow")]
    )
    with pytest.raises(Retryable, match="Service Unavailable"):
        await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="t"))
    with pytest.raises(Retryable, match="in time"):
        await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="t"))


@pytest.mark.anyio
async def test_expired_token_requires_reauth(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """401 Unauthorized: https://docs.x.com/x-api/fundamentals/response-codes-and-errors"""
    mock.post(f"{API}/2/tweets").respond(
        401,
        json={
            "title": "Unauthorized",
            "type": "about:blank",
            "status": 401,
            "detail": "Unauthorized",
        },
    )
    with pytest.raises(ReauthRequired, match="Unauthorized"):
        await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="t"))


@pytest.mark.anyio
async def test_missing_scope_requires_reauth(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """403 for a token without the needed scope: only a new consent fixes it.

    https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code
    """
    mock.post(f"{API}/2/media/upload/initialize").respond(
        403,
        json={
            "title": "Forbidden",
            "detail": "Missing required scope: media.write",
            "type": "about:blank",
            "status": 403,
        },
    )
    with pytest.raises(ReauthRequired, match=r"media\.write"):
        await adapter.publish(
            TOKENS,
            ACCOUNT,
            PublishRequest(text="t", media=[media("image", png_bytes(), "image/png")]),
        )


@pytest.mark.anyio
async def test_refused_content_is_permanent_with_x_message(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """403 duplicate content carries X's own message.

    https://docs.x.com/x-api/fundamentals/response-codes-and-errors
    """
    message = "You are not allowed to create a Tweet with duplicate content."
    mock.post(f"{API}/2/tweets").respond(
        403, json={"detail": message, "type": "about:blank", "title": "Forbidden", "status": 403}
    )
    with pytest.raises(Permanent) as caught:
        await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="t"))
    assert caught.value.message == message


# -- OAuth --------------------------------------------------------------------------------------


def test_authorization_url_uses_pkce_s256(adapter: XAdapter) -> None:
    """https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token"""
    url = adapter.authorization_url(
        state="signed-state", code_challenge="challenge", redirect_uri="https://app.example/cb"
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://x.com/i/oauth2/authorize"
    assert (
        "scope=tweet.read%20tweet.write%20users.read%20offline.access%20media.write"
        "%20tweet.moderate.write" in url
    )
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["client-id"],
        "redirect_uri": ["https://app.example/cb"],
        "scope": [
            "tweet.read tweet.write users.read offline.access media.write tweet.moderate.write"
        ],
        "state": ["signed-state"],
        "code_challenge": ["challenge"],
        "code_challenge_method": ["S256"],
    }


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.mark.anyio
async def test_exchange_code_with_basic_client_auth(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """Confidential client: HTTP Basic on POST /2/oauth2/token.

    https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token
    """
    route = mock.post(f"{API}/2/oauth2/token").respond(
        200,
        json={
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": "new-access",
            "scope": "tweet.read tweet.write users.read offline.access media.write",
            "refresh_token": "new-refresh",
        },
    )
    tokens = await adapter.exchange_code(
        code="the-code", code_verifier="the-verifier", redirect_uri="https://app.example/cb"
    )
    request = route.calls.last.request
    assert request.headers["authorization"] == basic("client-id", "client-secret")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "code": ["the-code"],
        "grant_type": ["authorization_code"],
        "redirect_uri": ["https://app.example/cb"],
        "code_verifier": ["the-verifier"],
    }
    assert tokens == TokenSet(
        access_token="new-access",
        refresh_token="new-refresh",
        expires_at=NOW + timedelta(seconds=7200),
        scopes=("tweet.read", "tweet.write", "users.read", "offline.access", "media.write"),
    )


@pytest.mark.anyio
async def test_public_client_sends_client_id(mock: respx.MockRouter) -> None:
    """Public clients put client_id in the body instead of Basic auth.

    https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code
    """
    route = mock.post(f"{API}/2/oauth2/token").respond(
        200,
        json={"access_token": "a", "refresh_token": "r", "expires_in": 60, "scope": "tweet.read"},
    )
    async with httpx.AsyncClient() as client:
        public = XAdapter(client_id="client-id", client_secret=None, http=client, clock=lambda: NOW)
        await public.refresh(TOKENS)
    request = route.calls.last.request
    assert "authorization" not in request.headers
    assert parse_qs(request.content.decode()) == {
        "refresh_token": ["user-refresh"],
        "grant_type": ["refresh_token"],
        "client_id": ["client-id"],
    }


@pytest.mark.anyio
async def test_refresh(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """grant_type=refresh_token: https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code"""
    route = mock.post(f"{API}/2/oauth2/token").respond(
        200,
        json={
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": "fresh",
            "refresh_token": "rotated",
            "scope": "tweet.read",
        },
    )
    tokens = await adapter.refresh(TOKENS)
    request = route.calls.last.request
    assert request.headers["authorization"] == basic("client-id", "client-secret")
    assert parse_qs(request.content.decode()) == {
        "refresh_token": ["user-refresh"],
        "grant_type": ["refresh_token"],
    }
    assert tokens.access_token == "fresh"
    assert tokens.refresh_token == "rotated"
    assert tokens.expires_at == NOW + timedelta(hours=2)


@pytest.mark.anyio
async def test_refused_refresh_requires_reauth(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """An invalid refresh token answers 400 invalid_request.

    https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code
    """
    mock.post(f"{API}/2/oauth2/token").respond(
        400,
        json={
            "error": "invalid_request",
            "error_description": "Value passed for the token was invalid.",
        },
    )
    with pytest.raises(ReauthRequired, match="Value passed for the token was invalid"):
        await adapter.refresh(TOKENS)
    with pytest.raises(ReauthRequired):
        await adapter.refresh(TokenSet(access_token="a"))


@pytest.mark.anyio
async def test_accounts_lists_the_user(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """GET /2/users/me: https://docs.x.com/x-api/users/user-lookup-me"""
    route = mock.get(f"{API}/2/users/me", params={"user.fields": "profile_image_url"}).respond(
        200,
        json={
            "data": {
                "id": "2244994945",
                "name": "Herald",
                "username": "heraldhq",
                "profile_image_url": "https://pbs.twimg.com/profile_images/1/a.jpg",
            }
        },
    )
    accounts = await adapter.accounts(TOKENS)
    assert_auth(route.calls.last.request)
    assert accounts == [
        (
            ConnectedAccount(
                platform_account_id="2244994945",
                name="Herald",
                handle="heraldhq",
                avatar_url="https://pbs.twimg.com/profile_images/1/a.jpg",
            ),
            TOKENS,
        )
    ]


# -- delete, comment, metrics, status of a published post ---------------------------------------


@pytest.mark.anyio
async def test_delete(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """DELETE /2/tweets/:id: https://docs.x.com/x-api/posts/delete-post"""
    route = mock.delete(f"{API}/2/tweets/900").respond(200, json={"data": {"deleted": True}})
    await adapter.delete(TOKENS, ACCOUNT, "900")
    assert_auth(route.calls.last.request)


@pytest.mark.anyio
async def test_delete_of_a_gone_post_succeeds(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """A post already gone counts as deleted: https://docs.x.com/x-api/posts/delete-post"""
    mock.delete(f"{API}/2/tweets/900").respond(
        404, json={"title": "Not Found Error", "detail": "Could not find tweet", "status": 404}
    )
    await adapter.delete(TOKENS, ACCOUNT, "900")


@pytest.mark.anyio
async def test_first_comment_is_a_reply(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """https://docs.x.com/x-api/posts/create-or-edit-post (reply.in_reply_to_tweet_id)"""
    route = mock.post(f"{API}/2/tweets").respond(201, json={"data": {"id": "901", "text": "c"}})
    assert await adapter.comment(TOKENS, ACCOUNT, "900", "first!") == "901"
    request = route.calls.last.request
    assert_auth(request)
    assert body(request) == {"text": "first!", "reply": {"in_reply_to_tweet_id": "900"}}


@pytest.mark.anyio
async def test_metrics(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """public_metrics: https://docs.x.com/x-api/posts/post-lookup-by-post-id"""
    route = mock.get(f"{API}/2/tweets/900", params={"tweet.fields": "public_metrics"}).respond(
        200,
        json={
            "data": {
                "id": "900",
                "text": "t",
                "public_metrics": {
                    "retweet_count": 1,
                    "reply_count": 2,
                    "like_count": 3,
                    "quote_count": 4,
                    "bookmark_count": 5,
                    "impression_count": 600,
                },
            }
        },
    )
    assert await adapter.metrics(TOKENS, ACCOUNT, "900") == {
        "retweet_count": 1,
        "reply_count": 2,
        "like_count": 3,
        "quote_count": 4,
        "bookmark_count": 5,
        "impression_count": 600,
    }
    request = route.calls.last.request
    assert_auth(request)
    assert dict(request.url.params) == {"tweet.fields": "public_metrics"}


@pytest.mark.anyio
async def test_metrics_of_many_posts_in_one_lookup(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """GET /2/tweets?ids=<up to 100, comma-separated>&tweet.fields=public_metrics; a post that
    is gone is reported in `errors` and left out.
    https://docs.x.com/x-api/posts/post-lookup-by-post-ids"""
    route = mock.get(f"{API}/2/tweets").respond(
        200,
        json={
            "data": [
                {"id": "900", "text": "a", "public_metrics": {"like_count": 3}},
                {"id": "901", "text": "b", "public_metrics": {"impression_count": 70}},
            ],
            "errors": [
                {
                    "value": "902",
                    "detail": "Could not find tweet with ids: [902].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            ],
        },
    )
    found = await adapter.metrics_many(TOKENS, ACCOUNT, ["900", "901", "902"])
    assert found == {"900": {"like_count": 3}, "901": {"impression_count": 70}}
    request = route.calls.last.request
    assert_auth(request)
    assert dict(request.url.params) == {"ids": "900,901,902", "tweet.fields": "public_metrics"}
    assert XAdapter.metrics_batch_size == 100


@pytest.mark.anyio
async def test_status_of_a_published_post(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """A deleted post answers 200 with errors: https://docs.x.com/x-api/posts/post-lookup-by-post-id"""
    mock.get(f"{API}/2/tweets/900").mock(
        side_effect=[
            httpx.Response(200, json={"data": {"id": "900", "text": "t"}}),
            httpx.Response(
                200,
                json={
                    "errors": [
                        {
                            "detail": "Could not find tweet with id: [900].",
                            "title": "Not Found Error",
                        }
                    ]
                },
            ),
        ]
    )
    published = PublishResult(state="published", platform_post_id="900")
    assert (await adapter.status(TOKENS, ACCOUNT, published)).state == "published"
    gone = await adapter.status(TOKENS, ACCOUNT, published)
    assert gone.state == "failed"
    assert gone.error == "Could not find tweet with id: [900]."


@pytest.mark.anyio
async def test_revoke_the_refresh_token(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """POST /2/oauth2/revoke with token + token_type_hint, client auth as on the token endpoint.

    https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token
    """
    route = mock.post(f"{API}/2/oauth2/revoke").respond(200, json={"revoked": True})
    assert await adapter.revoke(TOKENS) is True
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["authorization"] == basic("client-id", "client-secret")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "token": ["user-refresh"],
        "token_type_hint": ["refresh_token"],
    }


@pytest.mark.anyio
async def test_revoke_an_access_token_as_a_public_client(mock: respx.MockRouter) -> None:
    """No refresh token: the access token is revoked; a public client sends its client_id.

    https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token
    """
    public = XAdapter(client_id="client-id", client_secret=None, http=httpx.AsyncClient())
    route = mock.post(f"{API}/2/oauth2/revoke").respond(200, json={"revoked": True})
    assert await public.revoke(TokenSet(access_token="only-access")) is True
    request = route.calls.last.request
    assert "authorization" not in request.headers
    assert parse_qs(request.content.decode()) == {
        "token": ["only-access"],
        "token_type_hint": ["access_token"],
        "client_id": ["client-id"],
    }


@pytest.mark.anyio
async def test_revoke_failures_are_classified(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """https://docs.x.com/x-api/fundamentals/response-codes-and-errors"""
    mock.post(f"{API}/2/oauth2/revoke").mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": "15"}, json={"title": "Too Many Requests"}),
            httpx.Response(503, text="Service Unavailable"),
            httpx.ReadTimeout("slow"),
            httpx.Response(
                401, json={"error": "invalid_client", "error_description": "Bad client."}
            ),
        ]
    )
    with pytest.raises(Retryable) as throttled:
        await adapter.revoke(TOKENS)
    assert throttled.value.retry_after == 15
    with pytest.raises(Retryable):
        await adapter.revoke(TOKENS)
    with pytest.raises(Retryable):
        await adapter.revoke(TOKENS)
    with pytest.raises(ReauthRequired, match=r"Bad client\."):
        await adapter.revoke(TOKENS)


# -- reconciling --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_recent_posts_read_the_users_timeline_from_since(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """GET /2/users/:id/tweets with start_time (YYYY-MM-DDTHH:mm:ssZ), max_results (5..100),
    exclude and tweet.fields; a long post's whole text is in note_tweet.

    https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id
    """
    route = mock.get(f"{API}/2/users/2244994945/tweets").respond(
        200,
        json={
            "data": [
                {
                    "id": "1930000000000000002",
                    "text": "A long thought that X cuts short\u2026 https://t.co/56a0vZUx7i",
                    "note_tweet": {"text": "A long thought that X cuts short, told in full."},
                    "created_at": "2025-06-01T11:40:40.000Z",
                    "edit_history_tweet_ids": ["1930000000000000002"],
                },
                {
                    "id": "1930000000000000001",
                    "text": "Hello from Herald",
                    "created_at": "2025-06-01T11:00:00.000Z",
                    "edit_history_tweet_ids": ["1930000000000000001"],
                },
            ],
            "meta": {
                "result_count": 2,
                "newest_id": "1930000000000000002",
                "oldest_id": "1930000000000000001",
            },
        },
    )
    # 13:00 at UTC+2 is 11:00 UTC: start_time is sent in UTC, and is inclusive.
    since = datetime(2025, 6, 1, 13, 0, tzinfo=timezone(timedelta(hours=2)))
    posts = await adapter.recent_posts(TOKENS, ACCOUNT, since)

    request = route.calls.last.request
    assert request.method == "GET"
    assert_auth(request)
    assert parse_qs(urlsplit(str(request.url)).query) == {
        "start_time": ["2025-06-01T11:00:00Z"],
        "max_results": ["100"],
        "exclude": ["retweets"],
        "tweet.fields": ["created_at,note_tweet"],
    }
    assert posts == [
        RecentPost(
            platform_post_id="1930000000000000002",
            text="A long thought that X cuts short, told in full.",
            created_at=datetime(2025, 6, 1, 11, 40, 40, tzinfo=UTC),
            url="https://x.com/heraldhq/status/1930000000000000002",
        ),
        RecentPost(
            platform_post_id="1930000000000000001",
            text="Hello from Herald",
            created_at=datetime(2025, 6, 1, 11, 0, tzinfo=UTC),
            url="https://x.com/heraldhq/status/1930000000000000001",
        ),
    ]


@pytest.mark.anyio
async def test_a_long_post_reads_back_as_written_and_matches_heralds_text(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """A long post (over 280 characters) comes back with a cut `text` and its whole text in
    `note_tweet.text`; X writes `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;` and links as t.co
    links. Read back, the post is Herald's text again, so reconciliation's comparison finds it.

    https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id,
    https://docs.x.com/x-api/fundamentals/data-dictionary/reference (note_tweet),
    https://twittercommunity.com/t/ampersands-are-translated-to-amp-when-received-by-the-account-activity-api/107607
    """
    written = (
        "Q&A tonight: <b> is bold, a > b, and everything else you asked about the launch. "
        + "More notes follow, one sentence at a time, until this post is well past the old "
        + "limit of 280 characters that X still applies to the text field of every long post. "
        + "Details at https://herald.example/launch?utm=x&ref=long and in the replies."
    )
    assert len(written) > 280
    escaped = (
        "Q&amp;A tonight: &lt;b&gt; is bold, a &gt; b, and everything else you asked about the "
        + "launch. More notes follow, one sentence at a time, until this post is well past the old "
        + "limit of 280 characters that X still applies to the text field of every long post. "
        + "Details at https://t.co/Lw3xYz0AbC and in the replies."
    )
    mock.get(f"{API}/2/users/2244994945/tweets").respond(
        200,
        json={
            "data": [
                {
                    "id": "1930000000000000004",
                    "text": escaped[:270] + "\u2026 https://t.co/56a0vZUx7i",
                    "note_tweet": {"text": escaped},
                    "created_at": "2025-06-01T11:00:05.000Z",
                    "edit_history_tweet_ids": ["1930000000000000004"],
                },
                {
                    "id": "1930000000000000005",
                    "text": "Fish &amp; chips &lt;3",
                    "created_at": "2025-06-01T11:00:04.000Z",
                    "edit_history_tweet_ids": ["1930000000000000005"],
                },
            ],
            "meta": {"result_count": 2},
        },
    )
    since = datetime(2025, 6, 1, 11, 0, tzinfo=UTC)
    posts = await adapter.recent_posts(TOKENS, ACCOUNT, since)

    assert [post.text for post in posts] == [
        escaped.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"),
        "Fish & chips <3",
    ]
    assert matching_post(posts, written, since) == posts[0]
    assert matching_post(posts, "Fish & chips <3", since) == posts[1]


@pytest.mark.anyio
async def test_recent_posts_count_a_post_from_the_same_second_as_since(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """created_at is given to the second (.000Z): a post made 300 ms after `since`, in the same
    second, reads as earlier than `since` and must still be listed. The start_time sent is that
    second too (YYYY-MM-DDTHH:mm:ssZ, inclusive), so X itself lists the post.

    https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id
    """
    route = mock.get(f"{API}/2/users/2244994945/tweets").respond(
        200,
        json={
            "data": [
                {
                    "id": "1930000000000000003",
                    "text": "Just in time",
                    "created_at": "2025-06-01T11:00:00.000Z",
                    "edit_history_tweet_ids": ["1930000000000000003"],
                }
            ],
            "meta": {"result_count": 1},
        },
    )
    since = datetime(2025, 6, 1, 11, 0, 0, 700_000, tzinfo=UTC)
    posts = await adapter.recent_posts(TOKENS, ACCOUNT, since)
    sent = parse_qs(urlsplit(str(route.calls.last.request.url)).query)
    assert sent["start_time"] == ["2025-06-01T11:00:00Z"]
    assert [post.platform_post_id for post in posts] == ["1930000000000000003"]


@pytest.mark.anyio
async def test_recent_posts_with_nothing_in_the_window(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """An empty window answers meta.result_count 0 and no `data` at all.

    https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id
    """
    mock.get(f"{API}/2/users/2244994945/tweets").respond(200, json={"meta": {"result_count": 0}})
    assert await adapter.recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1)) == []


@pytest.mark.anyio
async def test_recent_posts_failures_are_classified(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """429 waits until x-rate-limit-reset; 401 needs a new token.

    https://docs.x.com/resources/fundamentals/rate-limits,
    https://docs.x.com/x-api/fundamentals/response-codes-and-errors
    """
    reset = int(NOW.timestamp()) + 300
    mock.get(f"{API}/2/users/2244994945/tweets").mock(
        side_effect=[
            httpx.Response(
                429,
                headers={"x-rate-limit-reset": str(reset)},
                json={"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
            ),
            httpx.Response(
                401,
                json={"title": "Unauthorized", "detail": "Unauthorized", "status": 401},
            ),
        ]
    )
    with pytest.raises(Retryable) as throttled:
        await adapter.recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))
    assert throttled.value.retry_after == 300
    with pytest.raises(ReauthRequired):
        await adapter.recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))


@pytest.mark.anyio
async def test_recent_posts_refuse_a_naive_since(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """A time without a zone would be read in the server's zone: refused before any call."""
    with pytest.raises(ValueError, match="aware"):
        await adapter.recent_posts(TOKENS, ACCOUNT, datetime(2025, 6, 1, 11, 0))


# -- engagement (the inbox) ---------------------------------------------------------------------

FAN = EngagementAuthor(platform_user_id="1234567890", name="A Fan", handle="afan")
COMMENT = Engagement(
    platform="x",
    platform_account_id="2244994945",
    platform_item_id="1301573587187331074",
    kind="comment",
    text="Hey @heraldhq, love the new API!",
    author=FAN,
    platform_post_id="1301000000000000000",
    thread_id="1301000000000000000",
)
# The documented listing shape: data[] with the requested tweet.fields, the authors under
# includes.users, meta.newest_id / oldest_id / result_count
# (https://docs.x.com/x-api/posts/timelines/quickstart/user-mention-quickstart,
# https://developer.x.com/en/docs/twitter-api/conversation-id).
CONVERSATION = {
    "data": [
        {
            "id": "1301573587187331075",
            "text": "@afan agreed &amp; more",
            "author_id": "63044444",
            "created_at": "2020-07-06T15:58:10.000Z",
            "conversation_id": "1301000000000000000",
            "referenced_tweets": [{"type": "replied_to", "id": "1301573587187331074"}],
        },
        {
            "id": "1301573587187331074",
            "text": "Hey @heraldhq, love the new API!",
            "author_id": "1234567890",
            "created_at": "2020-07-06T15:50:00.000Z",
            "conversation_id": "1301000000000000000",
            "referenced_tweets": [{"type": "replied_to", "id": "1301000000000000000"}],
        },
        {
            "id": "1301000000000000000",
            "text": "Our launch post",
            "author_id": "2244994945",
            "created_at": "2020-07-06T15:00:00.000Z",
            "conversation_id": "1301000000000000000",
        },
    ],
    "includes": {
        "users": [
            {
                "id": "1234567890",
                "name": "A Fan",
                "username": "afan",
                "profile_image_url": "https://pbs.twimg.com/a.jpg",
            },
            {"id": "63044444", "name": "Another", "username": "another"},
        ]
    },
    "meta": {
        "newest_id": "1301573587187331075",
        "oldest_id": "1301000000000000000",
        "result_count": 3,
    },
}
LISTING_FIELDS = {
    "tweet.fields": ["created_at,author_id,conversation_id,referenced_tweets,note_tweet"],
    "expansions": ["author_id"],
    "user.fields": ["name,username,profile_image_url"],
}


@pytest.mark.anyio
async def test_reply_to_a_comment_is_a_reply_post(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """POST /2/tweets with reply.in_reply_to_tweet_id: https://docs.x.com/x-api/posts/create-or-edit-post"""
    route = mock.post(f"{API}/2/tweets").respond(
        201, json={"data": {"id": "1445880548472328192", "text": "Thank you!"}}
    )
    reply = await adapter.reply_to_engagement(TOKENS, ACCOUNT, COMMENT, "Thank you!")
    request = route.calls.last.request
    assert_auth(request)
    assert body(request) == {
        "text": "Thank you!",
        "reply": {"in_reply_to_tweet_id": "1301573587187331074"},
    }
    assert reply == Engagement(
        platform="x",
        platform_account_id="2244994945",
        platform_item_id="1445880548472328192",
        kind="reply",
        text="Thank you!",
        author=EngagementAuthor(platform_user_id="2244994945", name="Herald", handle="heraldhq"),
        created_at=NOW,
        platform_post_id="1301000000000000000",
        parent_id="1301573587187331074",
        thread_id="1301000000000000000",
        permalink="https://x.com/heraldhq/status/1445880548472328192",
    )


@pytest.mark.anyio
@pytest.mark.parametrize("hidden", [True, False])
async def test_hide_and_unhide_a_reply(
    adapter: XAdapter, mock: respx.MockRouter, hidden: bool
) -> None:
    """PUT /2/tweets/:id/hidden {"hidden": bool} answers {"data": {"hidden": bool}}.

    https://docs.x.com/x-api/posts/hide-replies/quickstart
    https://developer.x.com/en/docs/twitter-api/tweets/hide-replies/api-reference
    """
    route = mock.put(f"{API}/2/tweets/1301573587187331074/hidden").respond(
        200, json={"data": {"hidden": hidden}}
    )
    await adapter.hide_engagement(TOKENS, ACCOUNT, COMMENT, hidden=hidden)
    request = route.calls.last.request
    assert_auth(request)
    assert body(request) == {"hidden": hidden}


@pytest.mark.anyio
async def test_hiding_a_reply_outside_the_account_s_conversations_is_permanent(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """Only replies in conversations the user started can be hidden (403 otherwise).

    https://docs.x.com/x-api/posts/hide-replies/quickstart
    """
    mock.put(f"{API}/2/tweets/1301573587187331074/hidden").respond(
        403,
        json={"title": "Forbidden", "detail": "You cannot hide this reply.", "type": "about:blank"},
    )
    with pytest.raises(Permanent, match="cannot hide"):
        await adapter.hide_engagement(TOKENS, ACCOUNT, COMMENT, hidden=True)


@pytest.mark.anyio
async def test_deleting_someone_else_s_reply_is_not_supported(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """https://docs.x.com/x-api/posts/delete-post deletes the authenticated user's own posts."""
    with pytest.raises(NotSupported, match="only its own"):
        await adapter.delete_engagement(TOKENS, ACCOUNT, COMMENT)
    assert not mock.calls


@pytest.mark.anyio
async def test_deleting_the_account_s_own_reply(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """DELETE /2/tweets/:id: https://docs.x.com/x-api/posts/delete-post"""
    route = mock.delete(f"{API}/2/tweets/1445880548472328192").respond(
        200, json={"data": {"deleted": True}}
    )
    own = Engagement(
        platform="x",
        platform_account_id="2244994945",
        platform_item_id="1445880548472328192",
        kind="reply",
        text="Thank you!",
        author=EngagementAuthor(platform_user_id="2244994945"),
    )
    await adapter.delete_engagement(TOKENS, ACCOUNT, own)
    assert_auth(route.calls.last.request)


@pytest.mark.anyio
async def test_list_comments_searches_the_conversation_since_the_cursor(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """GET /2/tweets/search/recent?query=conversation_id:<id>&since_id=...

    https://docs.x.com/x-api/posts/search-recent-posts
    https://developer.x.com/en/docs/twitter-api/conversation-id
    """
    route = mock.get(f"{API}/2/tweets/search/recent").respond(200, json=CONVERSATION)
    page = await adapter.list_comments(
        TOKENS, ACCOUNT, "1301000000000000000", "1301500000000000000"
    )
    request = route.calls.last.request
    assert_auth(request)
    assert parse_qs(request.url.query.decode()) == {
        "query": ["conversation_id:1301000000000000000"],
        "max_results": ["100"],
        "since_id": ["1301500000000000000"],
        **LISTING_FIELDS,
    }
    assert page.cursor == "1301573587187331075"
    reply, comment = page.items
    assert comment == Engagement(
        platform="x",
        platform_account_id="2244994945",
        platform_item_id="1301573587187331074",
        kind="comment",
        text="Hey @heraldhq, love the new API!",
        author=EngagementAuthor(
            platform_user_id="1234567890",
            name="A Fan",
            handle="afan",
            avatar_url="https://pbs.twimg.com/a.jpg",
        ),
        created_at=datetime(2020, 7, 6, 15, 50, tzinfo=UTC),
        platform_post_id="1301000000000000000",
        parent_id="1301000000000000000",
        thread_id="1301000000000000000",
        permalink="https://x.com/afan/status/1301573587187331074",
    )
    assert reply.kind == "reply"
    assert reply.text == "@afan agreed & more"
    assert reply.parent_id == "1301573587187331074"
    assert reply.author.handle == "another"


@pytest.mark.anyio
async def test_nothing_new_answers_no_cursor(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """No match answers without data, meta.result_count 0:
    https://docs.x.com/x-api/posts/search-recent-posts"""
    route = mock.get(f"{API}/2/tweets/search/recent").respond(
        200, json={"meta": {"result_count": 0}}
    )
    page = await adapter.list_comments(TOKENS, ACCOUNT, "1301000000000000000", None)
    assert "since_id" not in parse_qs(route.calls.last.request.url.query.decode())
    assert page == EngagementPage(items=[], cursor=None)


@pytest.mark.anyio
async def test_list_mentions(adapter: XAdapter, mock: respx.MockRouter) -> None:
    """GET /2/users/:id/mentions with since_id, expansions=author_id.

    https://docs.x.com/x-api/posts/user-mention-timeline-by-user-id
    https://docs.x.com/x-api/posts/timelines/quickstart/user-mention-quickstart
    """
    route = mock.get(f"{API}/2/users/2244994945/mentions").respond(
        200,
        json={
            "data": [
                {
                    "id": "1301573587187331074",
                    "text": "Hey @heraldhq, love the new API!",
                    "author_id": "1234567890",
                    "created_at": "2024-01-15T10:30:00.000Z",
                    "conversation_id": "1301573587187331074",
                }
            ],
            "includes": {"users": [{"id": "1234567890", "name": "A Fan", "username": "afan"}]},
            "meta": {"newest_id": "1301573587187331074", "result_count": 1},
        },
    )
    page = await adapter.list_mentions(TOKENS, ACCOUNT, "1301000000000000000")
    request = route.calls.last.request
    assert_auth(request)
    assert parse_qs(request.url.query.decode()) == {
        "max_results": ["100"],
        "since_id": ["1301000000000000000"],
        **LISTING_FIELDS,
    }
    assert page.cursor == "1301573587187331074"
    assert page.items == [
        Engagement(
            platform="x",
            platform_account_id="2244994945",
            platform_item_id="1301573587187331074",
            kind="mention",
            text="Hey @heraldhq, love the new API!",
            author=EngagementAuthor(platform_user_id="1234567890", name="A Fan", handle="afan"),
            created_at=datetime(2024, 1, 15, 10, 30, tzinfo=UTC),
            platform_post_id="1301573587187331074",
            thread_id="1301573587187331074",
            permalink="https://x.com/afan/status/1301573587187331074",
        )
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (429, {"retry-after": "30"}, Retryable),
        (401, {}, ReauthRequired),
        (400, {}, Permanent),
    ],
)
async def test_listing_failures_are_classified(
    adapter: XAdapter,
    mock: respx.MockRouter,
    status: int,
    headers: dict[str, str],
    error: type[Exception],
) -> None:
    """https://docs.x.com/x-api/fundamentals/response-codes-and-errors"""
    mock.get(f"{API}/2/users/2244994945/mentions").respond(
        status, headers=headers, json={"title": "Error", "detail": "refused", "type": "about:blank"}
    )
    with pytest.raises(error) as caught:
        await adapter.list_mentions(TOKENS, ACCOUNT, None)
    if status == 429:
        assert isinstance(caught.value, Retryable)
        assert caught.value.retry_after == 30


def mentions_timeline(mention_ids: list[int]) -> Any:
    """X's mentions timeline as documented: newest first, `since_id` keeps what is newer,
    `max_results` per page, `meta.next_token` while more match (the same `since_id` and the
    token as `pagination_token` give the next page), `meta.newest_id` the newest of the page.
    https://docs.x.com/x-api/posts/user-mention-timeline-by-user-id
    https://docs.x.com/x-api/fundamentals/pagination"""

    def answer(request: httpx.Request) -> httpx.Response:
        query = parse_qs(request.url.query.decode())
        since = int(query["since_id"][0]) if "since_id" in query else 0
        size = int(query["max_results"][0])
        start = (
            int(query["pagination_token"][0].removeprefix("page-"))
            if ("pagination_token" in query)
            else 0
        )
        matching = sorted((found for found in mention_ids if found > since), reverse=True)
        page = matching[start : start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta |= {"newest_id": str(page[0]), "oldest_id": str(page[-1])}
        if start + size < len(matching):
            meta["next_token"] = f"page-{start + size}"
        data = [
            {"id": str(found), "text": f"@heraldhq {found}", "author_id": "1234567890"}
            for found in page
        ]
        return httpx.Response(200, json={"data": data, "meta": meta} if data else {"meta": meta})

    return answer


@pytest.mark.anyio
async def test_a_burst_of_mentions_beyond_a_page_is_read_page_by_page_each_once(
    adapter: XAdapter, mock: respx.MockRouter
) -> None:
    """250 mentions between two polls (2.5 pages of 100): the walk keeps `since_id` and follows
    `next_token` as `pagination_token` until the pages end, then starts after the newest id of
    its first page (https://docs.x.com/x-api/fundamentals/pagination, "polling with since_id" in
    https://docs.x.com/x-api/posts/search/integrate/paginate). The cursor kept before walks
    existed (a plain since-id) still reads."""
    timeline = list(range(1000, 1251))
    route = mock.get(f"{API}/2/users/2244994945/mentions").mock(
        side_effect=mentions_timeline(timeline)
    )
    cursor: str | None = "1000"
    seen: list[str] = []
    walked: list[bool] = []
    for _ in range(3):
        page = await adapter.list_mentions(TOKENS, ACCOUNT, cursor)
        seen += [item.platform_item_id for item in page.items]
        walked.append(page.more)
        cursor = page.cursor
    assert walked == [True, True, False]
    assert sorted(seen) == [str(found) for found in range(1001, 1251)]
    assert len(seen) == len(set(seen)) == 250
    asked = [parse_qs(call.request.url.query.decode()) for call in route.calls]
    assert [query["since_id"] for query in asked] == [["1000"]] * 3
    assert [query.get("pagination_token") for query in asked] == [None, ["page-100"], ["page-200"]]
    assert cursor == "1250"

    timeline.append(1251)
    page = await adapter.list_mentions(TOKENS, ACCOUNT, cursor)
    assert [item.platform_item_id for item in page.items] == ["1251"]
    assert (page.cursor, page.more) == ("1251", False)
    assert parse_qs(route.calls.last.request.url.query.decode())["since_id"] == ["1250"]
