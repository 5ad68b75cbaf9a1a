"""TikTok adapter: the exact requests of every flow, intercepted at the transport with respx."""

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    MediaFile,
    NotSupported,
    Permanent,
    PublishRequest,
    PublishResult,
    ReauthRequired,
    RecentPost,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.platforms.tiktok import TikTokAdapter, chunk_plan
from functions.shared.engagement import Engagement, EngagementAuthor
from tests.platforms.media_bytes import in_memory

API = "https://open.tiktokapis.com/v2"
UPLOAD_URL = "https://open-upload.tiktokapis.com/video/?upload_id=67890&upload_token=Xza123"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOKENS = TokenSet(access_token="act.user-token", refresh_token="rft.user-refresh")
ACCOUNT = ConnectedAccount(platform_account_id="open-id-1", name="Creator", handle="creator")
CREATOR = {
    "creator_avatar_url": "https://p16.tiktokcdn.com/avatar.jpeg",
    "creator_username": "creator",
    "creator_nickname": "Creator",
    "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
    "comment_disabled": True,
    "duet_disabled": False,
    "stitch_disabled": False,
    "max_video_post_duration_sec": 600,
}
OK = {"code": "ok", "message": "", "log_id": "202603011200000000"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        yield router


def make_adapter(http: httpx.AsyncClient, chunk_size: int = 10 * 1024 * 1024) -> TikTokAdapter:
    return TikTokAdapter(
        client_key="client-key",
        client_secret="client-secret",
        http=http,
        chunk_size=chunk_size,
        clock=lambda: NOW,
    )


def media(kind: Any, content_type: str, data: bytes, url: str = "", **extra: Any) -> MediaFile:
    return in_memory(kind, content_type, data, url, **extra)


def answer(data: dict[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"data": data, "error": OK})


def error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "log_id": "log-1"}}
    return httpx.Response(status, json=body, headers=headers)


def assert_api_call(request: httpx.Request, path: str, body: Any | None) -> None:
    assert request.method == "POST"
    assert str(request.url) == f"{API}{path}"
    assert request.headers["Authorization"] == "Bearer act.user-token"
    if body is not None:
        assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
        assert json.loads(request.content) == body


def mock_creator(mock: respx.MockRouter, creator: dict[str, Any] = CREATOR) -> respx.Route:
    return mock.post(f"{API}/post/publish/creator_info/query/").mock(return_value=answer(creator))


@pytest.mark.anyio
async def test_creator_info_query(mock: respx.MockRouter) -> None:
    """POST /v2/post/publish/creator_info/query/ with the user's bearer token.

    https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
    """
    route = mock_creator(mock)
    async with httpx.AsyncClient() as http:
        info = await make_adapter(http).creator_info(TOKENS)
    assert info["privacy_level_options"] == CREATOR["privacy_level_options"]
    assert route.call_count == 1
    assert_api_call(route.calls[0].request, "/post/publish/creator_info/query/", {})


