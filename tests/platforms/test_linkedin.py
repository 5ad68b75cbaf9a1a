"""The LinkedIn adapter against the documented Posts, Images, Videos and Documents API requests,
intercepted at the transport."""

import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
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
    PlatformError,
    PublishRequest,
    PublishResult,
    ReauthRequired,
    RecentPost,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.platforms.linkedin import (
    DEFAULT_API_VERSION,
    LinkedInAdapter,
    little_text,
    plain_text,
)
from functions.shared.engagement import Engagement, EngagementAuthor
from functions.shared.settings import Settings
from tests.platforms.media_bytes import in_memory

API = "https://api.linkedin.com"
# A published version other than the default, so the tests show the pinned one is what is sent.
VERSION = "202607"
# The versions LinkedIn has published, with the pages they were read from.
PUBLISHED_VERSIONS = Path(__file__).resolve().parents[1] / "data" / "linkedin" / "versions.txt"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TOKENS = TokenSet(access_token="li-access", refresh_token="li-refresh")
# What the default consent grants (the token answer lists the scopes, comma-separated).
GRANTED = ("openid", "profile", "w_member_social", "w_organization_social", "r_organization_social")
MEMBER = ConnectedAccount(platform_account_id="urn:li:person:abc123", name="Ada", kind="profile")
ORGANIZATION = ConnectedAccount(
    platform_account_id="urn:li:organization:2414183", name="Herald", kind="organization"
)
DISTRIBUTION = {
    "feedDistribution": "MAIN_FEED",
    "targetEntities": [],
    "thirdPartyDistributionChannels": [],
}

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def adapter() -> LinkedInAdapter:
    return LinkedInAdapter(
        client_id="li-client",
        client_secret="li-secret",
        http=httpx.AsyncClient(),
        api_version=VERSION,
        now=lambda: NOW,
    )


def png_bytes(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, format="PNG")
    return buffer.getvalue()


def media(
    kind: MediaKind, content: bytes, content_type: str, *, alt: str | None = None, name: str = ""
) -> MediaFile:
    return in_memory(
        kind,
        content_type,
        content,
        "https://media.example/asset",
        alt_text=alt,
        filename=name or "asset",
    )


def assert_versioned(request: httpx.Request, *, json_body: bool = False) -> None:
    assert request.headers["authorization"] == "Bearer li-access"
    assert request.headers["linkedin-version"] == VERSION
    assert request.headers["x-restli-protocol-version"] == "2.0.0"
    if json_body:
        assert request.headers["content-type"] == "application/json"


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def form(request: httpx.Request) -> dict[str, str]:
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return {k: v[0] for k, v in parse_qs(request.content.decode(), strict_parsing=True).items()}


