"""YouTube adapter: the exact requests of every flow, intercepted at the transport with respx."""

import hashlib
import io
import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from PIL import Image

from functions.publish.adapters.platforms.base import (
    Checkpoint,
    ConnectedAccount,
    EngagementPage,
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
from functions.publish.adapters.platforms.youtube import YouTubeAdapter
from functions.shared.engagement import Engagement, EngagementAuthor
from tests.platforms.media_bytes import in_memory, logging_reads

API = "https://www.googleapis.com/youtube/v3"
UPLOAD = "https://www.googleapis.com/upload/youtube/v3"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SESSION_URI = f"{UPLOAD}/videos?uploadType=resumable&part=snippet,status&upload_id=xa298sd_f"
KIB256 = 256 * 1024
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOKENS = TokenSet(access_token="ya29.user-token", refresh_token="1//refresh")
ACCOUNT = ConnectedAccount(platform_account_id="UC123", name="Channel", kind="channel")
SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload "
    "https://www.googleapis.com/auth/youtube.readonly "
    "https://www.googleapis.com/auth/youtube.force-ssl"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        yield router


def make_adapter(http: httpx.AsyncClient, chunk_size: int = 64 * KIB256) -> YouTubeAdapter:
    return YouTubeAdapter(
        client_id="client-id.apps.googleusercontent.com",
        client_secret="client-secret",
        http=http,
        chunk_size=chunk_size,
        clock=lambda: NOW,
    )


def media(kind: Any, content_type: str, data: bytes) -> MediaFile:
    return in_memory(kind, content_type, data, "https://m/x")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1280, 720), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def google_error(status: int, reason: str, message: str, **headers: str) -> httpx.Response:
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "youtube.quota", "reason": reason}],
        }
    }
    return httpx.Response(status, json=body, headers=headers)


def assert_bearer(request: httpx.Request) -> None:
    assert request.headers["Authorization"] == "Bearer ya29.user-token"


def mock_session(mock: respx.MockRouter) -> respx.Route:
    return mock.post(
        f"{UPLOAD}/videos", params={"uploadType": "resumable", "part": "snippet,status"}
    ).mock(return_value=httpx.Response(200, headers={"Location": SESSION_URI}))


@pytest.mark.anyio
async def test_resumable_upload_in_chunks_resumes_from_the_range_header(
    mock: respx.MockRouter,
) -> None:
    """POST the metadata (snippet + status) with X-Upload-Content-Length/Type, take the session
    URI from Location, PUT 256 KiB-multiple chunks with Content-Range; a 308 Resume Incomplete's
    Range header says where the next chunk starts (here the server kept less than was sent).

    https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol
    https://developers.google.com/youtube/v3/docs/videos/insert
    """
    video = os.urandom(2 * KIB256 + 1000)
    size = len(video)
    session = mock_session(mock)
    upload = mock.put(SESSION_URI).mock(
        side_effect=[
            httpx.Response(308, headers={"Range": f"bytes=0-{KIB256 - 1}"}),
            httpx.Response(308, headers={"Range": "bytes=0-400000"}),
            httpx.Response(200, json={"kind": "youtube#video", "id": "dQw4w9WgXcQ"}),
        ]
    )
    request = PublishRequest(
        text="Launch day\nEverything about the launch.",
        media=[media("video", "video/mp4", video)],
        options={
            "title": "Launch day",
            "tags": ["launch", "herald"],
            "category_id": "28",
            "privacy_status": "unlisted",
            "made_for_kids": False,
        },
    )
    async with httpx.AsyncClient() as http:
        result = await make_adapter(http, chunk_size=KIB256).publish(TOKENS, ACCOUNT, request)

    start = session.calls[0].request
    assert start.method == "POST"
    assert dict(start.url.params) == {"uploadType": "resumable", "part": "snippet,status"}
    assert_bearer(start)
    assert start.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert start.headers["X-Upload-Content-Length"] == str(size)
    assert start.headers["X-Upload-Content-Type"] == "video/mp4"
    assert json.loads(start.content) == {
        "snippet": {
            "title": "Launch day",
            "description": "Launch day\nEverything about the launch.",
            "tags": ["launch", "herald"],
            "categoryId": "28",
        },
        "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": False},
    }
    expected = [(0, KIB256), (KIB256, 2 * KIB256), (400001, size)]
    assert upload.call_count == len(expected)
    for call, (first, end) in zip(upload.calls, expected, strict=True):
        sent = call.request
        assert sent.method == "PUT"
        assert str(sent.url) == SESSION_URI
        assert_bearer(sent)
        assert sent.headers["Content-Type"] == "video/mp4"
        assert sent.headers["Content-Range"] == f"bytes {first}-{end - 1}/{size}"
        assert sent.headers["Content-Length"] == str(end - first)
        assert sent.content == video[first:end]
    assert result == PublishResult(
        state="processing",
        platform_post_id="dQw4w9WgXcQ",
        url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        check_after_seconds=30,
        progress={"video_id": "dQw4w9WgXcQ"},
    )


@pytest.mark.anyio
async def test_metadata_defaults(mock: respx.MockRouter) -> None:
    """Title from the first line, category 22, public, not made for kids; one PUT when the
    video fits in a chunk.

    https://developers.google.com/youtube/v3/docs/videos/insert
    """
    video = os.urandom(5000)
    session = mock_session(mock)
    upload = mock.put(SESSION_URI).mock(return_value=httpx.Response(201, json={"id": "v1"}))
    request = PublishRequest(
        text="My video\nMore words", media=[media("video", "video/webm", video)]
    )
    async with httpx.AsyncClient() as http:
        await make_adapter(http).publish(TOKENS, ACCOUNT, request)
    assert json.loads(session.calls[0].request.content) == {
        "snippet": {"title": "My video", "description": "My video\nMore words", "categoryId": "22"},
        "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False},
    }
    assert upload.calls[0].request.headers["Content-Range"] == "bytes 0-4999/5000"
    assert upload.calls[0].request.content == video