@pytest.mark.anyio
async def test_video_direct_post_uploads_every_chunk_in_order(mock: respx.MockRouter) -> None:
    """Creator info, then video/init with post_info and FILE_UPLOAD source_info (video_size,
    chunk_size, total_chunk_count = floor(size / chunk_size)), then one PUT per chunk with
    Content-Type and Content-Range; the last chunk absorbs the trailing bytes.

    https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
    https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
    """
    video = os.urandom(3500)
    creator = mock_creator(mock)
    init = mock.post(f"{API}/post/publish/video/init/").mock(
        return_value=answer({"publish_id": "v_pub_file~v2-1.123456789", "upload_url": UPLOAD_URL})
    )
    upload = mock.put(UPLOAD_URL).mock(
        side_effect=[httpx.Response(206), httpx.Response(206), httpx.Response(201)]
    )
    request = PublishRequest(
        text="Launch day #herald",
        media=[media("video", "video/mp4", video, duration_seconds=12.5)],
        options={"privacy_level": "MUTUAL_FOLLOW_FRIENDS", "video_cover_timestamp_ms": 1000},
    )
    async with httpx.AsyncClient() as http:
        result = await make_adapter(http, chunk_size=1000).publish(TOKENS, ACCOUNT, request)

    assert creator.call_count == 1
    assert init.call_count == 1
    assert_api_call(
        init.calls[0].request,
        "/post/publish/video/init/",
        {
            "post_info": {
                "title": "Launch day #herald",
                "privacy_level": "MUTUAL_FOLLOW_FRIENDS",
                # The creator disabled comments in TikTok: it stays disabled.
                "disable_comment": True,
                "disable_duet": False,
                "disable_stitch": False,
                "video_cover_timestamp_ms": 1000,
            },
            "source_info": {
                "source": "FILE_UPLOAD",
                "video_size": 3500,
                "chunk_size": 1000,
                "total_chunk_count": 3,
            },
        },
    )
    expected = [(0, 1000), (1000, 2000), (2000, 3500)]
    assert upload.call_count == len(expected)
    for call, (start, end) in zip(upload.calls, expected, strict=True):
        sent = call.request
        assert sent.method == "PUT"
        assert str(sent.url) == UPLOAD_URL
        assert sent.headers["Content-Type"] == "video/mp4"
        assert sent.headers["Content-Range"] == f"bytes {start}-{end - 1}/3500"
        assert sent.headers["Content-Length"] == str(end - start)
        assert sent.content == video[start:end]
    assert b"".join(call.request.content for call in upload.calls) == video
    assert result.state == "processing"
    assert result.progress == {"publish_id": "v_pub_file~v2-1.123456789", "media_type": "video"}


@pytest.mark.anyio
async def test_video_smaller_than_a_chunk_goes_whole(mock: respx.MockRouter) -> None:
    """A video under one chunk is sent whole: chunk_size = video_size, one chunk.

    https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
    """
    video = os.urandom(700)
    mock_creator(mock, {**CREATOR, "comment_disabled": False})
    init = mock.post(f"{API}/post/publish/video/init/").mock(
        return_value=answer({"publish_id": "p1", "upload_url": UPLOAD_URL})
    )
    upload = mock.put(UPLOAD_URL).mock(return_value=httpx.Response(201))
    request = PublishRequest(
        text="Short one",
        media=[media("video", "video/quicktime", video)],
        options={"privacy_level": "SELF_ONLY", "disable_duet": True},
    )
    async with httpx.AsyncClient() as http:
        await make_adapter(http, chunk_size=1000).publish(TOKENS, ACCOUNT, request)
    body = json.loads(init.calls[0].request.content)
    assert body["post_info"] == {
        "title": "Short one",
        "privacy_level": "SELF_ONLY",
        "disable_comment": False,
        "disable_duet": True,
        "disable_stitch": False,
    }
    assert body["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": 700,
        "chunk_size": 700,
        "total_chunk_count": 1,
    }
    assert upload.calls[0].request.headers["Content-Range"] == "bytes 0-699/700"
    assert upload.calls[0].request.headers["Content-Type"] == "video/quicktime"
    assert upload.calls[0].request.content == video


def test_chunk_plan_follows_the_media_transfer_rules() -> None:
    """total_chunk_count = floor(video_size / chunk_size); the final chunk takes the rest.

    https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
    """
    mb = 1024 * 1024
    assert chunk_plan(4 * mb, 10 * mb) == [(0, 4 * mb)]
    assert chunk_plan(25 * mb, 10 * mb) == [(0, 10 * mb), (10 * mb, 25 * mb)]
    assert chunk_plan(30 * mb, 10 * mb) == [(0, 10 * mb), (10 * mb, 20 * mb), (20 * mb, 30 * mb)]
    with pytest.raises(ValueError, match="at most"):
        TikTokAdapter(
            client_key="k", client_secret="s", http=httpx.AsyncClient(), chunk_size=65 * mb
        )