def post_body(author: str, commentary: str, content: Any = None) -> dict[str, Any]:
    expected: dict[str, Any] = {
        "author": author,
        "commentary": commentary,
        "visibility": "PUBLIC",
        "distribution": DISTRIBUTION,
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    if content is not None:
        expected["content"] = content
    return expected


# -- publishing -------------------------------------------------------------------------------


async def test_text_post_as_member(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """A text-only post: POST /rest/posts; the new post's URN comes back in x-restli-id.
    The commentary is Little Text Format (reserved characters escaped, hashtags as templates).

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
    """
    route = mock.post(f"{API}/rest/posts").respond(
        201, headers={"x-restli-id": "urn:li:share:6844785523593134080"}
    )

    result = await adapter.publish(
        TOKENS, MEMBER, PublishRequest(text="Launch (beta) today! #herald @you")
    )

    assert result == PublishResult(
        state="published",
        platform_post_id="urn:li:share:6844785523593134080",
        url="https://www.linkedin.com/feed/update/urn:li:share:6844785523593134080/",
    )
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.url == f"{API}/rest/posts"
    assert_versioned(request, json_body=True)
    assert body(request) == post_body(
        "urn:li:person:abc123", "Launch \\(beta\\) today! {hashtag|\\#|herald} \\@you"
    )


@pytest.mark.parametrize(
    "account",
    [
        ORGANIZATION,
        ConnectedAccount(platform_account_id="2414183", name="Herald", kind="organization"),
    ],
)
async def test_text_post_as_organization(
    adapter: LinkedInAdapter, mock: respx.MockRouter, account: ConnectedAccount
) -> None:
    """An organization page is the author as urn:li:organization:{id} (w_organization_social).

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
    """
    route = mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": "urn:li:share:1"})

    await adapter.publish(TOKENS, account, PublishRequest(text="Hello"))

    assert body(route.calls.last.request)["author"] == "urn:li:organization:2414183"


def test_little_text_escapes_every_reserved_character() -> None:
    """https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format"""
    assert little_text("a|b{c}d@e[f]g(h)i<j>k\\l*m_n~o") == (
        "a\\|b\\{c\\}d\\@e\\[f\\]g\\(h\\)i\\<j\\>k\\\\l\\*m\\_n\\~o"
    )
    assert little_text("# alone, #tag_1") == "\\# alone, {hashtag|\\#|tag\\_1}"


async def test_single_image_post(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """Images API: initializeUpload with the owner, PUT the bytes to uploadUrl (bearer token),
    then a post whose content.media holds the image URN and its alt text.

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
    """
    png = png_bytes("red")
    upload_url = "https://www.linkedin.com/dms-uploads/C4E10AQ/uploadedImage/0?ca=vector_ads&cn=uploads&m=AQ&app=1&v=beta&ut=2"
    init = mock.post(f"{API}/rest/images", params={"action": "initializeUpload"}).respond(
        200,
        json={
            "value": {
                "uploadUrlExpiresAt": 1650567510704,
                "uploadUrl": upload_url,
                "image": "urn:li:image:C4E10AQFoyyAjHPMQuQ",
            }
        },
    )
    upload = mock.put(upload_url).respond(201)
    post = mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": "urn:li:share:2"})

    result = await adapter.publish(
        TOKENS,
        ORGANIZATION,
        PublishRequest(text="A picture", media=[media("image", png, "image/png", alt="A red box")]),
    )

    assert result.platform_post_id == "urn:li:share:2"
    assert init.calls.last.request.url.params["action"] == "initializeUpload"
    assert_versioned(init.calls.last.request, json_body=True)
    assert body(init.calls.last.request) == {
        "initializeUploadRequest": {"owner": "urn:li:organization:2414183"}
    }
    put = upload.calls.last.request
    assert put.method == "PUT"
    assert str(put.url) == upload_url
    assert put.headers["authorization"] == "Bearer li-access"
    assert put.content == png
    assert body(post.calls.last.request) == post_body(
        "urn:li:organization:2414183",
        "A picture",
        {"media": {"id": "urn:li:image:C4E10AQFoyyAjHPMQuQ", "altText": "A red box"}},
    )
    assert [c.request.method for c in mock.calls] == ["POST", "PUT", "POST"]


async def test_multi_image_post(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """Several images: one initializeUpload + PUT per image, in order, then content.multiImage.

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/multiimage-post-api
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api
    """
    pngs = [png_bytes("red"), png_bytes("blue")]
    urls = [f"https://www.linkedin.com/dms-uploads/img{i}/uploadedImage/0" for i in range(2)]
    init = mock.post(f"{API}/rest/images", params={"action": "initializeUpload"})
    init.side_effect = [
        httpx.Response(200, json={"value": {"uploadUrl": urls[i], "image": f"urn:li:image:I{i}"}})
        for i in range(2)
    ]
    uploads = [mock.put(url).respond(201) for url in urls]
    post = mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": "urn:li:share:3"})

    await adapter.publish(
        TOKENS,
        MEMBER,
        PublishRequest(
            text="Two",
            media=[
                media("image", pngs[0], "image/png", alt="red"),
                media("image", pngs[1], "image/png"),
            ],
        ),
    )

    assert [u.calls.last.request.content for u in uploads] == pngs
    assert [(c.request.method, str(c.request.url)) for c in mock.calls] == [
        ("POST", f"{API}/rest/images?action=initializeUpload"),
        ("PUT", urls[0]),
        ("POST", f"{API}/rest/images?action=initializeUpload"),
        ("PUT", urls[1]),
        ("POST", f"{API}/rest/posts"),
    ]
    assert body(post.calls.last.request)["content"] == {
        "multiImage": {
            "images": [
                {"id": "urn:li:image:I0", "altText": "red"},
                {"id": "urn:li:image:I1", "altText": ""},
            ]
        }
    }


async def test_video_multipart_upload_then_post_when_available(
    adapter: LinkedInAdapter, mock: respx.MockRouter
) -> None:
    """Videos API: initializeUpload with fileSizeBytes; each uploadInstructions range
    [firstByte, lastByte] is PUT (application/octet-stream) to its own uploadUrl in order; the
    ETag of each answer goes, in order, to finalizeUpload's uploadedPartIds. The post is created
    once GET /rest/videos/{urn} reports AVAILABLE (status() polls, one check per call).

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
    """
    video = os.urandom(2500)
    ranges = [(0, 999), (1000, 1999), (2000, 2499)]
    part_urls = [
        f"https://www.linkedin.com/dms-uploads/sp/v2/C5505AQH/part{i}?ca=vector_feedshare&sig=s{i}"
        for i in range(3)
    ]
    init = mock.post(f"{API}/rest/videos", params={"action": "initializeUpload"}).respond(
        200,
        json={
            "value": {
                "uploadUrlsExpireAt": 1660000000000,
                "video": "urn:li:video:C5505AQH-oV1qvnFtKA",
                "uploadInstructions": [
                    {"uploadUrl": url, "firstByte": first, "lastByte": last}
                    for url, (first, last) in zip(part_urls, ranges, strict=True)
                ],
                "uploadToken": "",
            }
        },
    )
    parts = [
        mock.put(url).respond(200, headers={"ETag": f"/ambry-video/signedId/part-{i}"})
        for i, url in enumerate(part_urls)
    ]
    finalize = mock.post(f"{API}/rest/videos", params={"action": "finalizeUpload"}).respond(200)

    result = await adapter.publish(
        TOKENS,
        MEMBER,
        PublishRequest(
            text="Watch",
            media=[media("video", video, "video/mp4", name="clip.mp4")],
            options={"title": "Our clip"},
        ),
    )

    assert body(init.calls.last.request) == {
        "initializeUploadRequest": {
            "owner": "urn:li:person:abc123",
            "fileSizeBytes": 2500,
            "uploadCaptions": False,
            "uploadThumbnail": False,
        }
    }
    assert_versioned(init.calls.last.request, json_body=True)
    for part, (first, last) in zip(parts, ranges, strict=True):
        request = part.calls.last.request
        assert request.method == "PUT"
        assert request.headers["content-type"] == "application/octet-stream"
        assert request.content == video[first : last + 1]
    assert b"".join(p.calls.last.request.content for p in parts) == video
    assert [str(c.request.url) for c in mock.calls] == [
        f"{API}/rest/videos?action=initializeUpload",
        *part_urls,
        f"{API}/rest/videos?action=finalizeUpload",
    ]
    assert_versioned(finalize.calls.last.request, json_body=True)
    assert body(finalize.calls.last.request) == {
        "finalizeUploadRequest": {
            "video": "urn:li:video:C5505AQH-oV1qvnFtKA",
            "uploadToken": "",
            "uploadedPartIds": [f"/ambry-video/signedId/part-{i}" for i in range(3)],
        }
    }
    assert result.state == "processing"
    assert result.check_after_seconds == 30
    assert result.progress["video"] == "urn:li:video:C5505AQH-oV1qvnFtKA"

    video_url = f"{API}/rest/videos/urn%3Ali%3Avideo%3AC5505AQH-oV1qvnFtKA"
    check = mock.get(video_url)
    check.side_effect = [
        httpx.Response(200, json={"status": "PROCESSING", "id": "urn:li:video:C5505AQH"}),
        httpx.Response(200, json={"status": "AVAILABLE", "id": "urn:li:video:C5505AQH"}),
    ]
    post = mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": "urn:li:ugcPost:9"})

    waiting = await adapter.status(TOKENS, MEMBER, result)
    assert waiting.state == "processing"
    assert waiting.check_after_seconds == 30
    assert not post.called
    assert check.calls.last.request.url.raw_path == (
        b"/rest/videos/urn%3Ali%3Avideo%3AC5505AQH-oV1qvnFtKA"
    )
    assert_versioned(check.calls.last.request)

    done = await adapter.status(TOKENS, MEMBER, result)
    assert done.state == "published"
    assert done.platform_post_id == "urn:li:ugcPost:9"
    assert done.url == "https://www.linkedin.com/feed/update/urn:li:ugcPost:9/"
    assert body(post.calls.last.request) == post_body(
        "urn:li:person:abc123",
        "Watch",
        {"media": {"title": "Our clip", "id": "urn:li:video:C5505AQH-oV1qvnFtKA"}},
    )


async def test_video_processing_failure_is_reported(
    adapter: LinkedInAdapter, mock: respx.MockRouter
) -> None:
    """https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api"""
    mock.get(f"{API}/rest/videos/urn%3Ali%3Avideo%3AV1").respond(
        200, json={"status": "PROCESSING_FAILED", "processingFailureReason": "Bad codec"}
    )
    pending = PublishResult(
        state="processing",
        progress={
            "stage": "video",
            "video": "urn:li:video:V1",
            "author": "urn:li:person:abc123",
            "commentary": "x",
            "visibility": "PUBLIC",
            "title": "t",
        },
    )

    status = await adapter.status(TOKENS, MEMBER, pending)

    assert status.state == "failed"
    assert status.error is not None
    assert "Bad codec" in status.error


async def test_document_post(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """Documents API: initializeUpload, PUT the file, then content.media with title and URN.

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/documents-api
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
    """
    pdf = b"%PDF-1.4\n" + os.urandom(600) + b"\n%%EOF\n"
    upload_url = "https://www.linkedin.com/dms-uploads/D5/uploadedDocument/0?sig=x"
    init = mock.post(f"{API}/rest/documents", params={"action": "initializeUpload"}).respond(
        200,
        json={
            "value": {
                "uploadUrlExpiresAt": 1650567510704,
                "uploadUrl": upload_url,
                "document": "urn:li:document:D5510AQ",
            }
        },
    )
    upload = mock.put(upload_url).respond(201)
    post = mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": "urn:li:share:4"})

    await adapter.publish(
        TOKENS,
        ORGANIZATION,
        PublishRequest(
            text="Our report",
            media=[media("document", pdf, "application/pdf", name="report.pdf")],
        ),
    )

    assert body(init.calls.last.request) == {
        "initializeUploadRequest": {"owner": "urn:li:organization:2414183"}
    }
    assert upload.calls.last.request.content == pdf
    assert upload.calls.last.request.headers["authorization"] == "Bearer li-access"
    assert body(post.calls.last.request)["content"] == {
        "media": {"title": "report.pdf", "id": "urn:li:document:D5510AQ"}
    }


async def test_mixed_media_is_refused_before_any_request(adapter: LinkedInAdapter) -> None:
    """A post carries images, or one video, or one document (Posts API content types).

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
    """
    with respx.mock(assert_all_mocked=True), pytest.raises(Permanent):
        await adapter.publish(
            TOKENS,
            MEMBER,
            PublishRequest(
                text="x",
                media=[
                    media("image", b"i", "image/png"),
                    media("video", b"v", "video/mp4"),
                ],
            ),
        )


# -- error classification --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "error", "message", "retry_after"),
    [
        (
            httpx.Response(
                401,
                json={
                    "status": 401,
                    "serviceErrorCode": 65601,
                    "code": "REVOKED_ACCESS_TOKEN",
                    "message": "The token used in the request has been revoked by the user",
                },
            ),
            ReauthRequired,
            "The token used in the request has been revoked by the user",
            None,
        ),
        (
            httpx.Response(
                429,
                headers={"Retry-After": "7"},
                json={"status": 429, "message": "Resource level throttle limit reached"},
            ),
            Retryable,
            "Resource level throttle limit reached",
            7.0,
        ),
        (
            httpx.Response(503, text="Service Unavailable"),
            Retryable,
            "Service Unavailable",
            None,
        ),
        (
            httpx.Response(
                422,
                json={
                    "status": 422,
                    "message": "ERROR :: /commentary :: Content is a duplicate of urn:li:share:1",
                },
            ),
            Permanent,
            "ERROR :: /commentary :: Content is a duplicate of urn:li:share:1",
            None,
        ),
        (
            httpx.Response(400, json={"status": 400, "message": "Invalid author urn"}),
            Permanent,
            "Invalid author urn",
            None,
        ),
    ],
)
async def test_errors_are_classified(
    adapter: LinkedInAdapter,
    mock: respx.MockRouter,
    response: httpx.Response,
    error: type[PlatformError],
    message: str,
    retry_after: float | None,
) -> None:
    """401 -> re-auth, 429 -> retry after Retry-After, 5xx -> retry, 400/422 -> permanent with
    LinkedIn's own message.

    https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
    https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits
    """
    mock.post(f"{API}/rest/posts").mock(return_value=response)

    with pytest.raises(error) as raised:
        await adapter.publish(TOKENS, MEMBER, PublishRequest(text="x"))

    assert raised.value.message == message
    if retry_after is not None:
        assert isinstance(raised.value, Retryable)
        assert raised.value.retry_after == retry_after


async def test_timeout_is_retryable(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling"""
    mock.post(f"{API}/rest/posts").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(Retryable):
        await adapter.publish(TOKENS, MEMBER, PublishRequest(text="x"))


async def test_failed_video_part_is_retryable(
    adapter: LinkedInAdapter, mock: respx.MockRouter
) -> None:
    """https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api"""
    mock.post(f"{API}/rest/videos", params={"action": "initializeUpload"}).respond(
        200,
        json={
            "value": {
                "video": "urn:li:video:V",
                "uploadInstructions": [
                    {
                        "uploadUrl": "https://www.linkedin.com/dms-uploads/p0",
                        "firstByte": 0,
                        "lastByte": 9,
                    }
                ],
                "uploadToken": "",
            }
        },
    )
    mock.put("https://www.linkedin.com/dms-uploads/p0").respond(500)

    with pytest.raises(Retryable):
        await adapter.publish(
            TOKENS,
            MEMBER,
            PublishRequest(text="x", media=[media("video", os.urandom(10), "video/mp4")]),
        )


# -- OAuth and accounts ------------------------------------------------------------------------


def test_authorization_url(adapter: LinkedInAdapter) -> None:
    """The scopes include r_organization_admin, which listing the organizations a member
    administers (organizationAcls) requires.

    https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow,
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
    """
    url = adapter.authorization_url(
        state="signed-state", code_challenge="unused", redirect_uri="https://app.example/cb"
    )

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://www.linkedin.com/oauth/v2/authorization"
    )
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["li-client"],
        "redirect_uri": ["https://app.example/cb"],
        "state": ["signed-state"],
        "scope": [
            "openid profile w_member_social w_organization_social r_organization_social "
            "r_organization_admin"
        ],
    }
    assert "%20" in parts.query
    assert "+" not in parts.query


async def test_exchange_code(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """POST /oauth/v2/accessToken, form-encoded, grant_type=authorization_code.

    https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
    """
    route = mock.post("https://www.linkedin.com/oauth/v2/accessToken").respond(
        200,
        json={
            "access_token": "new-access",
            "expires_in": 5184000,
            "refresh_token": "new-refresh",
            "refresh_token_expires_in": 31536000,
            "scope": "openid,profile,w_member_social",
        },
    )

    tokens = await adapter.exchange_code(
        code="the-code", code_verifier="unused", redirect_uri="https://app.example/cb"
    )

    assert form(route.calls.last.request) == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "https://app.example/cb",
        "client_id": "li-client",
        "client_secret": "li-secret",
    }
    assert tokens == TokenSet(
        access_token="new-access",
        refresh_token="new-refresh",
        expires_at=NOW + timedelta(seconds=5184000),
        scopes=("openid", "profile", "w_member_social"),
    )


async def test_refresh(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens"""
    route = mock.post("https://www.linkedin.com/oauth/v2/accessToken").respond(
        200, json={"access_token": "fresh", "expires_in": 5184000, "refresh_token": "li-refresh"}
    )

    tokens = await adapter.refresh(TOKENS)

    assert form(route.calls.last.request) == {
        "grant_type": "refresh_token",
        "refresh_token": "li-refresh",
        "client_id": "li-client",
        "client_secret": "li-secret",
    }
    assert tokens.access_token == "fresh"
    assert tokens.refresh_token == "li-refresh"
    assert tokens.expires_at == NOW + timedelta(seconds=5184000)


async def test_refused_refresh_needs_reauth(
    adapter: LinkedInAdapter, mock: respx.MockRouter
) -> None:
    """https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens"""
    mock.post("https://www.linkedin.com/oauth/v2/accessToken").respond(
        400,
        json={
            "error": "invalid_grant",
            "error_description": "The provided authorization grant or refresh token is invalid",
        },
    )

    with pytest.raises(ReauthRequired) as raised:
        await adapter.refresh(TOKENS)
    assert "refresh token is invalid" in raised.value.message

    with pytest.raises(ReauthRequired):
        await adapter.refresh(TokenSet(access_token="only-access"))


async def test_accounts_member_and_administered_organizations(
    adapter: LinkedInAdapter, mock: respx.MockRouter
) -> None:
    """The member from OpenID userinfo; the organizations from organizationAcls (roleAssignee,
    ADMINISTRATOR, APPROVED), each named by the Organization Lookup API.

    https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api
    """
    userinfo = mock.get(f"{API}/v2/userinfo").respond(
        200,
        json={
            "sub": "abc123",
            "name": "Ada Lovelace",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "picture": "https://media.licdn.com/ada.jpg",
        },
    )
    acls = mock.get(f"{API}/rest/organizationAcls").respond(
        200,
        json={
            "paging": {"count": 100, "start": 0},
            "elements": [
                {
                    "roleAssignee": "urn:li:person:abc123",
                    "state": "APPROVED",
                    "role": "ADMINISTRATOR",
                    "organization": "urn:li:organization:2414183",
                },
                {
                    "roleAssignee": "urn:li:person:abc123",
                    "state": "APPROVED",
                    "role": "ADMINISTRATOR",
                    "organization": "urn:li:organization:77",
                },
            ],
        },
    )
    org1 = mock.get(f"{API}/rest/organizations/2414183").respond(
        200, json={"id": 2414183, "localizedName": "Herald", "vanityName": "heraldhq"}
    )
    org2 = mock.get(f"{API}/rest/organizations/77").respond(
        200, json={"id": 77, "localizedName": "Other Co", "vanityName": "otherco"}
    )

    found = await adapter.accounts(TOKENS)

    assert [account for account, _ in found] == [
        ConnectedAccount(
            platform_account_id="urn:li:person:abc123",
            name="Ada Lovelace",
            avatar_url="https://media.licdn.com/ada.jpg",
            kind="profile",
        ),
        ConnectedAccount(
            platform_account_id="urn:li:organization:2414183",
            name="Herald",
            handle="heraldhq",
            kind="organization",
        ),
        ConnectedAccount(
            platform_account_id="urn:li:organization:77",
            name="Other Co",
            handle="otherco",
            kind="organization",
        ),
    ]
    assert all(tokens == TOKENS for _, tokens in found)
    assert userinfo.calls.last.request.headers["authorization"] == "Bearer li-access"
    request = acls.calls.last.request
    assert_versioned(request)
    assert dict(request.url.params) == {
        "q": "roleAssignee",
        "role": "ADMINISTRATOR",
        "state": "APPROVED",
        "count": "100",
    }
    assert_versioned(org1.calls.last.request)
    assert_versioned(org2.calls.last.request)


async def test_accounts_without_an_organization_admin_scope_list_the_member_alone(
    adapter: LinkedInAdapter, mock: respx.MockRouter
) -> None:
    """organizationAcls needs r_organization_admin or rw_organization_admin: a token granted
    neither (an account connected before Herald asked for it) lists the member without asking
    LinkedIn for organizations it would refuse; with r_organization_admin they are asked for.

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
    """
    mock.get(f"{API}/v2/userinfo").respond(200, json={"sub": "abc123", "name": "Ada Lovelace"})
    acls = mock.get(f"{API}/rest/organizationAcls").respond(200, json={"elements": []})

    older = TokenSet(access_token="li-access", scopes=GRANTED)
    found = await adapter.accounts(older)
    assert [account.platform_account_id for account, _ in found] == ["urn:li:person:abc123"]
    assert acls.call_count == 0

    admin = TokenSet(access_token="li-access", scopes=(*GRANTED, "r_organization_admin"))
    found = await adapter.accounts(admin)
    assert [account.platform_account_id for account, _ in found] == ["urn:li:person:abc123"]
    assert acls.call_count == 1


def test_the_default_version_is_one_linkedin_published() -> None:
    """A LinkedIn-Version LinkedIn has not published fails every /rest call, so the default (in
    the adapter and in the settings) must be in the checked-in list of published versions, read
    from LinkedIn's changelog and migrations pages (their URLs head the list).

    https://learn.microsoft.com/en-us/linkedin/marketing/versioning,
    https://learn.microsoft.com/en-us/linkedin/marketing/integrations/recent-changes
    """
    lines = PUBLISHED_VERSIONS.read_text().splitlines()
    published = [line for line in lines if line and not line.startswith("#")]
    assert all(len(version) == 6 and version.isdigit() for version in published)
    assert DEFAULT_API_VERSION in published
    assert Settings.model_fields["linkedin_api_version"].default == DEFAULT_API_VERSION
    assert VERSION in published


async def test_an_adapter_without_a_version_sends_the_default(mock: respx.MockRouter) -> None:
    """https://learn.microsoft.com/en-us/linkedin/marketing/versioning"""
    route = mock.delete(f"{API}/rest/posts/urn%3Ali%3Ashare%3A1").respond(204)
    adapter = LinkedInAdapter(
        client_id="li-client", client_secret="li-secret", http=httpx.AsyncClient()
    )

    await adapter.delete(TOKENS, MEMBER, "urn:li:share:1")

    assert route.calls.last.request.headers["linkedin-version"] == DEFAULT_API_VERSION


# -- delete, comment, metrics ----------------------------------------------------------------


async def test_delete(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """DELETE /rest/posts/{URL-encoded URN} with X-RestLi-Method: DELETE; 204 on success.

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
    """
    route = mock.delete(f"{API}/rest/posts/urn%3Ali%3Ashare%3A6844785523593134080").respond(204)

    await adapter.delete(TOKENS, MEMBER, "urn:li:share:6844785523593134080")

    request = route.calls.last.request
    assert request.url.raw_path == b"/rest/posts/urn%3Ali%3Ashare%3A6844785523593134080"
    assert request.headers["x-restli-method"] == "DELETE"
    assert_versioned(request)


async def test_comment(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """POST /rest/socialActions/{encoded post URN}/comments with actor, object and message.

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api
    """
    route = mock.post(f"{API}/rest/socialActions/urn%3Ali%3Ashare%3A5/comments").respond(
        201,
        json={
            "actor": "urn:li:organization:2414183",
            "commentUrn": "urn:li:comment:(urn:li:activity:5,6)",
            "id": "6",
            "message": {"text": "First!"},
        },
    )

    comment_id = await adapter.comment(TOKENS, ORGANIZATION, "urn:li:share:5", "First!")

    assert comment_id == "urn:li:comment:(urn:li:activity:5,6)"
    request = route.calls.last.request
    assert_versioned(request, json_body=True)
    assert body(request) == {
        "actor": "urn:li:organization:2414183",
        "object": "urn:li:share:5",
        "message": {"text": "First!"},
    }


async def test_metrics(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """GET /rest/socialMetadata/{encoded URN}: reactionSummaries and commentSummary.

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/social-metadata-api
    """
    route = mock.get(f"{API}/rest/socialMetadata/urn%3Ali%3Ashare%3A5").respond(
        200,
        json={
            "reactionSummaries": {
                "LIKE": {"reactionType": "LIKE", "count": 4},
                "PRAISE": {"reactionType": "PRAISE", "count": 2},
            },
            "commentsState": "OPEN",
            "commentSummary": {"count": 3, "topLevelCount": 2},
            "entity": "urn:li:share:5",
        },
    )

    assert await adapter.metrics(TOKENS, MEMBER, "urn:li:share:5") == {
        "reactions": 6,
        "comments": 3,
        "reactions_like": 4,
        "reactions_praise": 2,
    }
    assert_versioned(route.calls.last.request)


@pytest.mark.anyio
async def test_revoke_is_not_offered(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """No revocation endpoint is documented for these apps: nothing is called, False comes back.

    https://learn.microsoft.com/en-us/linkedin/shared/authentication/token-introspection,
    https://learn.microsoft.com/en-us/linkedin/shared/api-guide/best-practices/application-development
    """
    assert await adapter.revoke(TOKENS) is False
    assert not mock.calls


# -- reconciling --------------------------------------------------------------------------------


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def test_recent_posts_find_the_organizations_posts_by_author(
    adapter: LinkedInAdapter, mock: respx.MockRouter
) -> None:
    """GET /rest/posts?author={encoded URN}&q=author&count=50&sortBy=CREATED with the versioned
    headers and X-RestLi-Method: FINDER; `createdAt` is epoch milliseconds, `commentary` is
    Little Text Format (given back as plain text); drafts are not posts yet.

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
    ("Find Posts by Authors"),
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
    """
    organization_tokens = TokenSet(
        access_token="li-access", scopes=("w_organization_social", "r_organization_social")
    )
    route = mock.get(f"{API}/rest/posts").respond(
        200,
        json={
            "paging": {"start": 0, "count": 50, "links": [], "total": 3},
            "elements": [
                {
                    "id": "urn:li:share:7100000000000000002",
                    "author": "urn:li:organization:2414183",
                    "commentary": "Launch day {hashtag|\\#|Herald} \\(beta\\)",
                    "visibility": "PUBLIC",
                    "lifecycleState": "PUBLISHED",
                    "createdAt": ms(NOW - timedelta(minutes=5)),
                    "publishedAt": ms(NOW - timedelta(minutes=5)),
                    "lastModifiedAt": ms(NOW - timedelta(minutes=5)),
                },
                {
                    "id": "urn:li:share:7100000000000000003",
                    "author": "urn:li:organization:2414183",
                    "commentary": "Not ready yet",
                    "visibility": "PUBLIC",
                    "lifecycleState": "DRAFT",
                    "createdAt": ms(NOW - timedelta(minutes=3)),
                    "lastModifiedAt": ms(NOW - timedelta(minutes=3)),
                },
                {
                    "id": "urn:li:ugcPost:7100000000000000001",
                    "author": "urn:li:organization:2414183",
                    "commentary": "Older news",
                    "visibility": "PUBLIC",
                    "lifecycleState": "PUBLISHED",
                    "createdAt": ms(NOW - timedelta(days=2)),
                    "publishedAt": ms(NOW - timedelta(days=2)),
                    "lastModifiedAt": ms(NOW - timedelta(days=2)),
                },
            ],
        },
    )
    posts = await adapter.recent_posts(organization_tokens, ORGANIZATION, NOW - timedelta(hours=1))

    request = route.calls.last.request
    assert request.method == "GET"
    assert_versioned(request)
    assert request.headers["x-restli-method"] == "FINDER"
    assert request.url.query.decode() == (
        "author=urn%3Ali%3Aorganization%3A2414183&q=author&count=50&sortBy=CREATED"
    )
    assert posts == [
        RecentPost(
            platform_post_id="urn:li:share:7100000000000000002",
            text="Launch day #Herald (beta)",
            created_at=NOW - timedelta(minutes=5),
            url="https://www.linkedin.com/feed/update/urn:li:share:7100000000000000002/",
        )
    ]


async def test_recent_posts_of_a_member_without_r_member_social_say_so(
    adapter: LinkedInAdapter, mock: respx.MockRouter
) -> None:
    """A member's posts are readable only with r_member_social, a restricted permission; a
    connection that was not granted it is told so, without calling LinkedIn.

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
    (Permissions)
    """
    member_tokens = TokenSet(access_token="li-access", scopes=("openid", "w_member_social"))
    with pytest.raises(Permanent, match="r_member_social") as caught:
        await adapter.recent_posts(member_tokens, MEMBER, NOW - timedelta(hours=1))
    assert caught.value.code == "scope_missing"


async def test_recent_posts_failures_are_classified(
    adapter: LinkedInAdapter, mock: respx.MockRouter
) -> None:
    """401 (token expired or revoked) -> re-auth; 429 -> retry after Retry-After.

    https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
    """
    mock.get(f"{API}/rest/posts").mock(
        side_effect=[
            httpx.Response(
                401,
                json={
                    "status": 401,
                    "serviceErrorCode": 65601,
                    "message": "The token used in the request has been revoked by the user",
                },
            ),
            httpx.Response(
                429,
                headers={"Retry-After": "60"},
                json={"status": 429, "message": "Too Many Requests"},
            ),
        ]
    )
    with pytest.raises(ReauthRequired, match="revoked by the user"):
        await adapter.recent_posts(TOKENS, MEMBER, NOW - timedelta(hours=1))
    with pytest.raises(Retryable) as throttled:
        await adapter.recent_posts(TOKENS, MEMBER, NOW - timedelta(hours=1))
    assert throttled.value.retry_after == 60


@pytest.mark.parametrize(
    "text",
    [
        "Plain words",
        "Launch #Herald (beta) at 9:00 -- see [notes] <here> & *bold* _it_ ~x~ @team | {a} \\ end",
        "Two #tags, one#glued and #last",
        "A lone # and a backslash before a hash \\#notatag",
    ],
)
def test_plain_text_undoes_little_text(text: str) -> None:
    """https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format"""
    assert plain_text(little_text(text)) == text


# -- engagement (the inbox) -------------------------------------------------------------------
# https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api

POST_URN = "urn:li:activity:6631349431612559360"
COMMENT_URN = "urn:li:comment:(urn:li:activity:6631349431612559360,6636062862760562688)"
NESTED_URN = "urn:li:comment:(urn:li:activity:6631349431612559360,6636062862760562699)"
REPLY_URN = "urn:li:comment:(urn:li:activity:6631349431612559360,6636062862760562700)"
ORG_COMMENT = Engagement(
    platform="linkedin",
    platform_account_id="urn:li:organization:2414183",
    platform_item_id=COMMENT_URN,
    kind="comment",
    text="Congrats!",
    author=EngagementAuthor(platform_user_id="urn:li:person:fan1"),
    platform_post_id=POST_URN,
    thread_id=COMMENT_URN,
)
ORG_NESTED = Engagement(
    platform="linkedin",
    platform_account_id="urn:li:organization:2414183",
    platform_item_id=NESTED_URN,
    kind="reply",
    text="Indeed",
    author=EngagementAuthor(platform_user_id="urn:li:person:fan2"),
    platform_post_id=POST_URN,
    parent_id=COMMENT_URN,
    thread_id=COMMENT_URN,
)


@pytest.mark.parametrize("answered", [ORG_COMMENT, ORG_NESTED])
async def test_reply_is_a_nested_comment_under_the_top_level_comment(
    adapter: LinkedInAdapter, mock: respx.MockRouter, answered: Engagement
) -> None:
    """ "Create a Nested Comment": POST /rest/socialActions/{encoded comment URN}/comments with
    actor, object (the post), parentComment and message.text; the answer names the comment."""
    route = mock.post(
        f"{API}/rest/socialActions/urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A"
        "6631349431612559360%2C6636062862760562688%29/comments"
    ).respond(
        201,
        json={
            "actor": "urn:li:organization:2414183",
            "commentUrn": REPLY_URN,
            "id": "6636062862760562700",
            "message": {"text": "Thank you!"},
            "object": POST_URN,
            "parentComment": COMMENT_URN,
        },
    )

    reply = await adapter.reply_to_engagement(TOKENS, ORGANIZATION, answered, "Thank you!")

    request = route.calls.last.request
    assert_versioned(request)
    assert json.loads(request.content) == {
        "actor": "urn:li:organization:2414183",
        "object": POST_URN,
        "parentComment": COMMENT_URN,
        "message": {"text": "Thank you!"},
    }
    assert reply == Engagement(
        platform="linkedin",
        platform_account_id="urn:li:organization:2414183",
        platform_item_id=REPLY_URN,
        kind="reply",
        text="Thank you!",
        author=EngagementAuthor(platform_user_id="urn:li:organization:2414183", name="Herald"),
        created_at=NOW,
        platform_post_id=POST_URN,
        parent_id=answered.platform_item_id,
        thread_id=COMMENT_URN,
    )


@pytest.mark.parametrize(
    ("engagement", "target", "comment_id"),
    [
        (ORG_COMMENT, "urn%3Ali%3Aactivity%3A6631349431612559360", "6636062862760562688"),
        (
            ORG_NESTED,
            "urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A6631349431612559360%2C"
            "6636062862760562688%29",
            "6636062862760562699",
        ),
    ],
)
async def test_delete_a_comment_as_the_organization(
    adapter: LinkedInAdapter,
    mock: respx.MockRouter,
    engagement: Engagement,
    target: str,
    comment_id: str,
) -> None:
    """ "Delete a Comment": DELETE /rest/socialActions/{encoded target URN}/comments/{comment id}
    ?actor={encoded actor URN}, answered 204."""
    route = mock.delete(url__startswith=f"{API}/rest/socialActions/{target}/comments/").respond(204)

    await adapter.delete_engagement(TOKENS, ORGANIZATION, engagement)

    request = route.calls.last.request
    assert_versioned(request)
    assert str(request.url) == (
        f"{API}/rest/socialActions/{target}/comments/{comment_id}"
        "?actor=urn%3Ali%3Aorganization%3A2414183"
    )


async def test_list_comments_on_a_post(adapter: LinkedInAdapter, mock: respx.MockRouter) -> None:
    """ "Get Comments on Shares": GET /rest/socialActions/{encoded post URN}/comments with
    start and count; elements carry commentUrn, actor, created.time (ms) and message.text."""
    route = mock.get(
        f"{API}/rest/socialActions/urn%3Ali%3Aactivity%3A6631349431612559360/comments"
    ).respond(
        200,
        json={
            "paging": {"start": 0, "count": 100, "total": 2, "links": []},
            "elements": [
                {
                    "actor": "urn:li:person:fan1",
                    "commentUrn": COMMENT_URN,
                    "created": {"actor": "urn:li:person:fan1", "time": 1793530800000},
                    "id": "6636062862760562688",
                    "message": {"attributes": [], "text": "Congrats!"},
                    "object": POST_URN,
                },
                {
                    "actor": "urn:li:person:old",
                    "commentUrn": "urn:li:comment:(urn:li:activity:6631349431612559360,1)",
                    "created": {"actor": "urn:li:person:old", "time": 1700000000000},
                    "message": {"text": "Old one"},
                    "object": POST_URN,
                },
            ],
        },
    )

    page = await adapter.list_comments(
        TOKENS,
        ORGANIZATION,
        POST_URN,
        "2023-11-14T22:13:20+00:00 urn:li:comment:(urn:li:activity:6631349431612559360,1)",
    )

    request = route.calls.last.request
    assert_versioned(request)
    assert dict(request.url.params) == {"start": "0", "count": "100"}
    assert page == EngagementPage(
        items=[
            Engagement(
                platform="linkedin",
                platform_account_id="urn:li:organization:2414183",
                platform_item_id=COMMENT_URN,
                kind="comment",
                text="Congrats!",
                author=EngagementAuthor(platform_user_id="urn:li:person:fan1"),
                created_at=datetime(2026, 11, 1, 11, 0, tzinfo=UTC),
                platform_post_id=POST_URN,
                thread_id=COMMENT_URN,
            )
        ],
        cursor=f"2026-11-01T11:00:00+00:00 {COMMENT_URN}",
    )


async def test_hiding_and_listing_mentions_are_not_supported(
    adapter: LinkedInAdapter, mock: respx.MockRouter
) -> None:
    """The Comments API offers create, get, edit and delete, no hiding; mentions are not a
    listing apps can poll."""
    with pytest.raises(NotSupported, match="hide"):
        await adapter.hide_engagement(TOKENS, ORGANIZATION, ORG_COMMENT, hidden=True)
    with pytest.raises(NotSupported, match="mentions"):
        await adapter.list_mentions(TOKENS, ORGANIZATION, None)
    assert not mock.calls


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [(429, {"Retry-After": "12"}, Retryable), (401, {}, ReauthRequired), (403, {}, Permanent)],
)
async def test_comment_listing_failures_are_classified(
    adapter: LinkedInAdapter,
    mock: respx.MockRouter,
    status: int,
    headers: dict[str, str],
    expected: type[PlatformError],
) -> None:
    """https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling"""
    mock.get(url__startswith=f"{API}/rest/socialActions/").respond(
        status, headers=headers, json={"message": "refused", "status": status}
    )
    with pytest.raises(expected) as caught:
        await adapter.list_comments(TOKENS, ORGANIZATION, POST_URN, None)
    if status == 429:
        assert isinstance(caught.value, Retryable)
        assert caught.value.retry_after == 12


def post_comments(created_ms: list[int], *, newest_first: bool) -> Any:
    """ "Get Comments on Shares" paged as LinkedIn documents: `start` is the index of the first
    element, `count` the page size; a page of fewer than `count` elements ends the listing
    (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination). The
    listing's order is not documented, so either order is served."""

    def answer(request: httpx.Request) -> httpx.Response:
        start, count = int(request.url.params["start"]), int(request.url.params["count"])
        ordered = sorted(created_ms, reverse=newest_first)
        elements = [
            {
                "actor": "urn:li:person:fan",
                "commentUrn": f"urn:li:comment:(urn:li:activity:6631349431612559360,{moment})",
                "created": {"actor": "urn:li:person:fan", "time": moment},
                "message": {"text": "Congrats!"},
                "object": POST_URN,
            }
            for moment in ordered[start : start + count]
        ]
        paging = {"start": start, "count": count, "total": len(created_ms), "links": []}
        return httpx.Response(200, json={"paging": paging, "elements": elements})

    return answer


@pytest.mark.parametrize("newest_first", [True, False], ids=["newest-first", "oldest-first"])
async def test_a_burst_of_comments_beyond_a_page_is_read_page_by_page_each_once(
    adapter: LinkedInAdapter, mock: respx.MockRouter, newest_first: bool
) -> None:
    """250 new comments (2.5 pages of 100) above 30 seen already, listed in either order: the
    walk goes on at `start` + `count` while a page is full, to the listing's end, and the next
    poll starts after the newest comment of the whole walk, so a new comment is found once
    wherever LinkedIn puts it.
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api
    https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination"""
    opening = 1793530800000
    seen_before = [opening + second * 1000 for second in range(30)]
    burst = [opening + second * 1000 for second in range(30, 280)]
    created = seen_before + burst
    route = mock.get(
        f"{API}/rest/socialActions/urn%3Ali%3Aactivity%3A6631349431612559360/comments"
    ).mock(side_effect=post_comments(created, newest_first=newest_first))

    def urn(moment: int) -> str:
        return f"urn:li:comment:(urn:li:activity:6631349431612559360,{moment})"

    def at(moment: int) -> str:
        return datetime.fromtimestamp(moment / 1000, UTC).isoformat()

    async def walk(cursor: str | None) -> tuple[list[str], str | None]:
        found: list[str] = []
        walked: list[bool] = []
        for _ in range(3):
            page = await adapter.list_comments(TOKENS, ORGANIZATION, POST_URN, cursor)
            found += [item.platform_item_id for item in page.items]
            walked.append(page.more)
            cursor = page.cursor
        assert walked == [True, True, False]
        return found, cursor

    found, cursor = await walk(f"{at(seen_before[-1])} {urn(seen_before[-1])}")
    assert sorted(found) == sorted(urn(moment) for moment in burst)
    assert len(found) == len(set(found)) == 250
    assert [dict(call.request.url.params) for call in route.calls] == [
        {"start": "0", "count": "100"},
        {"start": "100", "count": "100"},
        {"start": "200", "count": "100"},
    ]
    assert cursor == f"{at(burst[-1])} {urn(burst[-1])}"

    created.append(burst[-1] + 1000)
    found, cursor = await walk(cursor)
    assert found == [urn(created[-1])]
    assert cursor == f"{at(created[-1])} {urn(created[-1])}"
    assert [call.request.url.params["start"] for call in route.calls][3:] == ["0", "100", "200"]
