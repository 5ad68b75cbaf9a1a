"""Facebook Pages adapter (Graph API with Page access tokens): exact requests per flow."""

import io
import json
import os
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
    PostStatus,
    PublishRequest,
    PublishResult,
    ReauthRequired,
    RecentPost,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.platforms.facebook import FacebookAdapter
from functions.shared.engagement import Engagement, EngagementAuthor
from tests.platforms.media_bytes import form_parts, in_memory

V = "v25.0"
GRAPH = f"https://graph.facebook.com/{V}"
GRAPH_VIDEO = f"https://graph-video.facebook.com/{V}"
RUPLOAD = f"https://rupload.facebook.com/video-upload/{V}"
PAGE = "104000000000001"
TOKEN = "PAGE-TOKEN-xyz"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ACCOUNT = ConnectedAccount(platform_account_id=PAGE, name="Brand Page", kind="page")
TOKENS = TokenSet(access_token=TOKEN)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def adapter() -> FacebookAdapter:
    return FacebookAdapter(
        client_id="app-id", client_secret="app-secret", http=httpx.AsyncClient(), clock=lambda: NOW
    )


def png_bytes(color: tuple[int, int, int] = (10, 200, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return buffer.getvalue()


def media(
    kind: MediaKind = "image",
    url: str = "https://cdn.example/a.png",
    data: bytes | None = None,
    alt: str | None = None,
) -> MediaFile:
    payload = data if data is not None else (png_bytes() if kind == "image" else os.urandom(4096))
    content_type = "image/png" if kind == "image" else "video/mp4"
    return in_memory(kind, content_type, payload, url, alt_text=alt)


def form(request: httpx.Request) -> dict[str, str]:
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def query(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(str(request.url)).query).items()}


def assert_bearer(request: httpx.Request) -> None:
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in str(request.url)


# --- OAuth -----------------------------------------------------------------------------------


def test_authorization_url_with_pkce_when_enabled() -> None:
    """https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow and
    https://developers.facebook.com/docs/facebook-login/guides/advanced/oidc-token (PKCE)"""
    adapter = FacebookAdapter(
        client_id="app-id",
        client_secret="app-secret",
        http=httpx.AsyncClient(),
        api_version="v24.0",
        use_pkce=True,
    )
    url = adapter.authorization_url(
        state="st", code_challenge="ch", redirect_uri="https://app.example/cb"
    )
    assert url.startswith("https://www.facebook.com/v24.0/dialog/oauth?")
    assert query(httpx.Request("GET", url)) == {
        "client_id": "app-id",
        "redirect_uri": "https://app.example/cb",
        "state": "st",
        "response_type": "code",
        "scope": "pages_show_list,pages_read_engagement,pages_manage_posts,"
        "pages_manage_engagement,pages_read_user_content,read_insights,publish_video,"
        "business_management",
        "code_challenge": "ch",
        "code_challenge_method": "S256",
    }


@pytest.mark.anyio
async def test_exchange_code_with_pkce_sends_the_verifier() -> None:
    """https://developers.facebook.com/docs/facebook-login/guides/advanced/oidc-token and
    https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived"""
    adapter = FacebookAdapter(
        client_id="app-id",
        client_secret="app-secret",
        http=httpx.AsyncClient(),
        use_pkce=True,
        clock=lambda: NOW,
    )
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get(f"{GRAPH}/oauth/access_token").mock(
            side_effect=[
                httpx.Response(200, json={"access_token": "SHORT", "token_type": "bearer"}),
                httpx.Response(
                    200, json={"access_token": "LONG", "token_type": "bearer", "expires_in": 60}
                ),
            ]
        )
        tokens = await adapter.exchange_code(
            code="c", code_verifier="v" * 43, redirect_uri="https://app.example/cb"
        )
    first, second = (call.request for call in route.calls)
    assert query(first)["code_verifier"] == "v" * 43
    assert query(second)["fb_exchange_token"] == "SHORT"
    assert tokens.access_token == "LONG"
    assert tokens.expires_at == NOW + timedelta(seconds=60)


@pytest.mark.anyio
async def test_accounts_lists_pages_with_page_tokens(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/pages-api/overview (GET /me/accounts returns each Page
    with its Page access token); the person first, by GET /me?fields=id
    (https://developers.facebook.com/docs/graph-api/reference/user: the app-scoped user id, which
    Meta's data deletion callback names:
    https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback)"""
    body = {
        "data": [
            {
                "id": PAGE,
                "name": "Brand Page",
                "access_token": "PAGE-1",
                "picture": {"data": {"url": "https://cdn.example/page.jpg"}},
            },
            {"id": "105", "name": "Second", "access_token": "PAGE-2"},
        ],
        "paging": {"cursors": {"before": "B", "after": "A"}},
    }
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        person = mock.get(f"{GRAPH}/me", params={"fields": "id"}).respond(
            200, json={"id": "218471"}
        )
        route = mock.get(f"{GRAPH}/me/accounts").respond(200, json=body)
        found = await adapter.accounts(TokenSet(access_token="USER-LONG"))
    assert person.calls.last.request.headers["authorization"] == "Bearer USER-LONG"
    assert query(person.calls.last.request) == {"fields": "id"}
    assert [dict(account.extra) for account, _ in found] == [{"meta_user_id": "218471"}] * 2
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer USER-LONG"
    assert query(request) == {"fields": "id,name,access_token,picture{url}", "limit": "100"}
    assert [
        (a.platform_account_id, a.name, a.kind, a.avatar_url, t.access_token) for a, t in found
    ] == [
        (PAGE, "Brand Page", "page", "https://cdn.example/page.jpg", "PAGE-1"),
        ("105", "Second", "page", None, "PAGE-2"),
    ]
    assert found[0][1].expires_at is None


# --- publishing ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_text_and_link_posts(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/pages-api/posts (POST /page_id/feed with message,
    link)"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.post(f"{GRAPH}/{PAGE}/feed").mock(
            side_effect=[
                httpx.Response(200, json={"id": f"{PAGE}_1"}),
                httpx.Response(200, json={"id": f"{PAGE}_2"}),
            ]
        )
        text = await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="Hello fans"))
        link = await adapter.publish(
            TOKENS,
            ACCOUNT,
            PublishRequest(text="Read this", options={"link": "https://blog.example/a"}),
        )
    first, second = (call.request for call in route.calls)
    assert form(first) == {"message": "Hello fans"}
    assert form(second) == {"message": "Read this", "link": "https://blog.example/a"}
    assert_bearer(first)
    assert text == PublishResult(
        state="published", platform_post_id=f"{PAGE}_1", url=f"https://www.facebook.com/{PAGE}_1"
    )
    assert link.platform_post_id == f"{PAGE}_2"


@pytest.mark.anyio
async def test_one_photo(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/graph-api/reference/page/photos (POST with url, caption)
    and https://developers.facebook.com/docs/pages-api/posts"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.post(f"{GRAPH}/{PAGE}/photos").respond(
            200, json={"id": "PH1", "post_id": f"{PAGE}_10"}
        )
        result = await adapter.publish(
            TOKENS, ACCOUNT, PublishRequest(text="A photo", media=[media(alt="Green square")])
        )
    assert form(route.calls.last.request) == {
        "url": "https://cdn.example/a.png",
        "caption": "A photo",
        "alt_text_custom": "Green square",
    }
    assert_bearer(route.calls.last.request)
    assert result.platform_post_id == f"{PAGE}_10"
    assert result.state == "published"


@pytest.mark.anyio
async def test_several_photos_unpublished_then_attached_to_a_feed_post(
    adapter: FacebookAdapter,
) -> None:
    """https://developers.facebook.com/docs/pages-api/posts (unpublished photos with
    published=false, then /feed with attached_media[n]={"media_fbid": ...})"""
    items = [media(url=f"https://cdn.example/{n}.png") for n in range(3)]
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        photos = mock.post(f"{GRAPH}/{PAGE}/photos").mock(
            side_effect=[httpx.Response(200, json={"id": f"PH{n}"}) for n in range(3)]
        )
        feed = mock.post(f"{GRAPH}/{PAGE}/feed").respond(200, json={"id": f"{PAGE}_20"})
        result = await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="Album", media=items))
    assert [form(call.request) for call in photos.calls] == [
        {"url": f"https://cdn.example/{n}.png", "published": "false"} for n in range(3)
    ]
    body = form(feed.calls.last.request)
    assert body["message"] == "Album"
    assert [json.loads(body[f"attached_media[{n}]"]) for n in range(3)] == [
        {"media_fbid": f"PH{n}"} for n in range(3)
    ]
    assert len(body) == 4
    assert result.platform_post_id == f"{PAGE}_20"


@pytest.mark.anyio
async def test_video_resumable_upload_in_windows_then_status(adapter: FacebookAdapter) -> None:
    """The resumable upload on the graph-video host: upload_phase=start with file_size; then
    upload_phase=transfer of each window Facebook names (start_offset to end_offset, the bytes as
    the multipart file video_file_chunk) until start_offset meets end_offset; then
    upload_phase=finish with the title and description; then GET /video_id?fields=status.
    The video is read in those windows only, never whole.

    https://developers.facebook.com/docs/video-api/guides/publishing,
    https://developers.facebook.com/docs/graph-api/reference/page/videos/#Creating
    """
    video = os.urandom(10_000)
    request = PublishRequest(
        text="Watch", media=[media("video", data=video)], options={"title": "Launch"}
    )
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.post(f"{GRAPH_VIDEO}/{PAGE}/videos").mock(
            side_effect=[
                httpx.Response(
                    200,
                    json={
                        "video_id": "VID1",
                        "upload_session_id": "S1",
                        "start_offset": "0",
                        "end_offset": "4000",
                    },
                ),
                httpx.Response(200, json={"start_offset": "4000", "end_offset": "8000"}),
                httpx.Response(200, json={"start_offset": "8000", "end_offset": "10000"}),
                httpx.Response(200, json={"start_offset": "10000", "end_offset": "10000"}),
                httpx.Response(200, json={"success": True}),
            ]
        )
        result = await adapter.publish(TOKENS, ACCOUNT, request)
    start, *transfers, finish = (call.request for call in route.calls)
    for sent in route.calls:
        assert_bearer(sent.request)
    assert form(start) == {"upload_phase": "start", "file_size": "10000"}
    windows = [(0, 4000), (4000, 8000), (8000, 10000)]
    assert len(transfers) == len(windows)
    for sent, (first, end) in zip(transfers, windows, strict=True):
        parts = form_parts(sent)
        assert {name: value for name, (value, _, _) in parts.items()} == {
            "upload_phase": b"transfer",
            "upload_session_id": b"S1",
            "start_offset": str(first).encode(),
            "video_file_chunk": video[first:end],
        }
        assert parts["video_file_chunk"][2] == "application/octet-stream"
    assert form(finish) == {
        "upload_phase": "finish",
        "upload_session_id": "S1",
        "description": "Watch",
        "title": "Launch",
    }
    assert result.state == "processing"
    assert dict(result.progress) == {"kind": "video", "video_id": "VID1"}

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        check = mock.get(f"{GRAPH}/VID1").respond(
            200, json={"status": {"video_status": "processing"}, "id": "VID1"}
        )
        pending = await adapter.status(TOKENS, ACCOUNT, result)
    assert query(check.calls.last.request) == {"fields": "status,permalink_url"}
    assert pending == PostStatus(state="processing", check_after_seconds=30)

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/VID1").respond(
            200,
            json={"status": {"video_status": "ready"}, "permalink_url": f"/{PAGE}/videos/VID1/"},
        )
        done = await adapter.status(TOKENS, ACCOUNT, result)
    assert done == PostStatus(
        state="published",
        platform_post_id="VID1",
        url=f"https://www.facebook.com/{PAGE}/videos/VID1/",
    )


@pytest.mark.anyio
async def test_reel_start_upload_bytes_finish_then_status(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/video-api/guides/reels-publishing (upload_phase=start,
    upload to rupload.facebook.com with Authorization: OAuth, offset and file_size headers,
    upload_phase=finish with video_state=PUBLISHED, then GET /video_id?fields=status)"""
    video = os.urandom(10_000)
    request = PublishRequest(
        text="Reel time", media=[media("video", data=video)], options={"type": "reel"}
    )
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        reels = mock.post(f"{GRAPH}/{PAGE}/video_reels").mock(
            side_effect=[
                httpx.Response(200, json={"video_id": "RV1", "upload_url": f"{RUPLOAD}/RV1"}),
                httpx.Response(200, json={"success": True}),
            ]
        )
        upload = mock.post(f"{RUPLOAD}/RV1").respond(200, json={"success": True})
        result = await adapter.publish(TOKENS, ACCOUNT, request)
    start, finish = (call.request for call in reels.calls)
    assert start.headers["content-type"] == "application/json"
    assert json.loads(start.content) == {"upload_phase": "start"}
    assert_bearer(start)
    sent = upload.calls.last.request
    assert sent.headers["authorization"] == f"OAuth {TOKEN}"
    assert sent.headers["offset"] == "0"
    assert sent.headers["file_size"] == str(len(video))
    assert sent.headers["content-length"] == str(len(video))
    assert "transfer-encoding" not in sent.headers
    assert sent.content == video
    assert json.loads(finish.content) == {
        "upload_phase": "finish",
        "video_id": "RV1",
        "video_state": "PUBLISHED",
        "description": "Reel time",
    }
    assert_bearer(finish)
    assert result.state == "processing"
    assert dict(result.progress) == {"kind": "reel", "video_id": "RV1"}

    processing = {
        "video_status": "processing",
        "uploading_phase": {"status": "complete"},
        "processing_phase": {"status": "in_progress"},
        "publishing_phase": {"status": "not_started"},
    }
    ready = {
        "video_status": "ready",
        "uploading_phase": {"status": "complete"},
        "processing_phase": {"status": "complete"},
        "publishing_phase": {"status": "complete", "publish_status": "published"},
    }
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/RV1").mock(
            side_effect=[
                httpx.Response(200, json={"status": processing}),
                httpx.Response(200, json={"status": ready}),
            ]
        )
        first = await adapter.status(TOKENS, ACCOUNT, result)
        second = await adapter.status(TOKENS, ACCOUNT, result)
    assert first.state == "processing"
    assert second == PostStatus(
        state="published", platform_post_id="RV1", url="https://www.facebook.com/reel/RV1"
    )