def test_chunk_size_must_be_a_multiple_of_256_kib() -> None:
    """Chunks are multiples of 256 KiB (except the last).

    https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol
    """
    with pytest.raises(ValueError, match="262144"):
        make_adapter(httpx.AsyncClient(), chunk_size=KIB256 + 1)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "interruption",
    [httpx.ReadTimeout("timed out"), httpx.Response(503, text="Service Unavailable")],
    ids=["timeout", "503"],
)
async def test_interrupted_chunk_resumes_where_the_session_says(
    mock: respx.MockRouter, interruption: httpx.Response | Exception
) -> None:
    """ "Resume an interrupted upload": after a chunk fails (no answer, or a 5xx), an empty PUT
    with `Content-Range: bytes */size` asks the session what it holds; its 308 Range says where
    the upload goes on (here part of the failed chunk had arrived). Each chunk is read from
    storage just before it is sent, and only from the reported offset on.

    https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol#Resume_Interrupted_Upload
    """
    video = os.urandom(3 * KIB256)
    size = len(video)
    arrived = KIB256 + 1000  # the server kept 1000 bytes of the interrupted second chunk
    log: list[str] = []

    def put(request: httpx.Request) -> httpx.Response:
        log.append(f"put {request.headers['Content-Range']}")
        step = len([entry for entry in log if entry.startswith("put")])
        if step == 1:
            return httpx.Response(308, headers={"Range": f"bytes=0-{KIB256 - 1}"})
        if step == 2:
            if isinstance(interruption, Exception):
                raise interruption
            return interruption
        if step == 3:
            return httpx.Response(308, headers={"Range": f"bytes=0-{arrived - 1}"})
        if step == 4:
            return httpx.Response(308, headers={"Range": f"bytes=0-{arrived + KIB256 - 1}"})
        return httpx.Response(200, json={"id": "resumed1"})

    mock_session(mock)
    upload = mock.put(SESSION_URI).mock(side_effect=put)
    streamed = logging_reads(media("video", "video/mp4", video), log)
    async with httpx.AsyncClient() as http:
        adapter = make_adapter(http, chunk_size=KIB256)
        result = await adapter.publish(TOKENS, ACCOUNT, PublishRequest(text="t", media=[streamed]))

    assert result.platform_post_id == "resumed1"
    second_end = arrived + KIB256
    assert log == [
        f"read 0-{KIB256}",
        f"put bytes 0-{KIB256 - 1}/{size}",
        f"read {KIB256}-{2 * KIB256}",
        f"put bytes {KIB256}-{2 * KIB256 - 1}/{size}",
        f"put bytes */{size}",
        f"read {arrived}-{second_end}",
        f"put bytes {arrived}-{second_end - 1}/{size}",
        f"read {second_end}-{size}",
        f"put bytes {second_end}-{size - 1}/{size}",
    ]
    query = upload.calls[2].request
    assert query.content == b""
    assert query.headers["Content-Length"] == "0"
    assert_bearer(query)
    assert upload.calls[3].request.content == video[arrived:second_end]
    assert upload.calls[4].request.content == video[second_end:]


@pytest.mark.anyio
async def test_interrupted_chunk_whose_status_query_fails_is_retryable(
    mock: respx.MockRouter,
) -> None:
    """When the status query after an interruption fails too, the interruption is raised as
    retryable (the publish is tried again later).

    https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol#Resume_Interrupted_Upload
    """
    mock_session(mock)
    upload = mock.put(SESSION_URI).mock(
        side_effect=[httpx.ReadTimeout("timed out"), httpx.ConnectError("refused")]
    )
    request = PublishRequest(text="t", media=[media("video", "video/mp4", os.urandom(100))])
    async with httpx.AsyncClient() as http:
        with pytest.raises(Retryable, match="did not answer in time"):
            await make_adapter(http).publish(TOKENS, ACCOUNT, request)
    assert [c.request.headers["Content-Range"] for c in upload.calls] == [
        "bytes 0-99/100",
        "bytes */100",
    ]


@pytest.mark.anyio
async def test_upload_that_does_not_progress_is_retryable(mock: respx.MockRouter) -> None:
    """A 308 without a Range header means nothing was received; an upload that never moves
    stops as retryable instead of looping.

    https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol
    """
    mock_session(mock)
    upload = mock.put(SESSION_URI).mock(return_value=httpx.Response(308))
    request = PublishRequest(text="t", media=[media("video", "video/mp4", os.urandom(100))])
    async with httpx.AsyncClient() as http:
        with pytest.raises(Retryable, match="not progressing"):
            await make_adapter(http).publish(TOKENS, ACCOUNT, request)
    assert [c.request.headers["Content-Range"] for c in upload.calls] == ["bytes 0-99/100"] * 3


@pytest.mark.anyio
async def test_thumbnail_is_set_after_the_upload(mock: respx.MockRouter) -> None:
    """thumbnails.set: POST the image bytes to /upload/youtube/v3/thumbnails/set?videoId=...
    as a simple media upload, uploadType=media, the way Google's own clients call it.

    https://developers.google.com/youtube/v3/docs/thumbnails/set,
    https://www.googleapis.com/discovery/v1/apis/youtube/v3/rest (thumbnails.set mediaUpload)
    """
    image = png()
    mock_session(mock)
    mock.put(SESSION_URI).mock(return_value=httpx.Response(200, json={"id": "v1"}))
    thumb = mock.post(f"{UPLOAD}/thumbnails/set", params={"videoId": "v1"}).mock(
        return_value=httpx.Response(200, json={"items": [{"default": {"url": "https://i/1.jpg"}}]})
    )
    request = PublishRequest(
        text="t",
        media=[media("video", "video/mp4", os.urandom(100)), media("image", "image/png", image)],
    )
    async with httpx.AsyncClient() as http:
        result = await make_adapter(http).publish(TOKENS, ACCOUNT, request)
    sent = thumb.calls[0].request
    assert sent.method == "POST"
    assert dict(sent.url.params) == {"videoId": "v1", "uploadType": "media"}
    assert_bearer(sent)
    assert sent.headers["Content-Type"] == "image/png"
    assert sent.content == image
    assert result.progress == {"video_id": "v1"}


@pytest.mark.anyio
async def test_refused_thumbnail_does_not_fail_the_uploaded_video(mock: respx.MockRouter) -> None:
    """A channel without custom-thumbnail permission answers 403 forbidden; the video exists,
    so publishing goes on and the refusal is recorded.

    https://developers.google.com/youtube/v3/docs/thumbnails/set#errors
    """
    mock_session(mock)
    mock.put(SESSION_URI).mock(return_value=httpx.Response(200, json={"id": "v1"}))
    mock.post(f"{UPLOAD}/thumbnails/set").mock(
        return_value=google_error(403, "forbidden", "The thumbnail can't be set for the video.")
    )
    request = PublishRequest(
        text="t",
        media=[media("video", "video/mp4", os.urandom(100))],
        options={"thumbnail": media("image", "image/png", png())},
    )
    async with httpx.AsyncClient() as http:
        result = await make_adapter(http).publish(TOKENS, ACCOUNT, request)
    assert result.state == "processing"
    assert result.progress == {
        "video_id": "v1",
        "thumbnail_error": "The thumbnail can't be set for the video.",
    }


@pytest.mark.anyio
async def test_media_other_than_one_video_is_refused(mock: respx.MockRouter) -> None:
    """videos.insert uploads one video.

    https://developers.google.com/youtube/v3/docs/videos/insert
    """
    request = PublishRequest(text="t", media=[media("image", "image/png", png())])
    async with httpx.AsyncClient() as http:
        with pytest.raises(Permanent, match="one video"):
            await make_adapter(http).publish(TOKENS, ACCOUNT, request)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            [
                {
                    "id": "v1",
                    "status": {"uploadStatus": "uploaded"},
                    "processingDetails": {
                        "processingStatus": "processing",
                        "processingProgress": {"timeLeftMs": "45000"},
                    },
                }
            ],
            ("processing", None, 45),
        ),
        (
            [
                {
                    "id": "v1",
                    "status": {"uploadStatus": "processed", "privacyStatus": "public"},
                    "processingDetails": {"processingStatus": "succeeded"},
                }
            ],
            ("published", None, None),
        ),
        (
            [{"id": "v1", "status": {"uploadStatus": "rejected", "rejectionReason": "duplicate"}}],
            ("failed", "YouTube: duplicate", None),
        ),
        (
            [
                {
                    "id": "v1",
                    "status": {"uploadStatus": "uploaded"},
                    "processingDetails": {
                        "processingStatus": "failed",
                        "processingFailureReason": "transcodeFailed",
                    },
                }
            ],
            ("failed", "YouTube: transcodeFailed", None),
        ),
        ([], ("failed", "YouTube no longer has this video.", None)),
    ],
)
async def test_status_is_one_videos_list(
    mock: respx.MockRouter,
    items: list[dict[str, Any]],
    expected: tuple[str, str | None, int | None],
) -> None:
    """GET videos?part=processingDetails,status&id=...: uploadStatus and processingStatus.

    https://developers.google.com/youtube/v3/docs/videos#processingDetails
    https://developers.google.com/youtube/v3/docs/videos/list
    """
    route = mock.get(f"{API}/videos", params={"part": "processingDetails,status", "id": "v1"}).mock(
        return_value=httpx.Response(200, json={"items": items})
    )
    result = PublishResult(state="processing", platform_post_id="v1", progress={"video_id": "v1"})
    async with httpx.AsyncClient() as http:
        status = await make_adapter(http).status(TOKENS, ACCOUNT, result)
    assert_bearer(route.calls[0].request)
    assert (status.state, status.error, status.check_after_seconds) == expected
    if status.state == "published":
        assert status.url == "https://www.youtube.com/watch?v=v1"