@pytest.mark.anyio
async def test_privacy_level_must_be_one_the_creator_offers(mock: respx.MockRouter) -> None:
    """privacy_level must be one of creator_info's privacy_level_options; nothing is posted.

    https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
    """
    mock_creator(mock, {**CREATOR, "privacy_level_options": ["SELF_ONLY"]})
    request = PublishRequest(
        text="x",
        media=[media("video", "video/mp4", os.urandom(10))],
        options={"privacy_level": "PUBLIC_TO_EVERYONE"},
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(Permanent) as refused:
            await make_adapter(http).publish(TOKENS, ACCOUNT, request)
    assert refused.value.code == "privacy_level_option_mismatch"
    assert "SELF_ONLY" in refused.value.message


@pytest.mark.anyio
async def test_privacy_level_has_no_default(mock: respx.MockRouter) -> None:
    """TikTok's UX guidelines: the user chooses the privacy level; there is no default.

    https://developers.tiktok.com/doc/content-sharing-guidelines
    """
    mock_creator(mock)
    request = PublishRequest(text="x", media=[media("video", "video/mp4", os.urandom(10))])
    async with httpx.AsyncClient() as http:
        with pytest.raises(Permanent) as refused:
            await make_adapter(http).publish(TOKENS, ACCOUNT, request)
    assert refused.value.code == "privacy_level_required"


@pytest.mark.anyio
async def test_video_longer_than_the_creator_may_post(mock: respx.MockRouter) -> None:
    """max_video_post_duration_sec from creator info bounds the video.

    https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
    """
    mock_creator(mock, {**CREATOR, "max_video_post_duration_sec": 60})
    request = PublishRequest(
        text="x",
        media=[media("video", "video/mp4", os.urandom(10), duration_seconds=61.0)],
        options={"privacy_level": "SELF_ONLY"},
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(Permanent, match="60 seconds"):
            await make_adapter(http).publish(TOKENS, ACCOUNT, request)


@pytest.mark.anyio
async def test_photo_post_pulls_images_from_their_urls(mock: respx.MockRouter) -> None:
    """POST /v2/post/publish/content/init/ with media_type PHOTO, post_mode DIRECT_POST and
    PULL_FROM_URL photo_images.

    https://developers.tiktok.com/doc/content-posting-api-reference-photo-post
    """
    mock_creator(mock)
    init = mock.post(f"{API}/post/publish/content/init/").mock(
        return_value=answer({"publish_id": "p_pub_url~v2.123456789"})
    )
    photos = [
        media("image", "image/jpeg", b"", url="https://media.example.com/a.jpg"),
        media("image", "image/jpeg", b"", url="https://media.example.com/b.jpg"),
    ]
    request = PublishRequest(
        text="Two views of the launch",
        media=photos,
        options={
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "title": "Launch",
            "photo_cover_index": 1,
            "auto_add_music": True,
        },
    )
    async with httpx.AsyncClient() as http:
        result = await make_adapter(http).publish(TOKENS, ACCOUNT, request)
    assert_api_call(
        init.calls[0].request,
        "/post/publish/content/init/",
        {
            "post_info": {
                "title": "Launch",
                "description": "Two views of the launch",
                "privacy_level": "PUBLIC_TO_EVERYONE",
                "disable_comment": True,
                "auto_add_music": True,
            },
            "source_info": {
                "source": "PULL_FROM_URL",
                "photo_cover_index": 1,
                "photo_images": [
                    "https://media.example.com/a.jpg",
                    "https://media.example.com/b.jpg",
                ],
            },
            "post_mode": "DIRECT_POST",
            "media_type": "PHOTO",
        },
    )
    assert result.state == "processing"
    assert result.progress == {"publish_id": "p_pub_url~v2.123456789", "media_type": "photo"}


@pytest.mark.anyio
async def test_text_only_is_refused_without_a_call(mock: respx.MockRouter) -> None:
    """A TikTok post is a video or photos.

    https://developers.tiktok.com/doc/content-posting-api-get-started
    """
    async with httpx.AsyncClient() as http:
        with pytest.raises(Permanent, match="one video"):
            await make_adapter(http).publish(TOKENS, ACCOUNT, PublishRequest(text="hi"))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"status": "PROCESSING_UPLOAD", "uploaded_bytes": 1000}, ("processing", None, None)),
        (
            {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [7343210000000000001]},
            (
                "published",
                "7343210000000000001",
                "https://www.tiktok.com/@creator/video/7343210000000000001",
            ),
        ),
        (
            {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": []},
            ("published", None, None),
        ),
        ({"status": "FAILED", "fail_reason": "file_format_check_failed"}, ("failed", None, None)),
    ],
)
async def test_status_is_one_fetch(
    mock: respx.MockRouter, data: dict[str, Any], expected: tuple[str, str | None, str | None]
) -> None:
    """POST /v2/post/publish/status/fetch/ with the publish_id; one poll per call.

    https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
    """
    route = mock.post(f"{API}/post/publish/status/fetch/").mock(return_value=answer(data))
    result = PublishResult(state="processing", progress={"publish_id": "v_pub_file~v2-1.1"})
    async with httpx.AsyncClient() as http:
        status = await make_adapter(http).status(TOKENS, ACCOUNT, result)
    assert_api_call(
        route.calls[0].request, "/post/publish/status/fetch/", {"publish_id": "v_pub_file~v2-1.1"}
    )
    assert (status.state, status.platform_post_id, status.url) == expected
    if status.state == "failed":
        assert status.error == "file_format_check_failed"
    if status.state == "processing":
        assert status.check_after_seconds