@pytest.mark.anyio
async def test_reel_processing_error_fails_with_facebooks_message(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/video-api/guides/reels-publishing (status phases carry
    the error)"""
    pending = PublishResult(state="processing", progress={"kind": "reel", "video_id": "RV1"})
    status = {
        "video_status": "error",
        "processing_phase": {
            "status": "error",
            "errors": [{"code": 1363008, "message": "Video too short"}],
        },
    }
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/RV1").respond(200, json={"status": status})
        failed = await adapter.status(TOKENS, ACCOUNT, pending)
    assert failed == PostStatus(state="failed", platform_post_id="RV1", error="Video too short")


@pytest.mark.anyio
async def test_content_rules_refused_before_any_request(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/video-api/guides/reels-publishing (a reel is one
    video)"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True):
        with pytest.raises(Permanent, match="needs a video"):
            await adapter.publish(
                TOKENS, ACCOUNT, PublishRequest(text="x", media=[media()], options={"type": "reel"})
            )
        with pytest.raises(Permanent, match="one video"):
            await adapter.publish(
                TOKENS, ACCOUNT, PublishRequest(text="x", media=[media(), media("video")])
            )
        with pytest.raises(Permanent, match="text, a link or media"):
            await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text=""))


# --- delete, comment, metrics ----------------------------------------------------------------


@pytest.mark.anyio
async def test_delete_comment_and_metrics(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/pages-api/posts (DELETE /post_id; comments) and
    https://developers.facebook.com/docs/graph-api/reference/post (reactions and comments
    summaries, shares)"""
    post = f"{PAGE}_1"
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        delete = mock.delete(f"{GRAPH}/{post}").respond(200, json={"success": True})
        comment = mock.post(f"{GRAPH}/{post}/comments").respond(200, json={"id": f"{post}_c9"})
        metrics = mock.get(f"{GRAPH}/{post}").respond(
            200,
            json={
                "id": post,
                "reactions": {"data": [], "summary": {"total_count": 42}},
                "comments": {"data": [], "summary": {"total_count": 5, "order": "ranked"}},
                "shares": {"count": 3},
            },
        )
        await adapter.delete(TOKENS, ACCOUNT, post)
        comment_id = await adapter.comment(TOKENS, ACCOUNT, post, "First comment")
        numbers = await adapter.metrics(TOKENS, ACCOUNT, post)
    assert_bearer(delete.calls.last.request)
    assert delete.calls.last.request.content == b""
    assert form(comment.calls.last.request) == {"message": "First comment"}
    assert comment_id == f"{post}_c9"
    assert query(metrics.calls.last.request) == {
        "fields": "reactions.limit(0).summary(total_count),"
        "comments.limit(0).summary(total_count),shares"
    }
    assert numbers == {"reactions": 42, "comments": 5, "shares": 3}


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


async def post_text(adapter: FacebookAdapter) -> None:
    await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="hello"))