@pytest.mark.anyio
async def test_delete(mock: respx.MockRouter) -> None:
    """DELETE videos?id=... answers 204.

    https://developers.google.com/youtube/v3/docs/videos/delete
    """
    route = mock.delete(f"{API}/videos", params={"id": "v1"}).mock(return_value=httpx.Response(204))
    async with httpx.AsyncClient() as http:
        await make_adapter(http).delete(TOKENS, ACCOUNT, "v1")
    assert dict(route.calls[0].request.url.params) == {"id": "v1"}
    assert_bearer(route.calls[0].request)


@pytest.mark.anyio
async def test_first_comment(mock: respx.MockRouter) -> None:
    """commentThreads.insert?part=snippet with videoId and topLevelComment.snippet.textOriginal.

    https://developers.google.com/youtube/v3/docs/commentThreads/insert
    """
    route = mock.post(f"{API}/commentThreads", params={"part": "snippet"}).mock(
        return_value=httpx.Response(200, json={"kind": "youtube#commentThread", "id": "Ugx1"})
    )
    async with httpx.AsyncClient() as http:
        comment_id = await make_adapter(http).comment(TOKENS, ACCOUNT, "v1", "Links below")
    sent = route.calls[0].request
    assert_bearer(sent)
    assert sent.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert json.loads(sent.content) == {
        "snippet": {
            "videoId": "v1",
            "topLevelComment": {"snippet": {"textOriginal": "Links below"}},
        }
    }
    assert comment_id == "Ugx1"


@pytest.mark.anyio
async def test_metrics(mock: respx.MockRouter) -> None:
    """GET videos?part=statistics&id=...; counts arrive as strings.

    https://developers.google.com/youtube/v3/docs/videos#statistics
    """
    route = mock.get(f"{API}/videos", params={"part": "statistics", "id": "v1"}).mock(
        return_value=httpx.Response(
            200,
            json={
                "items": [
                    {
                        "id": "v1",
                        "statistics": {
                            "viewCount": "1500",
                            "likeCount": "90",
                            "favoriteCount": "0",
                            "commentCount": "12",
                        },
                    }
                ]
            },
        )
    )
    async with httpx.AsyncClient() as http:
        metrics = await make_adapter(http).metrics(TOKENS, ACCOUNT, "v1")
    assert_bearer(route.calls[0].request)
    assert metrics == {"views": 1500, "likes": 90, "comments": 12}


@pytest.mark.anyio
async def test_metrics_of_many_videos_in_one_list(mock: respx.MockRouter) -> None:
    """videos.list takes `id` as a comma-separated list (50 per request; `maxResults` is not
    allowed with `id`); a deleted video is simply not in `items`.
    https://developers.google.com/youtube/v3/docs/videos/list"""
    route = mock.get(f"{API}/videos").mock(
        return_value=httpx.Response(
            200,
            json={
                "items": [
                    {"id": "v1", "statistics": {"viewCount": "15", "commentCount": "2"}},
                    {"id": "v3", "statistics": {"viewCount": "7", "likeCount": "1"}},
                ]
            },
        )
    )
    async with httpx.AsyncClient() as http:
        found = await make_adapter(http).metrics_many(TOKENS, ACCOUNT, ["v1", "v2", "v3"])
    request = route.calls[0].request
    assert_bearer(request)
    assert dict(request.url.params) == {"part": "statistics", "id": "v1,v2,v3"}
    assert found == {
        "v1": {"views": 15, "likes": 0, "comments": 2},
        "v3": {"views": 7, "likes": 1, "comments": 0},
    }
    assert YouTubeAdapter.metrics_batch_size == 50


def test_authorization_url() -> None:
    """Google OAuth for web servers: offline access, forced consent, PKCE S256, the YouTube
    upload/readonly/force-ssl scopes.

    https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient
    """
    url = make_adapter(httpx.AsyncClient()).authorization_url(
        state="signed-state", code_challenge="E9Melhoa2Ow", redirect_uri="https://app/cb"
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://accounts.google.com/o/oauth2/v2/auth"
    )
    assert parse_qs(parts.query) == {
        "client_id": ["client-id.apps.googleusercontent.com"],
        "redirect_uri": ["https://app/cb"],
        "response_type": ["code"],
        "scope": [SCOPES],
        "access_type": ["offline"],
        "prompt": ["consent"],
        "include_granted_scopes": ["true"],
        "state": ["signed-state"],
        "code_challenge": ["E9Melhoa2Ow"],
        "code_challenge_method": ["S256"],
    }


@pytest.mark.anyio
async def test_exchange_code(mock: respx.MockRouter) -> None:
    """POST https://oauth2.googleapis.com/token with the code and the PKCE verifier.

    https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
    """
    route = mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            200,
            json={
                "access_token": "ya29.new",
                "expires_in": 3599,
                "refresh_token": "1//new-refresh",
                "scope": SCOPES,
                "token_type": "Bearer",
            },
        )
    )
    async with httpx.AsyncClient() as http:
        tokens = await make_adapter(http).exchange_code(
            code="4/code", code_verifier="verifier", redirect_uri="https://app/cb"
        )
    sent = route.calls[0].request
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(sent.content.decode()) == {
        "code": ["4/code"],
        "client_id": ["client-id.apps.googleusercontent.com"],
        "client_secret": ["client-secret"],
        "redirect_uri": ["https://app/cb"],
        "grant_type": ["authorization_code"],
        "code_verifier": ["verifier"],
    }
    assert tokens == TokenSet(
        access_token="ya29.new",
        refresh_token="1//new-refresh",
        expires_at=NOW + timedelta(seconds=3599),
        scopes=tuple(SCOPES.split()),
    )


@pytest.mark.anyio
async def test_refresh_keeps_the_refresh_token(mock: respx.MockRouter) -> None:
    """grant_type=refresh_token; Google's answer carries no new refresh token.

    https://developers.google.com/identity/protocols/oauth2/web-server#offline
    """
    route = mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            200, json={"access_token": "ya29.fresh", "expires_in": 3599, "token_type": "Bearer"}
        )
    )
    async with httpx.AsyncClient() as http:
        tokens = await make_adapter(http).refresh(TOKENS)
    assert parse_qs(route.calls[0].request.content.decode()) == {
        "client_id": ["client-id.apps.googleusercontent.com"],
        "client_secret": ["client-secret"],
        "grant_type": ["refresh_token"],
        "refresh_token": ["1//refresh"],
    }
    assert tokens.access_token == "ya29.fresh"
    assert tokens.refresh_token == "1//refresh"
    assert tokens.expires_at == NOW + timedelta(seconds=3599)