def test_authorization_url() -> None:
    """https://www.tiktok.com/v2/auth/authorize/ with client_key, comma-separated scopes,
    response_type=code, redirect_uri and state (Login Kit for Web documents no PKCE).

    https://developers.tiktok.com/doc/login-kit-web
    """
    adapter = make_adapter(httpx.AsyncClient())
    url = adapter.authorization_url(
        state="signed-state", code_challenge="challenge", redirect_uri="https://app/cb"
    )
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}"
        == "https://www.tiktok.com/v2/auth/authorize/"
    )
    assert parse_qs(parts.query) == {
        "client_key": ["client-key"],
        "scope": ["user.info.basic,user.info.profile,user.info.stats,video.publish,video.list"],
        "response_type": ["code"],
        "redirect_uri": ["https://app/cb"],
        "state": ["signed-state"],
    }


def token_body(**extra: Any) -> dict[str, Any]:
    return {
        "access_token": "act.new",
        "expires_in": 86400,
        "open_id": "open-id-1",
        "refresh_expires_in": 31536000,
        "refresh_token": "rft.new",
        "scope": "user.info.basic,video.publish",
        "token_type": "Bearer",
        **extra,
    }


@pytest.mark.anyio
async def test_exchange_code(mock: respx.MockRouter) -> None:
    """POST https://open.tiktokapis.com/v2/oauth/token/ (form) with grant_type=authorization_code.

    https://developers.tiktok.com/doc/oauth-user-access-token-management
    """
    route = mock.post(f"{API}/oauth/token/").mock(
        return_value=httpx.Response(200, json=token_body())
    )
    async with httpx.AsyncClient() as http:
        tokens = await make_adapter(http).exchange_code(
            code="auth-code", code_verifier="verifier", redirect_uri="https://app/cb"
        )
    sent = route.calls[0].request
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(sent.content.decode()) == {
        "client_key": ["client-key"],
        "client_secret": ["client-secret"],
        "code": ["auth-code"],
        "grant_type": ["authorization_code"],
        "redirect_uri": ["https://app/cb"],
    }
    assert tokens == TokenSet(
        access_token="act.new",
        refresh_token="rft.new",
        expires_at=NOW + timedelta(seconds=86400),
        scopes=("user.info.basic", "video.publish"),
    )