@pytest.mark.anyio
async def test_429_with_retry_after_is_retryable(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/graph-api/overview/rate-limiting"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{PAGE}/feed").respond(
            429, headers={"Retry-After": "30"}, json=graph_error(32, "Page request limit reached")
        )
        with pytest.raises(Retryable) as caught:
            await post_text(adapter)
    assert caught.value.retry_after == 30.0
    assert caught.value.code == "32"


@pytest.mark.anyio
async def test_rate_limit_code_in_a_400_is_retryable(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling (code 613 and the
    80001-range business use case rate limits)"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{PAGE}/feed").mock(
            side_effect=[
                httpx.Response(
                    400, json=graph_error(613, "Calls to this api have exceeded the rate limit.")
                ),
                httpx.Response(
                    400,
                    json=graph_error(80001, "There have been too many calls to this Page account."),
                ),
            ]
        )
        for _ in range(2):
            with pytest.raises(Retryable):
                await post_text(adapter)


@pytest.mark.anyio
async def test_5xx_and_timeout_are_retryable(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling (code 1/2: temporary)"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{PAGE}/feed").mock(
            side_effect=[
                httpx.Response(
                    500, json=graph_error(1, "An unknown error occurred", is_transient=True)
                ),
                httpx.Response(502, text="Bad Gateway"),
                httpx.ReadTimeout("timed out"),
            ]
        )
        for _ in range(3):
            with pytest.raises(Retryable):
                await post_text(adapter)