@pytest.mark.anyio
async def test_revoked_refresh_token_needs_reauth(mock: respx.MockRouter) -> None:
    """A revoked or expired refresh token answers 400 invalid_grant.

    https://developers.google.com/identity/protocols/oauth2#expiration
    """
    mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            400,
            json={
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            },
        )
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(ReauthRequired, match="expired or revoked"):
            await make_adapter(http).refresh(TOKENS)


@pytest.mark.anyio
async def test_accounts_are_the_channels_of_the_login(mock: respx.MockRouter) -> None:
    """channels.list?part=snippet&mine=true; the user picks among them.

    https://developers.google.com/youtube/v3/docs/channels/list
    """
    route = mock.get(f"{API}/channels", params={"part": "snippet", "mine": "true"}).mock(
        return_value=httpx.Response(
            200,
            json={
                "items": [
                    {
                        "id": "UC123",
                        "snippet": {
                            "title": "Herald",
                            "customUrl": "@herald",
                            "thumbnails": {"default": {"url": "https://yt3/a.jpg"}},
                        },
                    },
                    {"id": "UC456", "snippet": {"title": "Herald Clips"}},
                ]
            },
        )
    )
    async with httpx.AsyncClient() as http:
        found = await make_adapter(http).accounts(TOKENS)
    assert_bearer(route.calls[0].request)
    assert found == [
        (
            ConnectedAccount(
                platform_account_id="UC123",
                name="Herald",
                handle="@herald",
                avatar_url="https://yt3/a.jpg",
                kind="channel",
            ),
            TOKENS,
        ),
        (
            ConnectedAccount(platform_account_id="UC456", name="Herald Clips", kind="channel"),
            TOKENS,
        ),
    ]


@pytest.mark.anyio
async def test_login_without_a_channel(mock: respx.MockRouter) -> None:
    """channels.list answers no items when the Google account has no channel.

    https://developers.google.com/youtube/v3/docs/channels/list
    """
    mock.get(f"{API}/channels").mock(return_value=httpx.Response(200, json={"items": []}))
    async with httpx.AsyncClient() as http:
        with pytest.raises(Permanent, match="no YouTube channel"):
            await make_adapter(http).accounts(TOKENS)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("response", "kind", "code", "retry_after"),
    [
        (
            google_error(401, "authError", "Request had invalid authentication credentials."),
            ReauthRequired,
            "authError",
            None,
        ),
        (
            google_error(
                403,
                "quotaExceeded",
                "The request cannot be completed because you have exceeded your quota.",
            ),
            Retryable,
            "quotaExceeded",
            None,
        ),
        (
            google_error(403, "rateLimitExceeded", "Rate limit exceeded."),
            Retryable,
            "rateLimitExceeded",
            None,
        ),
        (
            google_error(
                403, "userRateLimitExceeded", "User rate limit exceeded.", **{"Retry-After": "60"}
            ),
            Retryable,
            "userRateLimitExceeded",
            60.0,
        ),
        (
            google_error(429, "rateLimitExceeded", "Too many requests.", **{"Retry-After": "120"}),
            Retryable,
            "rateLimitExceeded",
            120.0,
        ),
        (google_error(503, "backendError", "Backend Error"), Retryable, "backendError", None),
        (
            google_error(
                403, "forbidden", "The video that you are trying to delete cannot be deleted."
            ),
            Permanent,
            "forbidden",
            None,
        ),
        (
            google_error(
                404, "videoNotFound", "The video that you are trying to delete cannot be found."
            ),
            Permanent,
            "videoNotFound",
            None,
        ),
    ],
)
async def test_error_classification(
    mock: respx.MockRouter,
    response: httpx.Response,
    kind: type[Exception],
    code: str,
    retry_after: float | None,
) -> None:
    """401 -> reauth; 403 quotaExceeded/rateLimitExceeded/userRateLimitExceeded, 429 and 5xx ->
    retry (Retry-After honoured); other 4xx -> permanent with Google's error.message.

    https://developers.google.com/youtube/v3/docs/errors
    """
    mock.delete(f"{API}/videos").mock(return_value=response)
    async with httpx.AsyncClient() as http:
        with pytest.raises(kind) as raised:
            await make_adapter(http).delete(TOKENS, ACCOUNT, "v1")
    failure: Any = raised.value
    assert failure.platform == "youtube"
    assert failure.code == code
    assert failure.message == response.json()["error"]["message"]
    if isinstance(failure, Retryable):
        assert failure.retry_after == retry_after


@pytest.mark.anyio
async def test_invalid_metadata_is_permanent_with_googles_message(mock: respx.MockRouter) -> None:
    """videos.insert refuses bad metadata with 400 (e.g. invalidTitle) before any byte is sent.

    https://developers.google.com/youtube/v3/docs/videos/insert#errors
    """
    mock.post(f"{UPLOAD}/videos").mock(
        return_value=google_error(
            400, "invalidTitle", "The request metadata specifies an invalid video title."
        )
    )
    request = PublishRequest(text="t", media=[media("video", "video/mp4", os.urandom(10))])
    async with httpx.AsyncClient() as http:
        with pytest.raises(Permanent) as refused:
            await make_adapter(http).publish(TOKENS, ACCOUNT, request)
    assert refused.value.message == "The request metadata specifies an invalid video title."
    assert refused.value.code == "invalidTitle"


@pytest.mark.anyio
async def test_timeout_during_a_chunk_is_retryable(mock: respx.MockRouter) -> None:
    """A transport timeout during the upload is retryable.

    https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol#Resume_Interrupted_Upload
    """
    mock_session(mock)
    mock.put(SESSION_URI).mock(side_effect=httpx.ReadTimeout("timed out"))
    request = PublishRequest(text="t", media=[media("video", "video/mp4", os.urandom(10))])
    async with httpx.AsyncClient() as http:
        with pytest.raises(Retryable, match="did not answer in time"):
            await make_adapter(http).publish(TOKENS, ACCOUNT, request)


@pytest.mark.anyio
async def test_revoke_the_grant_with_the_refresh_token(mock: respx.MockRouter) -> None:
    """POST https://oauth2.googleapis.com/revoke, form field `token`; 200 means revoked.

    https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
    """
    route = mock.post("https://oauth2.googleapis.com/revoke").mock(return_value=httpx.Response(200))
    async with httpx.AsyncClient() as http:
        assert await make_adapter(http).revoke(TOKENS) is True
        assert await make_adapter(http).revoke(TokenSet(access_token="ya29.only")) is True
    first, second = (call.request for call in route.calls)
    assert first.method == "POST"
    assert first.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in first.headers
    assert parse_qs(first.content.decode()) == {"token": ["1//refresh"]}
    assert parse_qs(second.content.decode()) == {"token": ["ya29.only"]}


@pytest.mark.anyio
async def test_revoke_failures_are_classified(mock: respx.MockRouter) -> None:
    """400 invalid_token: Google no longer accepts the token; 5xx and timeouts are retried.

    https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
    """
    mock.post("https://oauth2.googleapis.com/revoke").mock(
        side_effect=[
            httpx.Response(
                400,
                json={"error": "invalid_token", "error_description": "Token expired or revoked"},
            ),
            httpx.Response(503, text="Service Unavailable"),
            httpx.ReadTimeout("slow"),
        ]
    )
    async with httpx.AsyncClient() as http:
        adapter = make_adapter(http)
        with pytest.raises(ReauthRequired, match="Token expired or revoked"):
            await adapter.revoke(TOKENS)
        with pytest.raises(Retryable):
            await adapter.revoke(TOKENS)
        with pytest.raises(Retryable):
            await adapter.revoke(TOKENS)