@pytest.mark.anyio
async def test_refresh(mock: respx.MockRouter) -> None:
    """grant_type=refresh_token on the same endpoint; the answer may rotate the refresh token.

    https://developers.tiktok.com/doc/oauth-user-access-token-management
    """
    route = mock.post(f"{API}/oauth/token/").mock(
        return_value=httpx.Response(200, json=token_body())
    )
    async with httpx.AsyncClient() as http:
        tokens = await make_adapter(http).refresh(TOKENS)
    assert parse_qs(route.calls[0].request.content.decode()) == {
        "client_key": ["client-key"],
        "client_secret": ["client-secret"],
        "grant_type": ["refresh_token"],
        "refresh_token": ["rft.user-refresh"],
    }
    assert tokens.access_token == "act.new"
    assert tokens.refresh_token == "rft.new"


@pytest.mark.anyio
async def test_refused_refresh_needs_reauth(mock: respx.MockRouter) -> None:
    """An invalid refresh token answers error=invalid_grant: the account must reconnect.

    https://developers.tiktok.com/doc/oauth-user-access-token-management
    """
    body = {
        "error": "invalid_grant",
        "error_description": "Refresh token is invalid or expired.",
        "log_id": "log-1",
    }
    mock.post(f"{API}/oauth/token/").mock(return_value=httpx.Response(400, json=body))
    async with httpx.AsyncClient() as http:
        with pytest.raises(ReauthRequired, match="Refresh token is invalid"):
            await make_adapter(http).refresh(TOKENS)


@pytest.mark.anyio
async def test_accounts_from_user_info(mock: respx.MockRouter) -> None:
    """GET /v2/user/info/?fields=open_id,union_id,avatar_url,display_name,username.

    https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info
    """
    fields = "open_id,union_id,avatar_url,display_name,username"
    route = mock.get(f"{API}/user/info/", params={"fields": fields}).mock(
        return_value=answer(
            {
                "user": {
                    "open_id": "open-id-1",
                    "union_id": "union-1",
                    "avatar_url": "https://p16.tiktokcdn.com/a.jpeg",
                    "display_name": "Creator",
                    "username": "creator",
                }
            }
        )
    )
    async with httpx.AsyncClient() as http:
        found = await make_adapter(http).accounts(TOKENS)
    sent = route.calls[0].request
    assert sent.method == "GET"
    assert sent.headers["Authorization"] == "Bearer act.user-token"
    assert dict(sent.url.params) == {"fields": fields}
    assert found == [
        (
            ConnectedAccount(
                platform_account_id="open-id-1",
                name="Creator",
                handle="creator",
                avatar_url="https://p16.tiktokcdn.com/a.jpeg",
                kind="profile",
            ),
            TOKENS,
        )
    ]


@pytest.mark.anyio
async def test_metrics_from_video_query(mock: respx.MockRouter) -> None:
    """POST /v2/video/query/?fields=... with filters.video_ids.

    https://developers.tiktok.com/doc/tiktok-api-v2-video-query
    """
    fields = "id,view_count,like_count,comment_count,share_count"
    route = mock.post(f"{API}/video/query/", params={"fields": fields}).mock(
        return_value=answer(
            {
                "videos": [
                    {
                        "id": "734",
                        "view_count": 1200,
                        "like_count": 80,
                        "comment_count": 7,
                        "share_count": 3,
                    }
                ]
            }
        )
    )
    async with httpx.AsyncClient() as http:
        metrics = await make_adapter(http).metrics(TOKENS, ACCOUNT, "734")
    sent = route.calls[0].request
    assert sent.headers["Authorization"] == "Bearer act.user-token"
    assert dict(sent.url.params) == {"fields": fields}
    assert json.loads(sent.content) == {"filters": {"video_ids": ["734"]}}
    assert metrics == {"views": 1200, "likes": 80, "comments": 7, "shares": 3}