@pytest.mark.anyio
async def test_rupload_timeout_is_retryable(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/video-api/guides/reels-publishing"""
    request = PublishRequest(text="r", media=[media("video")], options={"type": "reel"})
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{PAGE}/video_reels").respond(
            200, json={"video_id": "RV2", "upload_url": f"{RUPLOAD}/RV2"}
        )
        mock.post(f"{RUPLOAD}/RV2").mock(side_effect=httpx.ReadTimeout("timed out"))
        with pytest.raises(Retryable):
            await adapter.publish(TOKENS, ACCOUNT, request)


@pytest.mark.anyio
async def test_invalid_token_requires_reauth(adapter: FacebookAdapter) -> None:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling (code 190)"""
    body = graph_error(
        190,
        "Error validating access token: The user has not authorized application.",
        error_subcode=458,
    )
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{PAGE}/feed").respond(400, json=body)
        with pytest.raises(ReauthRequired):
            await post_text(adapter)


@pytest.mark.anyio
async def test_duplicate_or_refused_content_is_permanent_with_metas_message(
    adapter: FacebookAdapter,
) -> None:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling (506 duplicate post;
    error_user_msg is the message for the user)"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{PAGE}/feed").mock(
            side_effect=[
                httpx.Response(400, json=graph_error(506, "Duplicate status message")),
                httpx.Response(
                    400,
                    json=graph_error(
                        368,
                        "The action attempted has been deemed abusive or is otherwise disallowed",
                        error_user_msg="This content goes against our Community Standards.",
                    ),
                ),
            ]
        )
        with pytest.raises(Permanent) as duplicate:
            await post_text(adapter)
        with pytest.raises(Permanent) as refused:
            await post_text(adapter)
    assert duplicate.value.message == "Duplicate status message"
    assert duplicate.value.code == "506"
    assert refused.value.message == "This content goes against our Community Standards."
    assert refused.value.platform == "facebook"