# -- reconciling --------------------------------------------------------------------------------

UPLOADS = "UU123"


def mock_uploads_playlist(mock: respx.MockRouter) -> respx.Route:
    return mock.get(f"{API}/channels", params={"part": "contentDetails", "id": "UC123"}).mock(
        return_value=httpx.Response(
            200,
            json={
                "kind": "youtube#channelListResponse",
                "items": [
                    {
                        "kind": "youtube#channel",
                        "id": "UC123",
                        "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": UPLOADS}},
                    }
                ],
            },
        )
    )


def playlist_item(video_id: str, title: str, description: str, added: datetime) -> dict[str, Any]:
    return {
        "kind": "youtube#playlistItem",
        "id": f"item-{video_id}",
        "snippet": {
            "publishedAt": added.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "channelId": "UC123",
            "title": title,
            "description": description,
            "playlistId": UPLOADS,
            "position": 0,
            "resourceId": {"kind": "youtube#video", "videoId": video_id},
        },
        "contentDetails": {"videoId": video_id},
    }


@pytest.mark.anyio
async def test_recent_posts_read_the_channels_uploads_playlist(mock: respx.MockRouter) -> None:
    """channels.list?part=contentDetails&id=... names the uploads playlist; then
    playlistItems.list?part=snippet,contentDetails&playlistId=...&maxResults=50 (1 quota unit
    each, where search.list costs 100). The text is the description, else the title.

    https://developers.google.com/youtube/v3/docs/channels/list,
    https://developers.google.com/youtube/v3/docs/playlistItems/list,
    https://developers.google.com/youtube/v3/determine_quota_cost
    """
    channels = mock_uploads_playlist(mock)
    items = mock.get(f"{API}/playlistItems").mock(
        return_value=httpx.Response(
            200,
            json={
                "kind": "youtube#playlistItemListResponse",
                "pageInfo": {"totalResults": 3, "resultsPerPage": 50},
                "items": [
                    playlist_item(
                        "vid3",
                        "Launch day",
                        "Launch day\nFull notes below.",
                        NOW - timedelta(minutes=4),
                    ),
                    playlist_item("vid2", "Title only", "", NOW - timedelta(minutes=30)),
                    playlist_item("vid1", "Last month", "Old", NOW - timedelta(days=30)),
                ],
            },
        )
    )
    async with httpx.AsyncClient() as http:
        posts = await make_adapter(http).recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))

    for route in (channels, items):
        assert route.call_count == 1
        assert route.calls[0].request.method == "GET"
        assert_bearer(route.calls[0].request)
    assert dict(channels.calls[0].request.url.params) == {"part": "contentDetails", "id": "UC123"}
    assert dict(items.calls[0].request.url.params) == {
        "part": "snippet,contentDetails",
        "playlistId": UPLOADS,
        "maxResults": "50",
    }
    assert posts == [
        RecentPost(
            platform_post_id="vid3",
            text="Launch day\nFull notes below.",
            created_at=NOW - timedelta(minutes=4),
            url="https://www.youtube.com/watch?v=vid3",
        ),
        RecentPost(
            platform_post_id="vid2",
            text="Title only",
            created_at=NOW - timedelta(minutes=30),
            url="https://www.youtube.com/watch?v=vid2",
        ),
    ]


@pytest.mark.anyio
async def test_recent_posts_of_a_channel_youtube_no_longer_lists(mock: respx.MockRouter) -> None:
    """channels.list answers no item for a channel that is gone.

    https://developers.google.com/youtube/v3/docs/channels/list
    """
    mock.get(f"{API}/channels").mock(
        return_value=httpx.Response(200, json={"kind": "youtube#channelListResponse", "items": []})
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(Permanent, match="uploads") as caught:
            await make_adapter(http).recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))
    assert caught.value.code == "no_uploads"


