"""TikTok: Content Posting API (direct post of videos and photos), Login Kit OAuth v2, Display API.

Documentation this module follows:
- Creator info: https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
- Video direct post: https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
- Chunked transfer: https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
- Photo post: https://developers.tiktok.com/doc/content-posting-api-reference-photo-post
- Post status: https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
- OAuth: https://developers.tiktok.com/doc/login-kit-web and
  https://developers.tiktok.com/doc/oauth-user-access-token-management
- User info: https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info
- Video query (metrics): https://developers.tiktok.com/doc/tiktok-api-v2-video-query
- Video list (reconciling): https://developers.tiktok.com/doc/tiktok-api-v2-video-list
- Errors: https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
- Scopes (none reads or writes comments): https://developers.tiktok.com/doc/tiktok-api-scopes
"""

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from functions.shared.engagement import Engagement

from .base import (
    ConnectedAccount,
    EngagementPage,
    MediaFile,
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
    classify_response,
    describe_error_object,
    epoch_time,
    form_post,
    oauth_token_set,
    posts_since,
    refresh_form,
    retry_after_seconds,
    send,
)

PLATFORM = "tiktok"
API_BASE = "https://open.tiktokapis.com/v2"
AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
TOKEN_URL = f"{API_BASE}/oauth/token/"
REVOKE_URL = f"{API_BASE}/oauth/revoke/"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"

# user.info.stats: the follower, following, likes and video counts of the account's daily
# metrics.
DEFAULT_SCOPES = (
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.publish",
    "video.list",
)
# Media transfer guide: chunks of 5 MB to 64 MB (the last one absorbs the remainder, up to
# 128 MB), at most 1000 chunks; a video under one chunk is sent whole.
MIN_CHUNK_SIZE = 5 * 1024 * 1024
MAX_CHUNK_SIZE = 64 * 1024 * 1024
MAX_CHUNKS = 1000
DEFAULT_CHUNK_SIZE = 10 * 1024 * 1024
MAX_PHOTOS = 35
CHECK_AFTER_SECONDS = 15  # between checks of a post's publishing status
LIST_SCOPE = "video.list"
RECENT_POSTS_PAGE = 20  # `max_count` of /v2/video/list/: default 10, at most 20

# Error codes (error handling guide): the token is refused, or the login lacks a scope.
_REAUTH_CODES = frozenset({"access_token_invalid", "scope_not_authorized", "invalid_grant"})
_RETRYABLE_CODES = frozenset({"rate_limit_exceeded", "internal_error"})


_LIST_SCOPE_MISSING = (
    "This TikTok connection was not granted the video.list permission, so Herald cannot list "
    "its videos to check whether the post went out; reconnect the account and allow it."
)


def _describe(response: httpx.Response) -> tuple[str, str | None]:
    """TikTok's message and code: `{"error": {"code", "message", "log_id"}}` on the API,
    `{"error": "...", "error_description": "..."}` on the OAuth token endpoint."""
    return describe_error_object(response, lambda error: error.get("code"))


def _classify(response: httpx.Response, message: str, code: str | None) -> PlatformError:
    if code in _REAUTH_CODES:
        return ReauthRequired(PLATFORM, message, code=code)
    if code in _RETRYABLE_CODES:
        return Retryable(PLATFORM, message, code=code, retry_after=retry_after_seconds(response))
    # spam_risk_*, privacy_level_option_mismatch, unaudited_client_*, invalid_params... are
    # refusals of the content itself (Permanent); the status code decides the rest.
    return classify_response(PLATFORM, response, message, code=code)


def _data(response: httpx.Response) -> dict[str, Any]:
    """The `data` object of a 2xx answer; an `error.code` other than "ok" is still a failure."""
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code") not in (None, "ok"):
        message, code = _describe(response)
        raise _classify(response, message, code)
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}


def _processing(publish_id: str, media_type: str) -> PublishResult:
    """A direct post TikTok accepted; `status` follows it through processing and moderation."""
    return PublishResult(
        state="processing",
        check_after_seconds=CHECK_AFTER_SECONDS,
        progress={"publish_id": publish_id, "media_type": media_type},
    )