@pytest.mark.anyio
async def test_revoke_removes_the_login_grant(adapter: FacebookAdapter) -> None:
    """The Page token's person from GET /debug_token, then DELETE /{user-id}/permissions, both
    with the app access token `{app-id}|{app-secret}`.

    https://developers.facebook.com/docs/graph-api/reference/debug_token,
    https://developers.facebook.com/docs/graph-api/reference/user/permissions/,
    https://developers.facebook.com/docs/facebook-login/guides/access-tokens#apptokens
    """
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        debug = mock.get(f"{GRAPH}/debug_token").respond(
            200,
            json={
                "data": {
                    "app_id": "app-id",
                    "type": "PAGE",
                    "is_valid": True,
                    "profile_id": PAGE,
                    "user_id": "10220000000000001",
                    "scopes": ["pages_manage_posts"],
                }
            },
        )
        permissions = mock.delete(f"{GRAPH}/10220000000000001/permissions").respond(
            200, json={"success": True}
        )
        assert await adapter.revoke(TOKENS) is True
    lookup = debug.calls.last.request
    assert lookup.method == "GET"
    assert query(lookup) == {"input_token": TOKEN}
    assert lookup.headers["authorization"] == "Bearer app-id|app-secret"
    removal = permissions.calls.last.request
    assert removal.method == "DELETE"
    assert removal.url.query == b""
    assert removal.headers["authorization"] == "Bearer app-id|app-secret"
    assert removal.content == b""