@pytest.mark.anyio
async def test_metrics_of_many_videos_in_one_query(mock: respx.MockRouter) -> None:
    """filters.video_ids takes up to 20 of the user's videos; one TikTok does not return is
    left out. https://developers.tiktok.com/doc/tiktok-api-v2-video-query"""
    fields = "id,view_count,like_count,comment_count,share_count"
    route = mock.post(f"{API}/video/query/", params={"fields": fields}).mock(
        return_value=answer({"videos": [{"id": "2", "view_count": 9, "like_count": 1}]})
    )
    async with httpx.AsyncClient() as http:
        found = await make_adapter(http).metrics_many(TOKENS, ACCOUNT, ["1", "2"])
    assert json.loads(route.calls[0].request.content) == {"filters": {"video_ids": ["1", "2"]}}
    assert found == {"2": {"views": 9, "likes": 1, "comments": 0, "shares": 0}}
    assert TikTokAdapter.metrics_batch_size == 20


@pytest.mark.anyio
async def test_delete_and_comment_are_not_offered() -> None:
    """The Content Posting API offers no delete and no comment endpoint.

    https://developers.tiktok.com/doc/content-posting-api-get-started
    """
    async with httpx.AsyncClient() as http:
        adapter = make_adapter(http)
        with pytest.raises(Permanent, match="delete"):
            await adapter.delete(TOKENS, ACCOUNT, "734")
        with pytest.raises(Permanent, match="comments"):
            await adapter.comment(TOKENS, ACCOUNT, "734", "first")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("response", "kind", "code", "retry_after"),
    [
        (
            error(
                429,
                "rate_limit_exceeded",
                "The API rate limit was exceeded.",
                **{"Retry-After": "30"},
            ),
            Retryable,
            "rate_limit_exceeded",
            30.0,
        ),
        (error(500, "internal_error", "Internal error."), Retryable, "internal_error", None),
        (httpx.Response(503, text="Service Unavailable"), Retryable, None, None),
        (
            error(401, "access_token_invalid", "The access token is invalid or not found."),
            ReauthRequired,
            "access_token_invalid",
            None,
        ),
        (
            error(401, "scope_not_authorized", "The user did not authorize the scope."),
            ReauthRequired,
            "scope_not_authorized",
            None,
        ),
        (
            error(403, "spam_risk_too_many_posts", "The daily post cap for the user is reached."),
            Permanent,
            "spam_risk_too_many_posts",
            None,
        ),
        (
            error(400, "privacy_level_option_mismatch", "privacy_level is not an allowed option."),
            Permanent,
            "privacy_level_option_mismatch",
            None,
        ),
        # A 200 whose error.code is not "ok" is still refused.
        (
            error(200, "access_token_invalid", "The access token is invalid or not found."),
            ReauthRequired,
            "access_token_invalid",
            None,
        ),
    ],
)
async def test_error_classification(
    mock: respx.MockRouter,
    response: httpx.Response,
    kind: type[Exception],
    code: str | None,
    retry_after: float | None,
) -> None:
    """error.code decides: access_token_invalid/scope_not_authorized -> reauth, rate_limit_exceeded
    and internal_error -> retry (Retry-After honoured), content refusals -> permanent with TikTok's
    message.

    https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
    https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
    """
    mock_creator(mock).mock(return_value=response)
    async with httpx.AsyncClient() as http:
        with pytest.raises(kind) as raised:
            await make_adapter(http).creator_info(TOKENS)
    failure: Any = raised.value
    assert failure.platform == "tiktok"
    assert failure.code == code
    if code is not None:
        assert failure.message == response.json()["error"]["message"]
    if isinstance(failure, Retryable):
        assert failure.retry_after == retry_after