@pytest.mark.anyio
async def test_recent_posts_out_of_quota_is_retryable(mock: respx.MockRouter) -> None:
    """403 quotaExceeded clears when the daily quota resets.

    https://developers.google.com/youtube/v3/docs/errors
    """
    mock_uploads_playlist(mock)
    mock.get(f"{API}/playlistItems").mock(
        return_value=google_error(
            403,
            "quotaExceeded",
            "The request cannot be completed because you have exceeded your quota.",
        )
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(Retryable) as caught:
            await make_adapter(http).recent_posts(TOKENS, ACCOUNT, NOW - timedelta(hours=1))
    assert caught.value.code == "quotaExceeded"


# -- Resuming an upload across publish attempts -------------------------------------------------
# The session URI is saved before any byte is sent; the next attempt asks the session what it
# holds ("Step 4.1: Check the status of an upload": an empty PUT, `Content-Length: 0`,
# `Content-Range: bytes */SIZE`), which answers 308 with `Range: bytes=0-N` (N the last byte it
# holds; no Range: none), or 200/201 with the video resource when every byte arrived; then
# "Step 4.3: Resume the upload" sends the bytes from N+1 on.
# https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol
# A session Google forgot answers 404 (or 410): the upload starts again in a new session
# (https://developers.google.com/drive/api/guides/manage-uploads#resume-upload, the same Google
# upload protocol); sessions last a week
# (https://cloud.google.com/storage/docs/resumable-uploads).

NEW_SESSION_URI = f"{UPLOAD}/videos?uploadType=resumable&part=snippet,status&upload_id=new_9"


def saving(saved: list[dict[str, str]], log: list[str] | None = None) -> Checkpoint:
    """A checkpoint whose saves are kept in `saved` (and logged), as the target's progress."""

    async def store(progress: Mapping[str, str]) -> None:
        saved.append(dict(progress))
        if log is not None:
            log.append("checkpoint")

    return Checkpoint(store=store)


def saved_session(uri: str = SESSION_URI, *, opened: datetime = NOW, **metadata: Any) -> Checkpoint:
    """What an attempt at uploading `upload_request()`'s video left, opened at `opened`."""
    video = media("video", "video/mp4", RESUMED_VIDEO)
    body = {
        "snippet": {"title": "Launch", "description": "Launch", "categoryId": "22"},
        "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False},
        **metadata,
    }
    fingerprint = hashlib.sha256(
        json.dumps([body, video.size, video.content_type], separators=(",", ":")).encode()
    ).hexdigest()
    return Checkpoint(
        saved={
            "upload_session": uri,
            "upload_opened_at": opened.isoformat(),
            "upload_fingerprint": fingerprint,
        }
    )


RESUMED_VIDEO = os.urandom(3 * KIB256 + 500)


def upload_request(checkpoint: Checkpoint, log: list[str] | None = None) -> PublishRequest:
    video = media("video", "video/mp4", RESUMED_VIDEO)
    return PublishRequest(
        text="Launch",
        media=[logging_reads(video, log) if log is not None else video],
        checkpoint=checkpoint,
    )


@pytest.mark.anyio
async def test_an_upload_interrupted_in_one_attempt_goes_on_in_the_next(
    mock: respx.MockRouter,
) -> None:
    """Attempt 1 opens the session, saves it before sending a byte, sends the first chunk and
    is interrupted in the second (a 503, and the status query fails too). Attempt 2 opens no
    session: it asks the saved one what it holds and sends only the bytes from there on."""
    size = len(RESUMED_VIDEO)
    held = KIB256 + 4096  # what Google kept of the interrupted second chunk
    saved: list[dict[str, str]] = []
    log: list[str] = []

    def attempt_one(request: httpx.Request) -> httpx.Response:
        log.append(f"put {request.headers['Content-Range']}")
        if request.headers["Content-Range"] == f"bytes 0-{KIB256 - 1}/{size}":
            return httpx.Response(308, headers={"Range": f"bytes=0-{KIB256 - 1}"})
        if request.headers["Content-Range"] == f"bytes */{size}":
            raise httpx.ConnectError("refused")
        return httpx.Response(503, text="Service Unavailable")

    session = mock_session(mock)
    upload = mock.put(SESSION_URI).mock(side_effect=attempt_one)
    async with httpx.AsyncClient() as http:
        with pytest.raises(Retryable) as failed:
            await make_adapter(http, chunk_size=KIB256).publish(
                TOKENS, ACCOUNT, upload_request(saving(saved, log), log)
            )
    assert failed.value.maybe_sent is False
    assert log[:3] == ["checkpoint", f"read 0-{KIB256}", f"put bytes 0-{KIB256 - 1}/{size}"]
    assert [entry["upload_session"] for entry in saved] == [SESSION_URI]
    assert saved[0]["upload_opened_at"] == NOW.isoformat()
    attempt_one_puts = upload.call_count

    # Attempt 2, an hour later, with what attempt 1 saved.
    log.clear()

    def attempt_two(request: httpx.Request) -> httpx.Response:
        log.append(f"put {request.headers['Content-Range']}")
        if request.headers["Content-Range"] == f"bytes */{size}":
            return httpx.Response(308, headers={"Range": f"bytes=0-{held - 1}"})
        if request.headers["Content-Range"] == f"bytes {held}-{held + KIB256 - 1}/{size}":
            return httpx.Response(308, headers={"Range": f"bytes=0-{held + KIB256 - 1}"})
        return httpx.Response(201, json={"kind": "youtube#video", "id": "resumedVid1"})

    upload.mock(side_effect=attempt_two)
    later = Checkpoint(saved=saved[-1])
    async with httpx.AsyncClient() as http:
        adapter = YouTubeAdapter(
            client_id="client-id.apps.googleusercontent.com",
            client_secret="client-secret",
            http=http,
            chunk_size=KIB256,
            clock=lambda: NOW + timedelta(hours=1),
        )
        result = await adapter.publish(TOKENS, ACCOUNT, upload_request(later, log))

    assert result.platform_post_id == "resumedVid1"
    assert session.call_count == 1  # no second session
    assert log == [
        f"put bytes */{size}",
        f"read {held}-{held + KIB256}",
        f"put bytes {held}-{held + KIB256 - 1}/{size}",
        f"read {held + KIB256}-{size}",
        f"put bytes {held + KIB256}-{size - 1}/{size}",
    ]
    query, *rest = upload.calls[attempt_one_puts:]
    assert query.request.content == b""
    assert query.request.headers["Content-Length"] == "0"
    assert_bearer(query.request)
    assert [call.request.content for call in rest] == [
        RESUMED_VIDEO[held : held + KIB256],
        RESUMED_VIDEO[held + KIB256 :],
    ]
    assert sum(len(call.request.content) for call in rest) == size - held


@pytest.mark.anyio
@pytest.mark.parametrize("gone", [404, 410])
async def test_a_session_google_forgot_starts_a_new_one(mock: respx.MockRouter, gone: int) -> None:
    """The status query answers 404/410: a new session is opened and saved, and the whole file
    goes to it from byte 0; nothing more goes to the old one."""
    size = len(RESUMED_VIDEO)
    saved: list[dict[str, str]] = []
    checkpoint = saved_session()
    checkpoint.store = saving(saved).store
    old = mock.put(SESSION_URI).mock(return_value=httpx.Response(gone, text="Not Found"))
    session = mock.post(
        f"{UPLOAD}/videos", params={"uploadType": "resumable", "part": "snippet,status"}
    ).mock(return_value=httpx.Response(200, headers={"Location": NEW_SESSION_URI}))
    new = mock.put(NEW_SESSION_URI).mock(
        return_value=httpx.Response(200, json={"kind": "youtube#video", "id": "freshVid1"})
    )
    async with httpx.AsyncClient() as http:
        result = await make_adapter(http).publish(TOKENS, ACCOUNT, upload_request(checkpoint))

    assert result.platform_post_id == "freshVid1"
    assert [call.request.headers["Content-Range"] for call in old.calls] == [f"bytes */{size}"]
    assert session.call_count == 1
    assert [entry["upload_session"] for entry in saved] == [NEW_SESSION_URI]
    assert checkpoint.saved["upload_session"] == NEW_SESSION_URI
    (put,) = new.calls
    assert put.request.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    assert put.request.content == RESUMED_VIDEO


@pytest.mark.anyio
@pytest.mark.parametrize(
    "checkpoint",
    [
        pytest.param(saved_session(opened=NOW - timedelta(days=7)), id="a week old"),
        pytest.param(
            saved_session(snippet={"title": "Other", "description": "x", "categoryId": "22"}),
            id="opened for other metadata",
        ),
    ],
)
async def test_a_session_too_old_or_for_other_metadata_is_not_resumed(
    mock: respx.MockRouter, checkpoint: Checkpoint
) -> None:
    """A session of a week ago has expired (and one opened for other metadata or another file
    would make another video): a new session, without asking the old one anything (the mock
    router refuses any request to a route it does not have, such as the old session)."""
    mock.post(
        f"{UPLOAD}/videos", params={"uploadType": "resumable", "part": "snippet,status"}
    ).mock(return_value=httpx.Response(200, headers={"Location": NEW_SESSION_URI}))
    new = mock.put(NEW_SESSION_URI).mock(return_value=httpx.Response(201, json={"id": "v2"}))
    async with httpx.AsyncClient() as http:
        result = await make_adapter(http).publish(TOKENS, ACCOUNT, upload_request(checkpoint))
    assert result.platform_post_id == "v2"
    assert new.call_count == 1


@pytest.mark.anyio
@pytest.mark.parametrize("complete", [200, 201])
async def test_an_upload_finished_in_an_earlier_attempt_is_the_published_video(
    mock: respx.MockRouter, complete: int
) -> None:
    """Attempt 1 sent the last byte but its answer was lost. The status query answers with the
    video resource: that video is the one published; no session is opened, no byte is sent
    (the mock router refuses any request to a route it does not have, such as a new session)."""
    log: list[str] = []
    query = mock.put(SESSION_URI).mock(
        return_value=httpx.Response(
            complete, json={"kind": "youtube#video", "id": "finishedVid", "status": {}}
        )
    )
    async with httpx.AsyncClient() as http:
        result = await make_adapter(http).publish(
            TOKENS, ACCOUNT, upload_request(saved_session(), log)
        )

    assert result.platform_post_id == "finishedVid"
    assert result.progress["video_id"] == "finishedVid"
    (call,) = query.calls
    assert call.request.headers["Content-Range"] == f"bytes */{len(RESUMED_VIDEO)}"
    assert call.request.content == b""
    assert log == []  # not a byte of the video read


# -- engagement (the inbox) ---------------------------------------------------------------------

VIDEO = "wtLJPvx7-ys"
TOP = Engagement(
    platform="youtube",
    platform_account_id="UC123",
    platform_item_id="UgzDE2tasfmrYLyNkGt4AaABAg",
    kind="comment",
    text="Great video",
    author=EngagementAuthor(platform_user_id="UCfan", name="Fan"),
    platform_post_id=VIDEO,
    thread_id="UgzDE2tasfmrYLyNkGt4AaABAg",
)
NESTED = Engagement(
    platform="youtube",
    platform_account_id="UC123",
    platform_item_id="UgzDE2tasfmrYLyNkGt4AaABAg.8wWQ4tJpQ3W",
    kind="reply",
    text="Agreed",
    author=EngagementAuthor(platform_user_id="UCfriend", name="Friend"),
    platform_post_id=VIDEO,
    parent_id="UgzDE2tasfmrYLyNkGt4AaABAg",
    thread_id="UgzDE2tasfmrYLyNkGt4AaABAg",
)


def json_body(request: httpx.Request) -> Any:
    assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
    return json.loads(request.content)


@pytest.mark.anyio
@pytest.mark.parametrize("answered", [TOP, NESTED])
async def test_reply_is_a_comment_under_the_top_level_comment(
    mock: respx.MockRouter, answered: Engagement
) -> None:
    """comments.insert?part=snippet with snippet.parentId (a top-level comment) and
    textOriginal; the answer is the comment resource
    (https://developers.google.com/youtube/v3/docs/comments/insert,
    https://developers.google.com/youtube/v3/docs/comments#resource)."""
    route = mock.post(f"{API}/comments", params={"part": "snippet"}).respond(
        200,
        json={
            "kind": "youtube#comment",
            "id": "UgzDE2tasfmrYLyNkGt4AaABAg.9xReply",
            "snippet": {
                "textOriginal": "Thanks!",
                "parentId": "UgzDE2tasfmrYLyNkGt4AaABAg",
                "publishedAt": "2026-03-01T11:59:00Z",
            },
        },
    )
    async with httpx.AsyncClient() as http:
        reply = await make_adapter(http).reply_to_engagement(TOKENS, ACCOUNT, answered, "Thanks!")
    request = route.calls.last.request
    assert_bearer(request)
    assert json_body(request) == {
        "snippet": {"parentId": "UgzDE2tasfmrYLyNkGt4AaABAg", "textOriginal": "Thanks!"}
    }
    assert reply == Engagement(
        platform="youtube",
        platform_account_id="UC123",
        platform_item_id="UgzDE2tasfmrYLyNkGt4AaABAg.9xReply",
        kind="reply",
        text="Thanks!",
        author=EngagementAuthor(platform_user_id="UC123", name="Channel"),
        created_at=datetime(2026, 3, 1, 11, 59, tzinfo=UTC),
        platform_post_id=VIDEO,
        parent_id=answered.platform_item_id,
        thread_id="UgzDE2tasfmrYLyNkGt4AaABAg",
        permalink=f"https://www.youtube.com/watch?v={VIDEO}&lc=UgzDE2tasfmrYLyNkGt4AaABAg.9xReply",
    )


@pytest.mark.anyio
@pytest.mark.parametrize(("hidden", "status"), [(True, "heldForReview"), (False, "published")])
async def test_hide_holds_the_comment_for_review_and_unhide_publishes_it(
    mock: respx.MockRouter, hidden: bool, status: str
) -> None:
    """POST comments/setModerationStatus?id=...&moderationStatus=..., no body, 204 (a rejected
    comment can never be published again, so hiding holds it for review instead)
    https://developers.google.com/youtube/v3/docs/comments/setModerationStatus"""
    route = mock.post(f"{API}/comments/setModerationStatus").respond(204)
    async with httpx.AsyncClient() as http:
        await make_adapter(http).hide_engagement(TOKENS, ACCOUNT, NESTED, hidden=hidden)
    request = route.calls.last.request
    assert_bearer(request)
    assert dict(request.url.params) == {
        "id": "UgzDE2tasfmrYLyNkGt4AaABAg.8wWQ4tJpQ3W",
        "moderationStatus": status,
    }
    assert request.content == b""


@pytest.mark.anyio
async def test_deleting_another_user_s_comment_rejects_it(mock: respx.MockRouter) -> None:
    """ "To remove a comment authored by another user from your channel or video, set its
    moderation status to rejected. The comments.delete method can only be used by the
    comment's original author."
    https://developers.google.com/youtube/v3/docs/comments/setModerationStatus"""
    route = mock.post(f"{API}/comments/setModerationStatus").respond(204)
    async with httpx.AsyncClient() as http:
        await make_adapter(http).delete_engagement(TOKENS, ACCOUNT, TOP)
    assert dict(route.calls.last.request.url.params) == {
        "id": "UgzDE2tasfmrYLyNkGt4AaABAg",
        "moderationStatus": "rejected",
    }


@pytest.mark.anyio
async def test_deleting_the_channel_s_own_comment(mock: respx.MockRouter) -> None:
    """DELETE comments?id=... (204): https://developers.google.com/youtube/v3/docs/comments/delete"""
    route = mock.delete(f"{API}/comments").respond(204)
    own = Engagement(
        platform="youtube",
        platform_account_id="UC123",
        platform_item_id="UgzDE2tasfmrYLyNkGt4AaABAg.9xReply",
        kind="reply",
        text="Thanks!",
        author=EngagementAuthor(platform_user_id="UC123"),
    )
    async with httpx.AsyncClient() as http:
        await make_adapter(http).delete_engagement(TOKENS, ACCOUNT, own)
    request = route.calls.last.request
    assert_bearer(request)
    assert dict(request.url.params) == {"id": "UgzDE2tasfmrYLyNkGt4AaABAg.9xReply"}


THREADS_LISTING = {
    "kind": "youtube#commentThreadListResponse",
    "nextPageToken": "QURTSl9p",
    "pageInfo": {"totalResults": 2, "resultsPerPage": 100},
    "items": [
        {
            "kind": "youtube#commentThread",
            "id": "UgzNew",
            "snippet": {
                "videoId": VIDEO,
                "topLevelComment": {
                    "kind": "youtube#comment",
                    "id": "UgzNew",
                    "snippet": {
                        "authorDisplayName": "@newfan",
                        "authorProfileImageUrl": "https://yt3.ggpht.com/new.jpg",
                        "authorChannelUrl": "http://www.youtube.com/@newfan",
                        "authorChannelId": {"value": "UCnewfan"},
                        "videoId": VIDEO,
                        "textDisplay": "First &amp; best",
                        "textOriginal": "First & best",
                        "publishedAt": "2026-03-01T11:00:00Z",
                        "updatedAt": "2026-03-01T11:00:00Z",
                    },
                },
                "totalReplyCount": 1,
            },
            "replies": {
                "comments": [
                    {
                        "kind": "youtube#comment",
                        "id": "UgzNew.reply1",
                        "snippet": {
                            "authorDisplayName": "@friend",
                            "authorChannelId": {"value": "UCfriend"},
                            "textOriginal": "Indeed",
                            "parentId": "UgzNew",
                            "publishedAt": "2026-03-01T11:30:00Z",
                        },
                    }
                ]
            },
        },
        {
            "kind": "youtube#commentThread",
            "id": "UgzOld",
            "snippet": {
                "topLevelComment": {
                    "id": "UgzOld",
                    "snippet": {"textOriginal": "Old", "publishedAt": "2026-02-01T00:00:00Z"},
                }
            },
        },
    ],
}


@pytest.mark.anyio
async def test_list_comments_keeps_what_is_newer_than_the_cursor(mock: respx.MockRouter) -> None:
    """commentThreads.list?part=snippet,replies&videoId=...&order=time&maxResults=100
    (https://developers.google.com/youtube/v3/docs/commentThreads/list; thread and comment
    resources https://developers.google.com/youtube/v3/docs/commentThreads#resource)."""
    route = mock.get(f"{API}/commentThreads").respond(200, json=THREADS_LISTING)
    async with httpx.AsyncClient() as http:
        page = await make_adapter(http).list_comments(
            TOKENS, ACCOUNT, VIDEO, "2026-02-01T00:00:00+00:00 UgzOld"
        )
    request = route.calls.last.request
    assert_bearer(request)
    assert dict(request.url.params) == {
        "part": "snippet,replies",
        "videoId": VIDEO,
        "order": "time",
        "maxResults": "100",
        "textFormat": "plainText",
    }
    assert page.items == [
        Engagement(
            platform="youtube",
            platform_account_id="UC123",
            platform_item_id="UgzNew.reply1",
            kind="reply",
            text="Indeed",
            author=EngagementAuthor(platform_user_id="UCfriend", name="@friend"),
            created_at=datetime(2026, 3, 1, 11, 30, tzinfo=UTC),
            platform_post_id=VIDEO,
            parent_id="UgzNew",
            thread_id="UgzNew",
            permalink=f"https://www.youtube.com/watch?v={VIDEO}&lc=UgzNew.reply1",
        ),
        Engagement(
            platform="youtube",
            platform_account_id="UC123",
            platform_item_id="UgzNew",
            kind="comment",
            text="First & best",
            author=EngagementAuthor(
                platform_user_id="UCnewfan",
                name="@newfan",
                avatar_url="https://yt3.ggpht.com/new.jpg",
            ),
            created_at=datetime(2026, 3, 1, 11, 0, tzinfo=UTC),
            platform_post_id=VIDEO,
            thread_id="UgzNew",
            permalink=f"https://www.youtube.com/watch?v={VIDEO}&lc=UgzNew",
        ),
    ]
    assert page.cursor == "2026-03-01T11:30:00+00:00 UgzNew.reply1"


@pytest.mark.anyio
async def test_polling_again_finds_nothing_new(mock: respx.MockRouter) -> None:
    mock.get(f"{API}/commentThreads").respond(200, json=THREADS_LISTING)
    async with httpx.AsyncClient() as http:
        page = await make_adapter(http).list_comments(
            TOKENS, ACCOUNT, VIDEO, "2026-03-01T11:30:00+00:00 UgzNew.reply1"
        )
    assert page == EngagementPage(items=[], cursor=None)


@pytest.mark.anyio
async def test_mentions_are_not_supported(mock: respx.MockRouter) -> None:
    """The Data API's resources (https://developers.google.com/youtube/v3/docs) have no mentions."""
    async with httpx.AsyncClient() as http:
        with pytest.raises(NotSupported):
            await make_adapter(http).list_mentions(TOKENS, ACCOUNT, None)
    assert not mock.calls


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (lambda: google_error(403, "quotaExceeded", "Quota exceeded"), Retryable),
        (lambda: google_error(401, "authError", "Invalid Credentials"), ReauthRequired),
        (lambda: google_error(403, "commentsDisabled", "Comments are disabled"), Permanent),
    ],
)
async def test_comment_listing_failures_are_classified(
    mock: respx.MockRouter, response: Any, expected: type[Exception]
) -> None:
    """https://developers.google.com/youtube/v3/docs/commentThreads/list#errors and
    https://developers.google.com/youtube/v3/docs/errors"""
    mock.get(f"{API}/commentThreads").mock(return_value=response())
    async with httpx.AsyncClient() as http:
        with pytest.raises(expected):
            await make_adapter(http).list_comments(TOKENS, ACCOUNT, VIDEO, None)