@pytest.mark.anyio
async def test_revoke_failures_are_classified(adapter: FacebookAdapter) -> None:
    """A token Meta no longer knows -> ReauthRequired; throttling (code 4) and 5xx -> Retryable.

    https://developers.facebook.com/docs/graph-api/guides/error-handling
    """
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/debug_token").mock(
            side_effect=[
                httpx.Response(
                    200,
                    json={"data": {"is_valid": False, "error": {"code": 190, "message": "x"}}},
                ),
                httpx.Response(
                    400,
                    json={"error": {"message": "Application request limit reached", "code": 4}},
                ),
                httpx.Response(200, json={"data": {"is_valid": True, "user_id": "1022"}}),
            ]
        )
        mock.delete(f"{GRAPH}/1022/permissions").respond(
            500, json={"error": {"message": "An unknown error occurred", "code": 1}}
        )
        with pytest.raises(ReauthRequired):
            await adapter.revoke(TOKENS)
        with pytest.raises(Retryable, match="Application request limit reached"):
            await adapter.revoke(TOKENS)
        with pytest.raises(Retryable, match="An unknown error occurred"):
            await adapter.revoke(TOKENS)


# --- reconciling --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_recent_posts_list_the_pages_published_posts_since(adapter: FacebookAdapter) -> None:
    """GET /<page-id>/published_posts?fields=id,message,created_time,permalink_url&since=<unix>
    &limit=50 with the Page token.

    https://developers.facebook.com/docs/graph-api/reference/page/published_posts/,
    https://developers.facebook.com/docs/graph-api/results (since, limit)
    """
    body = {
        "data": [
            {
                "id": f"{PAGE}_1002",
                "message": "Doors open at nine",
                "created_time": "2026-01-02T03:00:00+0000",
                "permalink_url": "https://www.facebook.com/104000000000001/posts/1002",
            },
            {
                "id": f"{PAGE}_1001",
                "created_time": "2026-01-02T02:10:00+0000",
                "permalink_url": "https://www.facebook.com/104000000000001/posts/1001",
            },
        ],
        "paging": {"cursors": {"before": "QVFIUk", "after": "QVFIUl"}},
    }
    since = NOW - timedelta(hours=1)
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get(f"{GRAPH}/{PAGE}/published_posts").respond(200, json=body)
        posts = await adapter.recent_posts(TOKENS, ACCOUNT, since)
    request = route.calls.last.request
    assert request.method == "GET"
    assert_bearer(request)
    assert query(request) == {
        "fields": "id,message,created_time,permalink_url",
        "since": str(int(since.timestamp())),
        "limit": "50",
    }
    assert posts == [
        RecentPost(
            platform_post_id=f"{PAGE}_1002",
            text="Doors open at nine",
            created_at=datetime(2026, 1, 2, 3, 0, tzinfo=UTC),
            url="https://www.facebook.com/104000000000001/posts/1002",
        ),
        RecentPost(
            platform_post_id=f"{PAGE}_1001",
            text="",
            created_at=datetime(2026, 1, 2, 2, 10, tzinfo=UTC),
            url="https://www.facebook.com/104000000000001/posts/1001",
        ),
    ]