@pytest.mark.anyio
async def test_timeout_during_a_chunk_is_retryable(mock: respx.MockRouter) -> None:
    """A transport timeout anywhere (here on a chunk PUT) is retryable.

    https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
    """
    mock_creator(mock)
    mock.post(f"{API}/post/publish/video/init/").mock(
        return_value=answer({"publish_id": "p1", "upload_url": UPLOAD_URL})
    )
    mock.put(UPLOAD_URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    request = PublishRequest(
        text="x",
        media=[media("video", "video/mp4", os.urandom(50))],
        options={"privacy_level": "SELF_ONLY"},
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(Retryable, match="did not answer in time"):
            await make_adapter(http).publish(TOKENS, ACCOUNT, request)


@pytest.mark.anyio
async def test_revoke_the_user_access_token(mock: respx.MockRouter) -> None:
    """POST /v2/oauth/revoke/ with client_key, client_secret and token (form); empty answer.

    https://developers.tiktok.com/doc/oauth-revoke-a-user-access-token
    """
    route = mock.post(f"{API}/oauth/revoke/").mock(return_value=httpx.Response(200, json={}))
    async with httpx.AsyncClient() as http:
        assert await make_adapter(http).revoke(TOKENS) is True
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in request.headers
    assert parse_qs(request.content.decode()) == {
        "client_key": ["client-key"],
        "client_secret": ["client-secret"],
        "token": ["act.user-token"],
    }


@pytest.mark.anyio
async def test_revoke_failures_are_classified(mock: respx.MockRouter) -> None:
    """OAuth-style errors (even with 200) and API error codes; 429 and timeouts are retried.

    https://developers.tiktok.com/doc/oauth-revoke-a-user-access-token,
    https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
    """
    mock.post(f"{API}/oauth/revoke/").mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "error": "invalid_request",
                    "error_description": "The token is malformed.",
                    "log_id": "1",
                },
            ),
            httpx.Response(
                401,
                json={
                    "error": {
                        "code": "access_token_invalid",
                        "message": "The access token is invalid or not found in the request.",
                        "log_id": "2",
                    }
                },
            ),
            httpx.Response(
                429,
                headers={"retry-after": "60"},
                json={"error": {"code": "rate_limit_exceeded", "message": "Slow down."}},
            ),
            httpx.ReadTimeout("slow"),
        ]
    )
    async with httpx.AsyncClient() as http:
        adapter = make_adapter(http)
        with pytest.raises(Permanent, match=r"The token is malformed\."):
            await adapter.revoke(TOKENS)
        with pytest.raises(ReauthRequired, match="access token is invalid"):
            await adapter.revoke(TOKENS)
        with pytest.raises(Retryable) as throttled:
            await adapter.revoke(TOKENS)
        assert throttled.value.retry_after == 60
        with pytest.raises(Retryable):
            await adapter.revoke(TOKENS)


# -- reconciling --------------------------------------------------------------------------------

LIST_FIELDS = "id,title,video_description,create_time,share_url"


@pytest.mark.anyio
async def test_recent_posts_list_the_creators_newest_videos(mock: respx.MockRouter) -> None:
    """POST /v2/video/list/?fields=... with {"max_count": 20} (the most a page holds): videos
    newest first, create_time in Unix seconds; the listing has no start time, so older videos
    are dropped here.

    https://developers.tiktok.com/doc/tiktok-api-v2-video-list
    """
    route = mock.post(f"{API}/video/list/", params={"fields": LIST_FIELDS}).mock(
        return_value=answer(
            {
                "videos": [
                    {
                        "id": "7380080137682881835",
                        "title": "",
                        "video_description": "Behind the scenes #herald",
                        "create_time": int((NOW - timedelta(minutes=10)).timestamp()),
                        "share_url": "https://www.tiktok.com/@creator/video/7380080137682881835",
                    },
                    {
                        "id": "7380080137682881834",
                        "title": "Old clip",
                        "create_time": int((NOW - timedelta(days=3)).timestamp()),
                        "share_url": "https://www.tiktok.com/@creator/video/7380080137682881834",
                    },
                ],
                "cursor": int((NOW - timedelta(days=3)).timestamp() * 1000),
                "has_more": True,
            }
        )
    )
    async with httpx.AsyncClient() as http:
        posts = await make_adapter(http).recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))
    sent = route.calls[0].request
    assert_api_call(sent, f"/video/list/?fields={LIST_FIELDS.replace(',', '%2C')}", None)
    assert sent.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert json.loads(sent.content) == {"max_count": 20}
    assert posts == [
        RecentPost(
            platform_post_id="7380080137682881835",
            text="Behind the scenes #herald",
            created_at=NOW - timedelta(minutes=10),
            url="https://www.tiktok.com/@creator/video/7380080137682881835",
        )
    ]


