"""X (API v2): posts, threads, media (chunked upload), alt text, reply settings, OAuth 2.0 + PKCE.

Documentation this adapter follows (cited again next to each flow):
- Create post: https://docs.x.com/x-api/posts/create-or-edit-post
- Delete post: https://docs.x.com/x-api/posts/delete-post
- Post lookup (public_metrics): https://docs.x.com/x-api/posts/post-lookup-by-post-id
- Chunked media upload: https://docs.x.com/x-api/media/quickstart/media-upload-chunked
  (v2 endpoints: https://docs.x.com/x-api/media/initialize-media-upload,
  https://docs.x.com/x-api/media/append-media-upload,
  https://docs.x.com/x-api/media/media-upload-finalize,
  https://docs.x.com/x-api/media/get-media-upload-status)
- Alt text: https://docs.x.com/x-api/media/create-media-metadata
- Media limits: https://docs.x.com/x-api/media/introduction
- OAuth 2.0 with PKCE:
  https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code and
  https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token
- Users me: https://docs.x.com/x-api/users/user-lookup-me
- User posts timeline (reconciling): https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id
- Errors: https://docs.x.com/x-api/fundamentals/response-codes-and-errors
- Rate limits (429, x-rate-limit-reset): https://docs.x.com/resources/fundamentals/rate-limits
- Engagement: replies are posts (create post, `reply.in_reply_to_tweet_id`); hide replies
  https://docs.x.com/x-api/posts/hide-replies/quickstart (PUT /2/tweets/:id/hidden, scope
  tweet.moderate.write, https://developer.x.com/en/docs/twitter-api/tweets/hide-replies/api-reference);
  the replies of a post by recent search on `conversation_id`
  (https://docs.x.com/x-api/posts/search-recent-posts,
  https://developer.x.com/en/docs/twitter-api/conversation-id); mentions
  https://docs.x.com/x-api/posts/user-mention-timeline-by-user-id.
"""

import base64
import html
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import httpx

from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    EngagementPage,
    ListingWalk,
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
    error_text,
    form_post,
    is_own,
    iso_time,
    oauth_token_set,
    own_reply,
    posts_since,
    retry_after_seconds,
    send,
    utc,
)
from functions.shared.engagement import Engagement, EngagementAuthor, EngagementKind

PLATFORM = "x"
API_BASE = "https://api.x.com"
AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
DEFAULT_SCOPES = (
    "tweet.read",
    "tweet.write",
    "users.read",
    "offline.access",
    "media.write",
    "tweet.moderate.write",  # hiding replies
)
# APPEND segments: X's samples split files into chunks of a few MB; 4 MiB stays under the
# per-request limits of the upload endpoint.
DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024

# https://docs.x.com/x-api/posts/create-or-edit-post (reply_settings enum). "everyone" is X's
# default and is expressed by omitting the field.
REPLY_SETTINGS = ("following", "mentionedUsers", "subscribers", "verified")
MAX_IMAGES = 4
MAX_ALT_TEXT = 1000  # characters, https://docs.x.com/x-api/media/create-media-metadata
# https://docs.x.com/x-api/media/introduction: image 5 MB, GIF 15 MB, video 512 MB.
MAX_BYTES = {"image": 5 * 1024 * 1024, "gif": 15 * 1024 * 1024, "video": 512 * 1024 * 1024}
MEDIA_CATEGORY = {"image": "tweet_image", "gif": "tweet_gif", "video": "tweet_video"}
DEFAULT_CHECK_AFTER = 5  # seconds, when X sends no check_after_secs
# User posts timeline: max_results 5..100; start_time has second granularity and is inclusive.
RECENT_POSTS_PAGE = 100
# Search and the mention timeline: max_results 10..100 (search) and 5..100 (mentions).
ENGAGEMENT_PAGE = 100
ENGAGEMENT_FIELDS = {
    "tweet.fields": "created_at,author_id,conversation_id,referenced_tweets,note_tweet",
    "expansions": "author_id",
    "user.fields": "name,username,profile_image_url",
}


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _public_metrics(post: Mapping[str, Any]) -> dict[str, int]:
    public = post.get("public_metrics") or {}
    return {str(name): int(value) for name, value in public.items() if isinstance(value, int)}