@pytest.mark.anyio
async def test_recent_posts_with_an_invalid_token_need_reauth(adapter: FacebookAdapter) -> None:
    """Graph error 190: https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.get(f"{GRAPH}/{PAGE}/published_posts").respond(
            400, json=graph_error(190, "Error validating access token", error_subcode=460)
        )
        with pytest.raises(ReauthRequired) as caught:
            await adapter.recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))
    assert caught.value.code == "190"


# -- engagement (the inbox) ---------------------------------------------------------------------

POST = f"{PAGE}_1"
COMMENT = Engagement(
    platform="facebook",
    platform_account_id=PAGE,
    platform_item_id=f"{POST}_c1",
    kind="comment",
    text="Nice",
    author=EngagementAuthor(platform_user_id="7001", name="Ann"),
    platform_post_id=POST,
    thread_id=f"{POST}_c1",
)
REPLY = Engagement(
    platform="facebook",
    platform_account_id=PAGE,
    platform_item_id=f"{POST}_c2",
    kind="reply",
    text="Agreed",
    author=EngagementAuthor(platform_user_id="7002", name="Bob"),
    platform_post_id=POST,
    parent_id=f"{POST}_c1",
    thread_id=f"{POST}_c1",
)
MENTION = Engagement(
    platform="facebook",
    platform_account_id=PAGE,
    platform_item_id="9001_77",
    kind="mention",
    text="Thanks Brand Page",
    author=EngagementAuthor(platform_user_id="9001", name="Cat"),
    platform_post_id="9001_77",
    thread_id="9001_77",
)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("engagement", "target"), [(COMMENT, f"{POST}_c1"), (REPLY, f"{POST}_c1"), (MENTION, "9001_77")]
)
async def test_reply_is_a_comment_on_the_comment_or_post(
    adapter: FacebookAdapter, engagement: Engagement, target: str
) -> None:
    """POST /<comment-id>/comments with message; comments nest one level, so a reply to a reply
    answers its top-level comment; a tagging post is answered with a comment on it.
    https://developers.facebook.com/docs/graph-api/reference/object/comments ("Publishing")"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.post(f"{GRAPH}/{target}/comments").respond(200, json={"id": f"{target}_r9"})
        reply = await adapter.reply_to_engagement(TOKENS, ACCOUNT, engagement, "Thank you!")
    request = route.calls.last.request
    assert_bearer(request)
    assert form(request) == {"message": "Thank you!"}
    assert reply == Engagement(
        platform="facebook",
        platform_account_id=PAGE,
        platform_item_id=f"{target}_r9",
        kind="reply",
        text="Thank you!",
        author=EngagementAuthor(platform_user_id=PAGE, name="Brand Page"),
        created_at=NOW,
        platform_post_id=engagement.platform_post_id,
        parent_id=engagement.platform_item_id,
        thread_id=engagement.thread_id,
    )


@pytest.mark.anyio
@pytest.mark.parametrize(("hidden", "value"), [(True, "true"), (False, "false")])
async def test_hide_and_unhide_a_comment(
    adapter: FacebookAdapter, hidden: bool, value: str
) -> None:
    """POST /<comment-id> is_hidden=true|false
    (https://developers.facebook.com/docs/graph-api/reference/comment, "Updating";
    https://developers.facebook.com/docs/graph-api/changelog/version2.2)."""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.post(f"{GRAPH}/{POST}_c2").respond(200, json={"success": True})
        await adapter.hide_engagement(TOKENS, ACCOUNT, REPLY, hidden=hidden)
    request = route.calls.last.request
    assert_bearer(request)
    assert form(request) == {"is_hidden": value}