def video_comment_threads(published: list[datetime]) -> Any:
    """commentThreads.list for a video as documented: `order=time` newest first, `maxResults`
    threads per page, `nextPageToken` while others follow, given back as `pageToken`.
    https://developers.google.com/youtube/v3/docs/commentThreads/list"""

    def answer(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["maxResults"])
        start = int(request.url.params.get("pageToken", "tok-0").removeprefix("tok-"))
        newest_first = sorted(published, reverse=True)
        threads = [
            {
                "kind": "youtube#commentThread",
                "id": f"Ugz{moment:%H%M}",
                "snippet": {
                    "videoId": VIDEO,
                    "topLevelComment": {
                        "kind": "youtube#comment",
                        "id": f"Ugz{moment:%H%M}",
                        "snippet": {
                            "textOriginal": "hello",
                            "publishedAt": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        },
                    },
                },
            }
            for moment in newest_first[start : start + size]
        ]
        body: dict[str, Any] = {"kind": "youtube#commentThreadListResponse", "items": threads}
        if start + size < len(newest_first):
            body["nextPageToken"] = f"tok-{start + size}"
        return httpx.Response(200, json=body)

    return answer


@pytest.mark.anyio
async def test_a_burst_of_comments_beyond_a_page_is_read_page_by_page_each_once(
    mock: respx.MockRouter,
) -> None:
    """250 new threads since the last poll (2.5 pages of 100) above 60 seen already: the walk
    follows `nextPageToken` as `pageToken` while every thread of the page is newer than the
    time cursor, and stops at the page that reaches what was seen; the next poll then starts
    after the newest comment of the walk's first page.
    https://developers.google.com/youtube/v3/docs/commentThreads/list"""
    opening = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    seen_before = [opening + timedelta(minutes=minute) for minute in range(60)]
    burst = [opening + timedelta(minutes=minute) for minute in range(60, 310)]
    published = seen_before + burst
    route = mock.get(f"{API}/commentThreads").mock(side_effect=video_comment_threads(published))
    cursor: str | None = f"{seen_before[-1].isoformat()} Ugz{seen_before[-1]:%H%M}"
    found: list[str] = []
    walked: list[bool] = []
    async with httpx.AsyncClient() as http:
        adapter = make_adapter(http)
        for _ in range(3):
            page = await adapter.list_comments(TOKENS, ACCOUNT, VIDEO, cursor)
            found += [item.platform_item_id for item in page.items]
            walked.append(page.more)
            cursor = page.cursor
        assert walked == [True, True, False]
        assert sorted(found) == sorted(f"Ugz{moment:%H%M}" for moment in burst)
        assert len(found) == len(set(found)) == 250
        assert [call.request.url.params.get("pageToken") for call in route.calls] == [
            None,
            "tok-100",
            "tok-200",
        ]
        assert cursor == f"{burst[-1].isoformat()} Ugz{burst[-1]:%H%M}"

        published.append(burst[-1] + timedelta(minutes=1))
        page = await adapter.list_comments(TOKENS, ACCOUNT, VIDEO, cursor)
    assert [item.platform_item_id for item in page.items] == [f"Ugz{published[-1]:%H%M}"]
    assert not page.more
    assert "pageToken" not in route.calls.last.request.url.params