@pytest.mark.anyio
async def test_recent_posts_need_the_video_list_scope(mock: respx.MockRouter) -> None:
    """video.list is the listing's scope: a token granted without it is told so before any call,
    and TikTok's own scope_not_authorized answer says the same (refreshing cannot add a scope).

    https://developers.tiktok.com/doc/tiktok-api-v2-video-list,
    https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
    """
    narrow = TokenSet(access_token="act.user-token", scopes=("user.info.basic", "video.publish"))
    async with httpx.AsyncClient() as http:
        with pytest.raises(Permanent, match=r"video\.list") as before_any_call:
            await make_adapter(http).recent_posts(narrow, ACCOUNT, NOW - timedelta(hours=1))
    assert before_any_call.value.code == "scope_not_authorized"

    mock.post(f"{API}/video/list/").mock(
        return_value=error(401, "scope_not_authorized", "The user did not authorize the scope.")
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(Permanent, match="reconnect the account") as refused:
            await make_adapter(http).recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))
    assert refused.value.code == "scope_not_authorized"


@pytest.mark.anyio
async def test_recent_posts_failures_are_classified(mock: respx.MockRouter) -> None:
    """rate_limit_exceeded (429) -> retry; access_token_invalid (401) -> re-auth.

    https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit,
    https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
    """
    mock.post(f"{API}/video/list/").mock(
        side_effect=[
            error(429, "rate_limit_exceeded", "Too many requests.", **{"Retry-After": "30"}),
            error(401, "access_token_invalid", "The access token is invalid or not found."),
        ]
    )
    async with httpx.AsyncClient() as http:
        adapter = make_adapter(http)
        with pytest.raises(Retryable) as throttled:
            await adapter.recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))
        with pytest.raises(ReauthRequired):
            await adapter.recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))
    assert throttled.value.retry_after == 30


# -- engagement (the inbox) ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_every_engagement_action_is_not_supported_and_sends_nothing(
    mock: respx.MockRouter,
) -> None:
    """No Login Kit scope reads or writes comments (https://developers.tiktok.com/doc/tiktok-api-scopes);
    the Research API's comment list is for researchers only
    (https://developers.tiktok.com/doc/research-api-specs-query-video-comments)."""
    comment = Engagement(
        platform="tiktok",
        platform_account_id="open-id-1",
        platform_item_id="7300000000000000001",
        kind="comment",
        text="Nice",
        author=EngagementAuthor(),
        platform_post_id="7300000000000000000",
    )
    async with httpx.AsyncClient() as http:
        adapter = make_adapter(http)
        calls = [
            adapter.reply_to_engagement(TOKENS, ACCOUNT, comment, "Thanks"),
            adapter.hide_engagement(TOKENS, ACCOUNT, comment, hidden=True),
            adapter.delete_engagement(TOKENS, ACCOUNT, comment),
            adapter.list_comments(TOKENS, ACCOUNT, "7300000000000000000", None),
            adapter.list_mentions(TOKENS, ACCOUNT, None),
        ]
        for call in calls:
            with pytest.raises(NotSupported, match="Login Kit"):
                await call
    assert not mock.calls