@pytest.mark.anyio
async def test_delete_a_comment(adapter: FacebookAdapter) -> None:
    """DELETE /<comment-id>: https://developers.facebook.com/docs/graph-api/reference/comment"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.delete(f"{GRAPH}/{POST}_c1").respond(200, json={"success": True})
        await adapter.delete_engagement(TOKENS, ACCOUNT, COMMENT)
    assert_bearer(route.calls.last.request)


@pytest.mark.anyio
async def test_a_mention_on_someone_else_s_post_cannot_be_hidden_or_deleted(
    adapter: FacebookAdapter,
) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        with pytest.raises(NotSupported, match="someone else's post"):
            await adapter.hide_engagement(TOKENS, ACCOUNT, MENTION, hidden=True)
        with pytest.raises(NotSupported):
            await adapter.delete_engagement(TOKENS, ACCOUNT, MENTION)
    assert not mock.calls


@pytest.mark.anyio
async def test_list_comments_follows_the_after_cursor_in_chronological_order(
    adapter: FacebookAdapter,
) -> None:
    """GET /<post-id>/comments?filter=stream&order=chronological&after=...; the documented
    answer holds data[] and paging.cursors
    (https://developers.facebook.com/docs/graph-api/reference/object/comments,
    https://developers.facebook.com/docs/graph-api/results)."""
    listing = {
        "data": [
            {
                "id": f"{POST}_c1",
                "message": "Nice",
                "created_time": "2026-01-02T03:00:00+0000",
                "from": {
                    "id": "7001",
                    "name": "Ann",
                    "picture": {"data": {"url": "https://cdn.example/ann.jpg"}},
                },
                "permalink_url": "https://www.facebook.com/104000000000001/posts/1?comment_id=c1",
            },
            {
                "id": f"{POST}_c2",
                "message": "Agreed",
                "created_time": "2026-01-02T03:01:00+0000",
                "from": {"id": "7002", "name": "Bob"},
                "parent": {"id": f"{POST}_c1"},
            },
        ],
        "paging": {"cursors": {"before": "QVFIUmJ", "after": "QVFIUkx"}},
    }
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get(f"{GRAPH}/{POST}/comments").respond(200, json=listing)
        page = await adapter.list_comments(TOKENS, ACCOUNT, POST, "QVFIUmF")
    request = route.calls.last.request
    assert_bearer(request)
    assert query(request) == {
        "fields": "id,message,created_time,from{id,name,picture},parent{id},permalink_url",
        "filter": "stream",
        "order": "chronological",
        "limit": "100",
        "after": "QVFIUmF",
    }
    assert page.cursor == "QVFIUkx"
    assert page.items == [
        Engagement(
            platform="facebook",
            platform_account_id=PAGE,
            platform_item_id=f"{POST}_c2",
            kind="reply",
            text="Agreed",
            author=EngagementAuthor(platform_user_id="7002", name="Bob"),
            created_at=datetime(2026, 1, 2, 3, 1, tzinfo=UTC),
            platform_post_id=POST,
            parent_id=f"{POST}_c1",
            thread_id=f"{POST}_c1",
        ),
        Engagement(
            platform="facebook",
            platform_account_id=PAGE,
            platform_item_id=f"{POST}_c1",
            kind="comment",
            text="Nice",
            author=EngagementAuthor(
                platform_user_id="7001", name="Ann", avatar_url="https://cdn.example/ann.jpg"
            ),
            created_at=datetime(2026, 1, 2, 3, 0, tzinfo=UTC),
            platform_post_id=POST,
            thread_id=f"{POST}_c1",
            permalink="https://www.facebook.com/104000000000001/posts/1?comment_id=c1",
        ),
    ]


@pytest.mark.anyio
async def test_no_new_comments_answers_no_cursor(adapter: FacebookAdapter) -> None:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get(f"{GRAPH}/{POST}/comments").respond(200, json={"data": []})
        page = await adapter.list_comments(TOKENS, ACCOUNT, POST, None)
    assert "after" not in query(route.calls.last.request)
    assert page == EngagementPage(items=[], cursor=None)


@pytest.mark.anyio
async def test_list_mentions_reads_tagged_posts_since_the_cursor(adapter: FacebookAdapter) -> None:
    """GET /<page-id>/tagged with since (https://developers.facebook.com/docs/graph-api/reference/page/tagged/)."""
    listing = {
        "data": [
            {
                "id": "9001_78",
                "message": "Brand Page again",
                "created_time": "2026-01-02T03:00:00+0000",
                "from": {"id": "9001", "name": "Cat"},
                "permalink_url": "https://www.facebook.com/9001/posts/78",
            },
            {
                "id": "9001_77",
                "message": "Thanks Brand Page",
                "created_time": "2026-01-01T00:00:00+0000",
                "from": {"id": "9001", "name": "Cat"},
            },
        ]
    }
    cursor = "2026-01-01T00:00:00+00:00 9001_77"
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get(f"{GRAPH}/{PAGE}/tagged").respond(200, json=listing)
        page = await adapter.list_mentions(TOKENS, ACCOUNT, cursor)
    request = route.calls.last.request
    assert_bearer(request)
    assert query(request) == {
        "fields": "id,message,created_time,from{id,name,picture},permalink_url",
        "limit": "100",
        "since": str(int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())),
    }
    assert page.items == [
        Engagement(
            platform="facebook",
            platform_account_id=PAGE,
            platform_item_id="9001_78",
            kind="mention",
            text="Brand Page again",
            author=EngagementAuthor(platform_user_id="9001", name="Cat"),
            created_at=datetime(2026, 1, 2, 3, 0, tzinfo=UTC),
            platform_post_id="9001_78",
            thread_id="9001_78",
            permalink="https://www.facebook.com/9001/posts/78",
        )
    ]
    assert page.cursor == "2026-01-02T03:00:00+00:00 9001_78"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (
            400,
            {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190},
            ReauthRequired,
        ),
        (
            400,
            {"message": "Application request limit reached", "type": "OAuthException", "code": 4},
            Retryable,
        ),
        (
            400,
            {"message": "Unsupported post request.", "type": "GraphMethodException", "code": 100},
            Permanent,
        ),
    ],
)
async def test_engagement_failures_are_classified(
    adapter: FacebookAdapter, status: int, error: dict[str, object], expected: type[Exception]
) -> None:
    """https://developers.facebook.com/docs/graph-api/guides/error-handling"""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mock:
        mock.post(f"{GRAPH}/{POST}_c1").respond(status, json={"error": error})
        with pytest.raises(expected):
            await adapter.hide_engagement(TOKENS, ACCOUNT, COMMENT, hidden=True)