def chunk_plan(size: int, chunk_size: int) -> list[tuple[int, int]]:
    """(first byte, end exclusive) of each chunk: `size // chunk_size` chunks, the last one
    absorbing the trailing bytes; a file no larger than one chunk goes whole."""
    if size <= chunk_size:
        return [(0, size)]
    count = size // chunk_size
    return [
        (i * chunk_size, size if i == count - 1 else (i + 1) * chunk_size) for i in range(count)
    ]


class TikTokAdapter:
    platform = PLATFORM
    metrics_batch_size: ClassVar[int] = 20  # video_ids per video query

    def __init__(
        self,
        *,
        client_key: str,
        client_secret: str,
        http: httpx.AsyncClient,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not 0 < chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"TikTok chunks are at most {MAX_CHUNK_SIZE} bytes")
        # Production uses >= MIN_CHUNK_SIZE; smaller values exist for tests with real bytes.
        self.client_key = client_key
        self.client_secret = client_secret
        self.http = http
        self.scopes = tuple(scopes)
        self.chunk_size = chunk_size
        self.clock = clock

    async def _send(self, request: httpx.Request) -> httpx.Response:
        return await send(PLATFORM, self.http, request, _describe, _classify)

    def _api(
        self,
        tokens: TokenSet,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        content = None
        if body is not None:
            headers["Content-Type"] = JSON_CONTENT_TYPE
            content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return httpx.Request(
            method, f"{API_BASE}{path}", params=params, headers=headers, content=content
        )

    # -- OAuth (Login Kit for Web; token management v2) ------------------------------------

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        """https://developers.tiktok.com/doc/login-kit-web: client_key, comma-separated scope,
        response_type=code, redirect_uri, state. PKCE is documented for desktop and mobile
        apps only (and with a hex digest), so the web flow sends no code_challenge."""
        del code_challenge
        query = {
            "client_key": self.client_key,
            "scope": ",".join(self.scopes),
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return f"{AUTHORIZE_URL}?{urlencode(query)}"

    def _tokens(self, body: Mapping[str, Any], previous: TokenSet | None = None) -> TokenSet:
        return oauth_token_set(body, now=self.clock(), previous=previous)

    def _client(self) -> dict[str, str]:
        return {"client_key": self.client_key, "client_secret": self.client_secret}

    async def _token_request(self, form: Mapping[str, str]) -> dict[str, Any]:
        response = await self._send(form_post(TOKEN_URL, form))
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            message, code = _describe(response)
            raise _classify(response, message, code)
        return dict(body)

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        """POST https://open.tiktokapis.com/v2/oauth/token/ with grant_type=authorization_code
        (code_verifier is for desktop/mobile apps only)."""
        del code_verifier
        body = await self._token_request(
            {
                **self._client(),
                "code": code,
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
            }
        )
        return self._tokens(body)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """Same endpoint with grant_type=refresh_token; TikTok may rotate the refresh token."""
        body = await self._token_request(refresh_form(PLATFORM, tokens, self._client()))
        return self._tokens(body, tokens)

    async def revoke(self, tokens: TokenSet) -> bool:
        """POST https://open.tiktokapis.com/v2/oauth/revoke/ with client_key, client_secret and
        the user access token as form fields; an empty answer means revoked and the app leaves
        the user's connected apps (https://developers.tiktok.com/doc/oauth-revoke-a-user-access-token,
        also https://developers.tiktok.com/doc/oauth-user-access-token-management). Like the
        token endpoint, an error may come back as `{"error": "...", "error_description": ...}`."""
        response = await self._send(
            form_post(REVOKE_URL, {**self._client(), "token": tokens.access_token})
        )
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        error = body.get("error") if isinstance(body, dict) else None
        if (isinstance(error, str) and error) or (
            isinstance(error, dict) and error.get("code") not in (None, "ok")
        ):
            message, code = _describe(response)
            raise _classify(response, message, code)
        return True

    async def accounts(self, tokens: TokenSet) -> list[tuple[ConnectedAccount, TokenSet]]:
        """GET /v2/user/info/?fields=...: one login is one TikTok profile."""
        fields = "open_id,union_id,avatar_url,display_name,username"
        response = await self._send(
            self._api(tokens, "GET", "/user/info/", params={"fields": fields})
        )
        user = _data(response).get("user") or {}
        account = ConnectedAccount(
            platform_account_id=str(user["open_id"]),
            name=str(user.get("display_name") or user.get("username") or user["open_id"]),
            handle=user.get("username") or None,
            avatar_url=user.get("avatar_url") or None,
            kind="profile",
        )
        return [(account, tokens)]

    # -- Publishing ------------------------------------------------------------------------

    async def creator_info(self, tokens: TokenSet) -> dict[str, Any]:
        """POST /v2/post/publish/creator_info/query/: privacy_level_options, comment/duet/stitch
        disabled flags, max_video_post_duration_sec (must be queried before each post)."""
        response = await self._send(
            self._api(tokens, "POST", "/post/publish/creator_info/query/", body={})
        )
        return _data(response)

    @staticmethod
    def _privacy(request: PublishRequest, creator: Mapping[str, Any]) -> str:
        options = [str(o) for o in creator.get("privacy_level_options") or []]
        chosen = request.options.get("privacy_level")
        if not chosen:
            # TikTok's UX guidelines: no default, the user picks one of the creator's options.
            raise Permanent(
                PLATFORM,
                f"Choose a privacy level for TikTok: one of {', '.join(options)}.",
                code="privacy_level_required",
            )
        if chosen not in options:
            raise Permanent(
                PLATFORM,
                f"Privacy level {chosen} is not available for this TikTok account; "
                f"choose one of {', '.join(options)}.",
                code="privacy_level_option_mismatch",
            )
        return str(chosen)

    @staticmethod
    def _flag(request: PublishRequest, creator: Mapping[str, Any], name: str) -> bool:
        # An interaction the creator disabled in TikTok stays disabled.
        return bool(request.options.get(f"disable_{name}", False)) or bool(
            creator.get(f"{name}_disabled", False)
        )

    async def publish(
        self, tokens: TokenSet, account: ConnectedAccount, request: PublishRequest
    ) -> PublishResult:
        videos = [m for m in request.media if m.kind == "video"]
        photos = [m for m in request.media if m.kind == "image"]
        if len(videos) == 1 and len(request.media) == 1:
            return await self._publish_video(tokens, request, videos[0])
        if photos and len(photos) == len(request.media) and len(photos) <= MAX_PHOTOS:
            return await self._publish_photos(tokens, request, photos)
        raise Permanent(
            PLATFORM,
            f"A TikTok post is one video or 1 to {MAX_PHOTOS} photos.",
            code="unsupported_media",
        )

    async def _publish_video(
        self, tokens: TokenSet, request: PublishRequest, video: MediaFile
    ) -> PublishResult:
        """Direct post: creator info, init with FILE_UPLOAD, then PUT the chunks in order."""
        creator = await self.creator_info(tokens)
        privacy = self._privacy(request, creator)
        max_seconds = creator.get("max_video_post_duration_sec")
        if max_seconds and video.duration_seconds and video.duration_seconds > float(max_seconds):
            raise Permanent(
                PLATFORM,
                f"This TikTok account can post videos of at most {max_seconds} seconds.",
                code="duration_too_long",
            )
        size = video.size
        plan = chunk_plan(size, self.chunk_size)
        if len(plan) > MAX_CHUNKS:
            raise Permanent(PLATFORM, "The video is too large for TikTok.", code="too_large")
        post_info: dict[str, Any] = {
            "title": request.text,
            "privacy_level": privacy,
            "disable_comment": self._flag(request, creator, "comment"),
            "disable_duet": self._flag(request, creator, "duet"),
            "disable_stitch": self._flag(request, creator, "stitch"),
        }
        if "video_cover_timestamp_ms" in request.options:
            post_info["video_cover_timestamp_ms"] = int(request.options["video_cover_timestamp_ms"])
        for name in ("brand_content_toggle", "brand_organic_toggle", "is_aigc"):
            if name in request.options:
                post_info[name] = bool(request.options[name])
        body = {
            "post_info": post_info,
            "source_info": {
                "source": "FILE_UPLOAD",
                "video_size": size,
                "chunk_size": plan[0][1] - plan[0][0] if len(plan) == 1 else self.chunk_size,
                "total_chunk_count": len(plan),
            },
        }
        response = await self._send(
            self._api(tokens, "POST", "/post/publish/video/init/", body=body)
        )
        init = _data(response)
        publish_id, upload_url = str(init["publish_id"]), str(init["upload_url"])
        # Media transfer guide: sequential PUTs with Content-Range bytes first-last/total. Each
        # chunk is streamed from storage (the last one may be up to 128 MB).
        for start, end in plan:
            await self._send(
                httpx.Request(
                    "PUT",
                    upload_url,
                    content=video.stream(start, end),
                    headers={
                        "Content-Type": video.content_type,
                        "Content-Length": str(end - start),
                        "Content-Range": f"bytes {start}-{end - 1}/{size}",
                    },
                )
            )
        return _processing(publish_id, "video")

    async def _publish_photos(
        self, tokens: TokenSet, request: PublishRequest, photos: Sequence[MediaFile]
    ) -> PublishResult:
        """POST /v2/post/publish/content/init/ with media_type PHOTO; TikTok pulls each image
        from its URL (the URL's domain must be verified in the developer portal)."""
        creator = await self.creator_info(tokens)
        privacy = self._privacy(request, creator)
        post_info: dict[str, Any] = {
            "title": str(request.options.get("title", "")),
            "description": request.text,
            "privacy_level": privacy,
            "disable_comment": self._flag(request, creator, "comment"),
            "auto_add_music": bool(request.options.get("auto_add_music", False)),
        }
        for name in ("brand_content_toggle", "brand_organic_toggle"):
            if name in request.options:
                post_info[name] = bool(request.options[name])
        body = {
            "post_info": post_info,
            "source_info": {
                "source": "PULL_FROM_URL",
                "photo_cover_index": int(request.options.get("photo_cover_index", 0)),
                "photo_images": [photo.url for photo in photos],
            },
            "post_mode": "DIRECT_POST",
            "media_type": "PHOTO",
        }
        response = await self._send(
            self._api(tokens, "POST", "/post/publish/content/init/", body=body)
        )
        return _processing(str(_data(response)["publish_id"]), "photo")

    async def status(
        self, tokens: TokenSet, account: ConnectedAccount, result: PublishResult
    ) -> PostStatus:
        """One POST /v2/post/publish/status/fetch/. The post id is only given for public posts
        once moderation is over; a private post completes without one."""
        publish_id = result.progress["publish_id"]
        response = await self._send(
            self._api(
                tokens, "POST", "/post/publish/status/fetch/", body={"publish_id": publish_id}
            )
        )
        data = _data(response)
        state = data.get("status")
        if state == "FAILED":
            return PostStatus(state="failed", error=str(data.get("fail_reason") or "failed"))
        if state == "PUBLISH_COMPLETE":
            # TikTok spells the field "publicaly_available_post_id".
            ids = data.get("publicaly_available_post_id") or []
            post_id = str(ids[0]) if ids else None
            return PostStatus(
                state="published",
                platform_post_id=post_id,
                url=self._post_url(account, post_id, result.progress.get("media_type", "video")),
            )
        return PostStatus(state="processing", check_after_seconds=CHECK_AFTER_SECONDS)

    @staticmethod
    def _post_url(account: ConnectedAccount, post_id: str | None, media_type: str) -> str | None:
        if post_id is None or not account.handle:
            return None
        path = "photo" if media_type == "photo" else "video"
        return f"https://www.tiktok.com/@{account.handle.lstrip('@')}/{path}/{post_id}"

    async def delete(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> None:
        raise Permanent(
            PLATFORM,
            "TikTok does not let apps delete posts; delete it in TikTok.",
            code="not_supported",
        )

    async def comment(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str, text: str
    ) -> str:
        raise Permanent(PLATFORM, "TikTok does not let apps post comments.", code="not_supported")

    async def recent_posts(
        self, tokens: TokenSet, account: ConnectedAccount, since: datetime
    ) -> list[RecentPost]:
        """POST /v2/video/list/?fields=id,title,video_description,create_time,share_url with
        {"max_count": 20}: the newest page of the creator's videos, filtered here by `since`
        (the listing has no start time; scope video.list,
        https://developers.tiktok.com/doc/tiktok-api-v2-video-list). TikTok lists public posts
        only, so a post made private (SELF_ONLY) is not found here. The caption is
        `video_description`, else `title`."""
        if tokens.scopes and LIST_SCOPE not in tokens.scopes:
            raise Permanent(PLATFORM, _LIST_SCOPE_MISSING, code="scope_not_authorized")
        request = self._api(
            tokens,
            "POST",
            "/video/list/",
            params={"fields": "id,title,video_description,create_time,share_url"},
            body={"max_count": RECENT_POSTS_PAGE},
        )
        try:
            data = _data(await self._send(request))
        except ReauthRequired as refused:
            # A missing scope is not cured by refreshing the token: only a new consent grants it.
            if refused.code == "scope_not_authorized":
                raise Permanent(PLATFORM, _LIST_SCOPE_MISSING, code=refused.code) from None
            raise
        posts = [
            RecentPost(
                platform_post_id=str(video["id"]),
                text=str(video.get("video_description") or video.get("title") or ""),
                created_at=epoch_time(video.get("create_time")),
                url=str(video["share_url"]) if video.get("share_url") else None,
            )
            for video in data.get("videos") or []
            if isinstance(video, dict) and video.get("id")
        ]
        return posts_since(posts, since)

    async def metrics(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> dict[str, int]:
        found = await self.metrics_many(tokens, account, [platform_post_id])
        if platform_post_id not in found:
            raise Permanent(PLATFORM, "TikTok did not find this video.", code="not_found")
        return found[platform_post_id]

    async def metrics_many(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """POST /v2/video/query/?fields=... with filters.video_ids, at most 20 of the user's own
        videos (scope video.list; https://developers.tiktok.com/doc/tiktok-api-v2-video-query)."""
        fields = "id,view_count,like_count,comment_count,share_count"
        response = await self._send(
            self._api(
                tokens,
                "POST",
                "/video/query/",
                params={"fields": fields},
                body={"filters": {"video_ids": list(platform_post_ids)}},
            )
        )
        names = ("view_count", "like_count", "comment_count", "share_count")
        return {
            str(video["id"]): {
                name.removesuffix("_count") + "s": int(video.get(name) or 0) for name in names
            }
            for video in _data(response).get("videos") or []
            if isinstance(video, dict) and "id" in video
        }

    async def account_metrics(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        """GET /v2/user/info/ with follower_count, following_count, likes_count and video_count
        (scope user.info.stats; https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info)."""
        fields = "follower_count,following_count,likes_count,video_count"
        response = await self._send(
            self._api(tokens, "GET", "/user/info/", params={"fields": fields})
        )
        user = _data(response).get("user") or {}
        names = {"follower_count": "followers", "following_count": "following"}
        names |= {"video_count": "posts", "likes_count": "likes_count"}
        return {
            name: int(user[field]) for field, name in names.items() if user.get(field) is not None
        }

    # -- engagement (the inbox) --------------------------------------------------------------
    # The Login Kit connection Herald makes offers no comment scope: the Content Posting and
    # Display APIs read and post videos only. TikTok's comment endpoints sit elsewhere: the
    # Research API's comment list is for approved researchers and read-only
    # (https://developers.tiktok.com/doc/research-api-specs-query-video-comments), and comment
    # management is part of the API for Business, for business accounts through a TikTok for
    # Business developer app (https://ads.tiktok.com/help/article/marketing-api).

    async def reply_to_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, text: str
    ) -> Engagement:
        raise _no_comment_api("reply to comments")

    async def hide_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, *, hidden: bool
    ) -> None:
        raise _no_comment_api("hide comments")

    async def delete_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement
    ) -> None:
        raise _no_comment_api("delete comments")

    async def list_comments(
        self,
        tokens: TokenSet,
        account: ConnectedAccount,
        platform_post_id: str,
        cursor: str | None,
    ) -> EngagementPage:
        raise _no_comment_api("read comments")

    async def list_mentions(
        self, tokens: TokenSet, account: ConnectedAccount, cursor: str | None
    ) -> EngagementPage:
        raise _no_comment_api("read mentions")


def _no_comment_api(action: str) -> NotSupported:
    return NotSupported(
        PLATFORM,
        f"TikTok does not let apps connected through Login Kit {action}; its comment APIs are "
        "reserved to approved researchers and to TikTok for Business apps.",
        code="not_supported",
    )