def describe(response: httpx.Response) -> tuple[str, str | None]:
    """X's own message and code: RFC 7807 problems, `errors[]`, or OAuth `error`."""
    body = _json(response)
    if isinstance(body, dict):
        if isinstance(body.get("detail"), str):
            code = body.get("type") or body.get("title")
            return body["detail"], str(code) if code else None
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            message = first.get("detail") or first.get("message") or first.get("title")
            code = first.get("code") or first.get("type") or first.get("title")
            if message:
                return str(message), str(code) if code is not None else None
        if isinstance(body.get("error"), str):
            return str(body.get("error_description") or body["error"]), body["error"]
        if isinstance(body.get("title"), str):
            return body["title"], None
    return error_text(response), None


class XAdapter:
    """The X adapter. One instance per app configuration; safe to share across accounts."""

    platform = PLATFORM
    metrics_batch_size: ClassVar[int] = 100  # ids per post lookup

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str | None,
        http: httpx.AsyncClient,
        api_base: str = API_BASE,
        authorize_url: str = AUTHORIZE_URL,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = http
        self._api = api_base.rstrip("/")
        self._authorize_url = authorize_url
        self._scopes = tuple(scopes)
        self._chunk_size = chunk_size
        self._clock = clock

    # -- failure classification ---------------------------------------------------------------

    def _classify(self, response: httpx.Response, message: str, code: str | None) -> PlatformError:
        """https://docs.x.com/x-api/fundamentals/response-codes-and-errors

        429 waits for Retry-After, else x-rate-limit-reset:
        https://docs.x.com/resources/fundamentals/rate-limits
        """
        status = response.status_code
        if status == 429:
            return Retryable(PLATFORM, message, code=code, retry_after=self._retry_after(response))
        if status >= 500:
            return Retryable(PLATFORM, message, code=code)
        if status == 401:
            return ReauthRequired(PLATFORM, message, code=code)
        if status == 403 and "scope" in message.lower():
            # The token lacks a scope (e.g. media.write): only a new consent grants it.
            return ReauthRequired(PLATFORM, message, code=code)
        # 400/403/404...: the content or request was refused (duplicate post, suspended...).
        return Permanent(PLATFORM, message, code=code)

    def _retry_after(self, response: httpx.Response) -> float | None:
        seconds = retry_after_seconds(response)
        if seconds is not None:
            return seconds
        # X signals the end of the window as epoch seconds in x-rate-limit-reset.
        reset = response.headers.get("x-rate-limit-reset", "").strip()
        if reset.isdigit():
            return max(0.0, int(reset) - self._clock().timestamp())
        return None

    async def _send(
        self,
        request: httpx.Request,
        classify: Callable[[httpx.Response, str, str | None], PlatformError] | None = None,
    ) -> httpx.Response:
        return await send(PLATFORM, self._http, request, describe, classify or self._classify)

    def _auth(self, tokens: TokenSet) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.access_token}"}

    # -- OAuth 2.0 authorization code with PKCE ------------------------------------------------
    # https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self._scopes),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self._authorize_url}?{urlencode(query, quote_via=quote)}"

    def _token_request(self, form: dict[str, str], path: str = "/2/oauth2/token") -> httpx.Request:
        auth_headers: dict[str, str] = {}
        if self._client_secret:
            # Confidential clients authenticate with HTTP Basic (client id : client secret).
            pair = f"{self._client_id}:{self._client_secret}".encode()
            auth_headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
        else:
            form = {**form, "client_id": self._client_id}
        return form_post(f"{self._api}{path}", form, auth_headers)

    def _tokens(self, response: httpx.Response, previous: TokenSet | None = None) -> TokenSet:
        body = _json(response)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise Permanent(PLATFORM, "The token answer carried no access token.")
        # X rotates refresh tokens; the old one is kept only if none was sent.
        return oauth_token_set(body, now=self._clock(), previous=previous)

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        request = self._token_request(
            {
                "code": code,
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        return self._tokens(await self._send(request))

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code"""
        if not tokens.refresh_token:
            raise ReauthRequired(PLATFORM, "No refresh token: the account must be reconnected.")

        def classify(response: httpx.Response, message: str, code: str | None) -> PlatformError:
            if response.status_code == 429 or response.status_code >= 500:
                return self._classify(response, message, code)
            # invalid_request / invalid_grant: the refresh token was refused.
            return ReauthRequired(PLATFORM, message, code=code)

        request = self._token_request(
            {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"}
        )
        return self._tokens(await self._send(request, classify), tokens)

    async def revoke(self, tokens: TokenSet) -> bool:
        """POST /2/oauth2/revoke with the token and token_type_hint, the client authenticating
        as on the token endpoint ("Revoking a token",
        https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token). Revoking
        the refresh token (when there is one) ends the whole grant; X answers `{"revoked": true}`.
        """
        if tokens.refresh_token:
            form = {"token": tokens.refresh_token, "token_type_hint": "refresh_token"}
        else:
            form = {"token": tokens.access_token, "token_type_hint": "access_token"}
        response = await self._send(self._token_request(form, "/2/oauth2/revoke"))
        body = _json(response)
        if isinstance(body, dict) and body.get("revoked") is False:
            raise Permanent(PLATFORM, "X did not revoke the token.")
        return True

    async def accounts(self, tokens: TokenSet) -> list[tuple[ConnectedAccount, TokenSet]]:
        """https://docs.x.com/x-api/users/user-lookup-me"""
        request = httpx.Request(
            "GET",
            f"{self._api}/2/users/me",
            params={"user.fields": "profile_image_url"},
            headers=self._auth(tokens),
        )
        data = self._data(await self._send(request))
        account = ConnectedAccount(
            platform_account_id=str(data["id"]),
            name=str(data.get("name") or data.get("username") or data["id"]),
            handle=data.get("username"),
            avatar_url=data.get("profile_image_url"),
            kind="profile",
        )
        return [(account, tokens)]

    # -- publishing ----------------------------------------------------------------------------

    def _validate(self, request: PublishRequest) -> None:
        """Limits of https://docs.x.com/x-api/media/introduction and create-or-edit-post."""
        media = list(request.media)
        if not request.text.strip() and not media:
            raise Permanent(PLATFORM, "An X post needs text or media.")
        for item in media:
            if item.kind not in MEDIA_CATEGORY:
                raise Permanent(PLATFORM, f"X does not accept {item.kind} attachments.")
            limit = MAX_BYTES[item.kind]
            if item.size > limit:
                raise Permanent(
                    PLATFORM,
                    f"This {item.kind} is {item.size} bytes; X accepts at most {limit} bytes.",
                )
            if item.alt_text is not None and len(item.alt_text) > MAX_ALT_TEXT:
                raise Permanent(PLATFORM, f"Alt text is limited to {MAX_ALT_TEXT} characters on X.")
        moving = [item for item in media if item.kind in ("gif", "video")]
        if moving and len(media) > 1:
            raise Permanent(
                PLATFORM,
                "X allows either up to 4 images, or 1 GIF, or 1 video per post; "
                "a GIF or video cannot be combined with other media.",
            )
        if len(media) > MAX_IMAGES:
            raise Permanent(
                PLATFORM,
                f"X allows at most {MAX_IMAGES} images per post; this one has {len(media)}.",
            )
        setting = request.options.get("reply_settings")
        if setting not in (None, "everyone") and setting not in REPLY_SETTINGS:
            raise Permanent(
                PLATFORM,
                f"Unknown reply setting {setting!r}; X accepts everyone, "
                + ", ".join(REPLY_SETTINGS)
                + ".",
            )

    def _tweet_body(self, request: PublishRequest, media_ids: Sequence[str]) -> dict[str, Any]:
        """https://docs.x.com/x-api/posts/create-or-edit-post

        `text` is always sent, "" for a media-only post: X's OpenAPI document
        (https://api.x.com/2/openapi.json, the create-post request's `text` property) gives it the
        default "".
        """
        body: dict[str, Any] = {"text": request.text}
        if media_ids:
            body["media"] = {"media_ids": list(media_ids)}
        if request.reply_to:
            body["reply"] = {"in_reply_to_tweet_id": request.reply_to}
        # A quote post: https://docs.x.com/x-api/posts/creation-of-a-post (quote_tweet_id).
        quoted = request.options.get("quote_tweet_id")
        if quoted:
            body["quote_tweet_id"] = str(quoted)
        setting = request.options.get("reply_settings")
        if setting and setting != "everyone":
            body["reply_settings"] = setting
        return body

    async def publish(
        self, tokens: TokenSet, account: ConnectedAccount, request: PublishRequest
    ) -> PublishResult:
        self._validate(request)
        media_ids: list[str] = []
        pending: list[str] = []
        check_after = DEFAULT_CHECK_AFTER
        alt_texts: dict[str, str] = {}
        for item in request.media:
            media_id, processing = await self._upload(tokens, item)
            media_ids.append(media_id)
            if processing is not None:
                # Async finalize (videos, GIFs): the post waits for STATUS to say succeeded.
                pending.append(media_id)
                check_after = _check_after(processing, check_after)
                if item.alt_text:
                    alt_texts[media_id] = item.alt_text
            elif item.alt_text:
                await self._set_alt_text(tokens, media_id, item.alt_text)
        body = self._tweet_body(request, media_ids)
        if pending:
            progress = {"tweet": json.dumps(body), "pending": ",".join(pending)}
            progress.update({f"alt:{media_id}": text for media_id, text in alt_texts.items()})
            return PublishResult(
                state="processing", check_after_seconds=check_after, progress=progress
            )
        post_id = await self._create_tweet(tokens, body)
        return PublishResult(
            state="published", platform_post_id=post_id, url=_post_url(account, post_id)
        )

    async def _create_tweet(self, tokens: TokenSet, body: Mapping[str, Any]) -> str:
        """POST /2/tweets, https://docs.x.com/x-api/posts/create-or-edit-post"""
        request = httpx.Request(
            "POST", f"{self._api}/2/tweets", json=dict(body), headers=self._auth(tokens)
        )
        return str(self._data(await self._send(request))["id"])

    def _data(self, response: httpx.Response) -> dict[str, Any]:
        body = _json(response)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            message, code = describe(response)
            raise Permanent(PLATFORM, message or "X answered without data.", code=code)
        return data

    async def _upload(
        self, tokens: TokenSet, item: MediaFile
    ) -> tuple[str, Mapping[str, Any] | None]:
        """INITIALIZE, APPEND each chunk, FINALIZE: the v2 chunked upload.

        https://docs.x.com/x-api/media/quickstart/media-upload-chunked
        Returns the media id and, when X processes it asynchronously, its processing_info.
        Each chunk is read from storage just before its APPEND, so one chunk at a time is held.
        """
        init = httpx.Request(
            "POST",
            f"{self._api}/2/media/upload/initialize",
            json={
                "media_type": item.content_type,
                "total_bytes": item.size,
                "media_category": MEDIA_CATEGORY[item.kind],
            },
            headers=self._auth(tokens),
        )
        media_id = str(self._data(await self._send(init))["id"])
        # https://docs.x.com/x-api/media/append-media-upload: multipart, segment_index 0..999.
        async for offset, chunk in item.chunks(self._chunk_size):
            append = httpx.Request(
                "POST",
                f"{self._api}/2/media/upload/{media_id}/append",
                data={"segment_index": str(offset // self._chunk_size)},
                files={"media": (item.filename, chunk, "application/octet-stream")},
                headers=self._auth(tokens),
            )
            await self._send(append)
        # https://docs.x.com/x-api/media/media-upload-finalize
        finalize = httpx.Request(
            "POST", f"{self._api}/2/media/upload/{media_id}/finalize", headers=self._auth(tokens)
        )
        data = self._data(await self._send(finalize))
        info = data.get("processing_info")
        if not isinstance(info, dict) or info.get("state") == "succeeded":
            return media_id, None
        if info.get("state") == "failed":
            raise Permanent(PLATFORM, _processing_error(info), code="media_processing_failed")
        return media_id, info

    async def _set_alt_text(self, tokens: TokenSet, media_id: str, text: str) -> None:
        """https://docs.x.com/x-api/media/create-media-metadata"""
        request = httpx.Request(
            "POST",
            f"{self._api}/2/media/metadata",
            json={"id": media_id, "metadata": {"alt_text": {"text": text}}},
            headers=self._auth(tokens),
        )
        await self._send(request)

    async def status(
        self, tokens: TokenSet, account: ConnectedAccount, result: PublishResult
    ) -> PostStatus:
        """One STATUS poll per call; once every media succeeded, the post itself is created.

        https://docs.x.com/x-api/media/get-media-upload-status
        """
        if result.platform_post_id:
            return await self._lookup(tokens, account, result.platform_post_id)
        pending = [m for m in result.progress.get("pending", "").split(",") if m]
        if not pending or "tweet" not in result.progress:
            return PostStatus(state="failed", error="Nothing to check: the post was never sent.")
        # PostStatus carries no updated progress, so each call checks every pending media (one
        # STATUS request each; a post has at most one GIF or video, the usual single pending id).
        waits: list[int] = []
        for media_id in pending:
            request = httpx.Request(
                "GET",
                f"{self._api}/2/media/upload",
                params={"command": "STATUS", "media_id": media_id},
                headers=self._auth(tokens),
            )
            info = self._data(await self._send(request)).get("processing_info") or {}
            state = info.get("state", "succeeded")
            if state == "failed":
                return PostStatus(state="failed", error=_processing_error(info))
            if state != "succeeded":
                waits.append(_check_after(info, DEFAULT_CHECK_AFTER))
        if waits:
            return PostStatus(state="processing", check_after_seconds=min(waits))
        for media_id in pending:
            alt_text = result.progress.get(f"alt:{media_id}")
            if alt_text:
                await self._set_alt_text(tokens, media_id, alt_text)
        post_id = await self._create_tweet(tokens, json.loads(result.progress["tweet"]))
        return PostStatus(
            state="published", platform_post_id=post_id, url=_post_url(account, post_id)
        )

    async def _lookup(
        self, tokens: TokenSet, account: ConnectedAccount, post_id: str
    ) -> PostStatus:
        """A deleted post answers 200 with errors: https://docs.x.com/x-api/posts/post-lookup-by-post-id"""
        request = httpx.Request(
            "GET", f"{self._api}/2/tweets/{post_id}", headers=self._auth(tokens)
        )
        response = await self._send(request)
        body = _json(response)
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            return PostStatus(
                state="published", platform_post_id=post_id, url=_post_url(account, post_id)
            )
        return PostStatus(state="failed", platform_post_id=post_id, error=describe(response)[0])

    async def delete(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> None:
        """DELETE /2/tweets/:id, https://docs.x.com/x-api/posts/delete-post; gone is done."""

        def classify(response: httpx.Response, message: str, code: str | None) -> PlatformError:
            if response.status_code == 404:
                return Permanent(PLATFORM, message, code="not_found")
            return self._classify(response, message, code)

        request = httpx.Request(
            "DELETE", f"{self._api}/2/tweets/{platform_post_id}", headers=self._auth(tokens)
        )
        try:
            response = await self._send(request, classify)
        except Permanent as error:
            if error.code == "not_found":
                return
            raise
        if self._data(response).get("deleted") is not True:
            raise Permanent(PLATFORM, "X did not delete the post.")

    async def recent_posts(
        self, tokens: TokenSet, account: ConnectedAccount, since: datetime
    ) -> list[RecentPost]:
        """GET /2/users/:id/tweets from `since` (start_time), one page of up to 100, newest first
        (https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id; scopes tweet.read and
        users.read). Replies stay in, since threads and first comments are replies; retweets
        are left out, Herald never makes them. A long post's `text` is cut short, so the whole
        text comes from `note_tweet` when X sends it. X shows links in the text as t.co links.
        """
        request = httpx.Request(
            "GET",
            f"{self._api}/2/users/{account.platform_account_id}/tweets",
            params={
                "start_time": utc(since).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "max_results": str(RECENT_POSTS_PAGE),
                "exclude": "retweets",
                "tweet.fields": "created_at,note_tweet",
            },
            headers=self._auth(tokens),
        )
        body = _json(await self._send(request))
        # No post in the window answers without `data` (meta.result_count 0).
        tweets = body.get("data") if isinstance(body, dict) else None
        posts = [
            RecentPost(
                platform_post_id=str(tweet["id"]),
                text=_full_text(tweet),
                created_at=iso_time(tweet.get("created_at")),
                url=_post_url(account, str(tweet["id"])),
            )
            for tweet in tweets or []
            if isinstance(tweet, dict) and tweet.get("id")
        ]
        return posts_since(posts, since)

    async def comment(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str, text: str
    ) -> str:
        """The first comment is a reply: https://docs.x.com/x-api/posts/create-or-edit-post"""
        return await self._create_tweet(
            tokens, {"text": text, "reply": {"in_reply_to_tweet_id": platform_post_id}}
        )

    async def metrics(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> dict[str, int]:
        """public_metrics: https://docs.x.com/x-api/posts/post-lookup-by-post-id"""
        request = httpx.Request(
            "GET",
            f"{self._api}/2/tweets/{platform_post_id}",
            params={"tweet.fields": "public_metrics"},
            headers=self._auth(tokens),
        )
        return _public_metrics(self._data(await self._send(request)))

    async def metrics_many(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """GET /2/tweets?ids=... (1 to 100 comma-separated ids) with public_metrics; a post X no
        longer has comes back in `errors`, not in `data`
        (https://docs.x.com/x-api/posts/post-lookup-by-post-ids)."""
        request = httpx.Request(
            "GET",
            f"{self._api}/2/tweets",
            params={"ids": ",".join(platform_post_ids), "tweet.fields": "public_metrics"},
            headers=self._auth(tokens),
        )
        body = _json(await self._send(request))
        found = body.get("data") if isinstance(body, dict) else None
        return {
            str(post["id"]): _public_metrics(post)
            for post in found or []
            if isinstance(post, dict) and "id" in post
        }

    async def account_metrics(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        """GET /2/users/me?user.fields=public_metrics: followers_count, following_count,
        tweet_count, listed_count (https://docs.x.com/x-api/users/user-lookup-me,
        https://docs.x.com/x-api/users/lookup/quickstart/authenticated-lookup)."""
        request = httpx.Request(
            "GET",
            f"{self._api}/2/users/me",
            params={"user.fields": "public_metrics"},
            headers=self._auth(tokens),
        )
        counts = _public_metrics(self._data(await self._send(request)))
        names = {"followers_count": "followers", "following_count": "following"}
        names |= {"tweet_count": "posts"}
        return {names.get(name, name): value for name, value in counts.items()}

    # -- engagement (the inbox) ----------------------------------------------------------------

    async def reply_to_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, text: str
    ) -> Engagement:
        """A reply is a post answering the comment or mention (create post,
        `reply.in_reply_to_tweet_id`, https://docs.x.com/x-api/posts/create-or-edit-post)."""
        reply_id = await self._create_tweet(
            tokens,
            {"text": text, "reply": {"in_reply_to_tweet_id": engagement.platform_item_id}},
        )
        return own_reply(
            account,
            engagement,
            reply_id,
            text,
            permalink=_post_url(account, reply_id),
            created_at=self._clock(),
        )

    async def hide_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, *, hidden: bool
    ) -> None:
        """PUT /2/tweets/:id/hidden {"hidden": ...}: only replies in a conversation the account
        started; X refuses others (Permanent).
        https://developer.x.com/en/docs/twitter-api/tweets/hide-replies/api-reference"""
        request = httpx.Request(
            "PUT",
            f"{self._api}/2/tweets/{engagement.platform_item_id}/hidden",
            json={"hidden": hidden},
            headers=self._auth(tokens),
        )
        if self._data(await self._send(request)).get("hidden") is not hidden:
            raise Permanent(PLATFORM, "X did not change whether the reply is hidden.")

    async def delete_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement
    ) -> None:
        """X deletes only the account's own posts (https://docs.x.com/x-api/posts/delete-post);
        someone else's reply can be hidden, not deleted."""
        if not is_own(account, engagement):
            raise NotSupported(
                PLATFORM,
                "X lets an account delete only its own posts; hide the reply instead.",
                code="not_supported",
            )
        await self.delete(tokens, account, engagement.platform_item_id)

    async def list_comments(
        self,
        tokens: TokenSet,
        account: ConnectedAccount,
        platform_post_id: str,
        cursor: str | None,
    ) -> EngagementPage:
        """The post's replies at every depth: GET /2/tweets/search/recent with
        `conversation_id:<post id>` (replies share the conversation id of the post that started
        it), newer than the since-id cursor. Recent search reaches back 7 days.
        https://docs.x.com/x-api/posts/search-recent-posts"""
        params = {
            "query": f"conversation_id:{platform_post_id}",
            "max_results": str(ENGAGEMENT_PAGE),
            **ENGAGEMENT_FIELDS,
        }
        page = await self._engagement_page(
            tokens,
            account,
            f"{self._api}/2/tweets/search/recent",
            params,
            cursor,
            "comment",
            # Recent search names its page parameter next_token, like the answer's field.
            # https://docs.x.com/x-api/posts/search/integrate/paginate
            page_parameter="next_token",
        )
        # The post that started the conversation matches its own conversation_id.
        replies = [item for item in page.items if item.platform_item_id != platform_post_id]
        return EngagementPage(items=replies, cursor=page.cursor, more=page.more)

    async def list_mentions(
        self, tokens: TokenSet, account: ConnectedAccount, cursor: str | None
    ) -> EngagementPage:
        """GET /2/users/:id/mentions newer than the since-id cursor.
        https://docs.x.com/x-api/posts/user-mention-timeline-by-user-id"""
        params = {"max_results": str(ENGAGEMENT_PAGE), **ENGAGEMENT_FIELDS}
        url = f"{self._api}/2/users/{account.platform_account_id}/mentions"
        return await self._engagement_page(
            tokens, account, url, params, cursor, "mention", page_parameter="pagination_token"
        )

    async def _engagement_page(
        self,
        tokens: TokenSet,
        account: ConnectedAccount,
        url: str,
        params: dict[str, str],
        cursor: str | None,
        kind: EngagementKind,
        *,
        page_parameter: str,
    ) -> EngagementPage:
        """One page, newest first. X's way to poll (https://docs.x.com/x-api/fundamentals/pagination,
        https://docs.x.com/x-api/posts/search/integrate/paginate): while `meta.next_token` says
        more pages match, the next call keeps the same `since_id` and asks for that page; once
        the pages end, the next poll starts after `meta.newest_id` of the walk's first page."""
        walk = ListingWalk.resume(cursor)
        if walk.since:
            params = {**params, "since_id": walk.since}
        if walk.page:
            params = {**params, page_parameter: walk.page}
        request = httpx.Request("GET", url, params=params, headers=self._auth(tokens))
        body = _json(await self._send(request))
        if not isinstance(body, dict):
            return walk.step(EngagementPage(items=[], cursor=None), None)
        includes = body.get("includes")
        users = {
            str(user.get("id")): user
            for user in (includes.get("users") or [] if isinstance(includes, dict) else [])
            if isinstance(user, dict)
        }
        items = [
            _engagement(account, tweet, users, kind)
            for tweet in body.get("data") or []
            if isinstance(tweet, dict) and tweet.get("id")
        ]
        meta = body.get("meta")
        newest = meta.get("newest_id") if isinstance(meta, dict) else None
        next_token = meta.get("next_token") if isinstance(meta, dict) else None
        return walk.step(
            EngagementPage(items=items, cursor=str(newest) if newest and items else None),
            str(next_token) if next_token and items else None,
        )


def _engagement(
    account: ConnectedAccount,
    tweet: Mapping[str, Any],
    users: Mapping[str, Mapping[str, Any]],
    listed_as: EngagementKind,
) -> Engagement:
    """A post of a search or mention listing; a comment answers the conversation's first post,
    a reply answers another reply (`referenced_tweets` of type replied_to)."""
    tweet_id = str(tweet["id"])
    conversation = str(tweet.get("conversation_id") or tweet_id)
    parent = next(
        (
            str(ref["id"])
            for ref in tweet.get("referenced_tweets") or []
            if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id")
        ),
        None,
    )
    author_id = str(tweet["author_id"]) if tweet.get("author_id") else None
    user = users.get(author_id or "", {})
    handle = user.get("username")
    kind: EngagementKind = listed_as
    if listed_as == "comment" and parent is not None and parent != conversation:
        kind = "reply"
    return Engagement(
        platform=PLATFORM,
        platform_account_id=account.platform_account_id,
        platform_item_id=tweet_id,
        kind=kind,
        text=_full_text(tweet),
        author=EngagementAuthor(
            platform_user_id=author_id,
            name=user.get("name"),
            handle=handle,
            avatar_url=user.get("profile_image_url"),
        ),
        created_at=iso_time(tweet.get("created_at")),
        platform_post_id=tweet_id if listed_as == "mention" else conversation,
        parent_id=parent,
        thread_id=conversation,
        permalink=_status_url(handle, tweet_id),
    )


def _check_after(info: Mapping[str, Any], default: int) -> int:
    value = info.get("check_after_secs")
    return int(value) if isinstance(value, int | float) and value >= 0 else default


def _processing_error(info: Mapping[str, Any]) -> str:
    error = info.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return "X could not process this media."


def _full_text(tweet: Mapping[str, Any]) -> str:
    """The post's whole text as it was written: a long post's `note_tweet.text` (its `text` is
    cut short, https://docs.x.com/x-api/fundamentals/data-dictionary/reference), with the
    `&amp;`, `&lt;` and `&gt;` X writes for `&`, `<` and `>` turned back into those characters
    (https://twittercommunity.com/t/ampersands-are-translated-to-amp-when-received-by-the-account-activity-api/107607)."""
    note = tweet.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        return html.unescape(note["text"])
    return html.unescape(str(tweet.get("text") or ""))


def _post_url(account: ConnectedAccount, post_id: str) -> str:
    return _status_url(account.handle, post_id)


def _status_url(handle: str | None, post_id: str) -> str:
    if handle:
        return f"https://x.com/{handle}/status/{post_id}"
    return f"https://x.com/i/web/status/{post_id}"
