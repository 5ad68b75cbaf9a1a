"""YouTube: Data API v3 (resumable upload, thumbnails, processing status, comments, statistics)
and Google OAuth 2.0 for web server applications.

Documentation this module follows:
- Resumable upload: https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol
- videos.insert: https://developers.google.com/youtube/v3/docs/videos/insert
- thumbnails.set: https://developers.google.com/youtube/v3/docs/thumbnails/set
- videos.list: https://developers.google.com/youtube/v3/docs/videos/list
- videos.delete: https://developers.google.com/youtube/v3/docs/videos/delete
- commentThreads.insert: https://developers.google.com/youtube/v3/docs/commentThreads/insert
- channels.list: https://developers.google.com/youtube/v3/docs/channels/list
- playlistItems.list: https://developers.google.com/youtube/v3/docs/playlistItems/list
- Quota costs: https://developers.google.com/youtube/v3/determine_quota_cost
- OAuth: https://developers.google.com/identity/protocols/oauth2/web-server
- Errors: https://developers.google.com/youtube/v3/docs/errors
- Engagement: commentThreads.list https://developers.google.com/youtube/v3/docs/commentThreads/list,
  comments.insert https://developers.google.com/youtube/v3/docs/comments/insert,
  comments.setModerationStatus https://developers.google.com/youtube/v3/docs/comments/setModerationStatus,
  comments.delete https://developers.google.com/youtube/v3/docs/comments/delete
"""

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from functions.shared.engagement import Engagement, EngagementAuthor

from .base import (
    Checkpoint,
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
    classify_response,
    describe_error_object,
    form_post,
    is_own,
    iso_time,
    oauth_token_set,
    own_reply,
    page_after_time,
    posts_since,
    refresh_form,
    retry_after_seconds,
    send,
)

PLATFORM = "youtube"
API_BASE = "https://www.googleapis.com/youtube/v3"
UPLOAD_BASE = "https://www.googleapis.com/upload/youtube/v3"
AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 (an endpoint, not a secret)
REVOKE_URL = "https://oauth2.googleapis.com/revoke"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"

DEFAULT_SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/youtube.force-ssl",
)
# Resumable protocol: every chunk but the last is a multiple of 256 KiB.
CHUNK_QUANTUM = 256 * 1024
DEFAULT_CHUNK_SIZE = 64 * CHUNK_QUANTUM  # 16 MiB
# Upload PUTs in a row that move the server's offset nowhere before giving up (Retryable).
MAX_STALLED_CHUNKS = 3
# Google keeps an upload session about a week ("A resumable upload must be completed within a
# week of being initiated": https://cloud.google.com/storage/docs/resumable-uploads). A saved
# session is resumed only while a day of that is left, so it does not expire mid-upload.
RESUME_SESSION_FOR = timedelta(days=6)
DEFAULT_CATEGORY_ID = "22"  # People & Blogs
MAX_TITLE_LENGTH = 100
RECENT_POSTS_PAGE = 50  # playlistItems.list maxResults: 0 to 50
COMMENT_THREADS_PAGE = 100  # commentThreads.list maxResults: 1 to 100

# 403 reasons that clear with time (quota resets daily, rate limits within minutes).
_RETRYABLE_REASONS = frozenset({"quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded"})


class _ResumeIncomplete(Retryable):
    """308 Resume Incomplete: not a failure; carries the answer so the upload goes on.

    `base.send` treats every non-2xx answer as a failure; this class lets the 308 out of it
    (caught by `_upload`; should a 308 ever come from elsewhere, it is at least retryable)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(PLATFORM, "Resume Incomplete")
        self.response = response


class _SessionGone(Retryable):
    """404 or 410 from an upload session URI: Google no longer knows the session (expired, or
    ended). Retryable: the next attempt's status query meets it too and opens a new session."""


def _describe(response: httpx.Response) -> tuple[str, str | None]:
    """Google's message and reason: `{"error": {"code", "message", "errors": [{"reason"}]}}`
    on the API, `{"error": "...", "error_description": "..."}` on the OAuth token endpoint."""
    return describe_error_object(response, _reason)


def _reason(error: Mapping[str, Any]) -> Any:
    """The first of the error's reasons (quotaExceeded, ...), else its status."""
    errors = error.get("errors") or []
    reason = errors[0].get("reason") if errors and isinstance(errors[0], dict) else None
    return reason or error.get("status")


def _classify(response: httpx.Response, message: str, code: str | None) -> PlatformError:
    status = response.status_code
    if status == 308:
        return _ResumeIncomplete(response)
    if status == 401 or code == "invalid_grant":
        return ReauthRequired(PLATFORM, message, code=code)
    if status == 403 and code in _RETRYABLE_REASONS:
        return Retryable(PLATFORM, message, code=code, retry_after=retry_after_seconds(response))
    return classify_response(PLATFORM, response, message, code=code)


def _classify_session(response: httpx.Response, message: str, code: str | None) -> PlatformError:
    if response.status_code in (404, 410):
        return _SessionGone(PLATFORM, "The YouTube upload session has expired.", code=code)
    return _classify(response, message, code)


def _json(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _fingerprint(metadata: Any, video: MediaFile) -> str:
    """What an upload session was opened for (the metadata and the file's size and type are
    fixed when it opens): a saved session is resumed only for the same."""
    opened_for = _json([metadata, video.size, video.content_type])
    return hashlib.sha256(opened_for).hexdigest()


def _received_until(response: httpx.Response) -> int:
    """The offset after the last byte the server holds, from a 308's `Range: bytes=0-N`
    (no Range header: nothing received yet)."""
    value = response.headers.get("range")
    if not value or "-" not in value:
        return 0
    return int(value.rsplit("-", 1)[1]) + 1


class YouTubeAdapter:
    platform = PLATFORM
    metrics_batch_size: ClassVar[int] = 50  # ids per videos.list

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if chunk_size <= 0 or chunk_size % CHUNK_QUANTUM:
            raise ValueError(f"YouTube chunks are a positive multiple of {CHUNK_QUANTUM} bytes")
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = http
        self.scopes = tuple(scopes)
        self.chunk_size = chunk_size
        self.clock = clock

    async def _send(self, request: httpx.Request) -> httpx.Response:
        return await send(PLATFORM, self.http, request, _describe, _classify)

    @staticmethod
    def _auth(tokens: TokenSet, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.access_token}", **headers}

    # -- OAuth -----------------------------------------------------------------------------

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        """Offline access (a refresh token) and forced consent, so a reconnect always returns
        a refresh token; PKCE S256."""
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{AUTHORIZE_URL}?{urlencode(query)}"

    def _tokens(self, body: Mapping[str, Any], previous: TokenSet | None = None) -> TokenSet:
        # Google answers a refresh without a new refresh token: the old one stays valid.
        return oauth_token_set(body, now=self.clock(), previous=previous)

    def _client(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    async def _token_request(self, form: Mapping[str, str]) -> dict[str, Any]:
        return dict((await self._send(form_post(TOKEN_URL, form))).json())

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        body = await self._token_request(
            {
                "code": code,
                **self._client(),
                "redirect_uri": redirect_uri,
                "grant_type": "authorization_code",
                "code_verifier": code_verifier,
            }
        )
        return self._tokens(body)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        body = await self._token_request(refresh_form(PLATFORM, tokens, self._client()))
        return self._tokens(body, tokens)

    async def revoke(self, tokens: TokenSet) -> bool:
        """POST https://oauth2.googleapis.com/revoke with `token` as a form field ("Revoking a
        token", https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke).
        The refresh token is preferred: revoking it (or an access token that has one) removes
        the whole grant. 200 means revoked; 400 `invalid_token` means Google no longer accepts
        this token (ReauthRequired), anything else is classified as usual."""

        def classify(response: httpx.Response, message: str, code: str | None) -> PlatformError:
            if code == "invalid_token":
                return ReauthRequired(PLATFORM, message, code=code)
            return _classify(response, message, code)

        request = form_post(REVOKE_URL, {"token": tokens.refresh_token or tokens.access_token})
        await send(PLATFORM, self.http, request, _describe, classify)
        return True

    async def accounts(self, tokens: TokenSet) -> list[tuple[ConnectedAccount, TokenSet]]:
        """channels.list?part=snippet&mine=true: the channels of this login (the user picks)."""
        response = await self._send(
            httpx.Request(
                "GET",
                f"{API_BASE}/channels",
                params={"part": "snippet", "mine": "true"},
                headers=self._auth(tokens),
            )
        )
        found: list[tuple[ConnectedAccount, TokenSet]] = []
        for item in response.json().get("items") or []:
            snippet = item.get("snippet") or {}
            thumbnail = (snippet.get("thumbnails") or {}).get("default") or {}
            account = ConnectedAccount(
                platform_account_id=str(item["id"]),
                name=str(snippet.get("title") or item["id"]),
                handle=snippet.get("customUrl") or None,
                avatar_url=thumbnail.get("url") or None,
                kind="channel",
            )
            found.append((account, tokens))
        if not found:
            raise Permanent(
                PLATFORM, "This Google account has no YouTube channel.", code="no_channel"
            )
        return found

    # -- Publishing ------------------------------------------------------------------------

    @staticmethod
    def _metadata(request: PublishRequest) -> dict[str, Any]:
        options = request.options
        title = str(options.get("title") or request.text.strip().split("\n", 1)[0])
        if not title:
            raise Permanent(PLATFORM, "A YouTube video needs a title.", code="title_required")
        snippet: dict[str, Any] = {
            "title": title[:MAX_TITLE_LENGTH],
            "description": request.text,
            "categoryId": str(options.get("category_id", DEFAULT_CATEGORY_ID)),
        }
        if options.get("tags"):
            snippet["tags"] = [str(tag) for tag in options["tags"]]
        status: dict[str, Any] = {
            "privacyStatus": str(options.get("privacy_status", "public")),
            "selfDeclaredMadeForKids": bool(options.get("made_for_kids", False)),
        }
        if "contains_synthetic_media" in options:
            status["containsSyntheticMedia"] = bool(options["contains_synthetic_media"])
        return {"snippet": snippet, "status": status}

    async def publish(
        self, tokens: TokenSet, account: ConnectedAccount, request: PublishRequest
    ) -> PublishResult:
        """One video (plus optionally one image, or options["thumbnail"], as its thumbnail)."""
        videos = [m for m in request.media if m.kind == "video"]
        images = [m for m in request.media if m.kind == "image"]
        if len(videos) != 1 or len(images) > 1 or len(videos) + len(images) != len(request.media):
            raise Permanent(
                PLATFORM,
                "A YouTube post is one video, optionally with one image as its thumbnail.",
                code="unsupported_media",
            )
        metadata = self._metadata(request)
        video_id = await self._upload(tokens, videos[0], metadata, request.checkpoint)
        progress = {"video_id": video_id}
        thumbnail = request.options.get("thumbnail") or (images[0] if images else None)
        if isinstance(thumbnail, MediaFile):
            # The video exists already: a refused thumbnail (e.g. an unverified channel) must
            # not make the post look failed and get uploaded twice.
            try:
                await self.set_thumbnail(tokens, video_id, thumbnail)
            except PlatformError as error:
                progress["thumbnail_error"] = error.message
        return PublishResult(
            state="processing",
            platform_post_id=video_id,
            url=f"https://www.youtube.com/watch?v={video_id}",
            check_after_seconds=30,
            progress=progress,
        )

    async def _upload(
        self, tokens: TokenSet, video: MediaFile, metadata: Any, checkpoint: Checkpoint
    ) -> str:
        """Resumable upload: POST the metadata for a session URI (Location), then PUT the bytes
        in chunks with Content-Range, each read from storage just before it is sent; 308
        answers tell (Range) how much the server holds.

        The session URI is saved (`checkpoint`) before any byte is sent, so that an attempt cut
        off or failed mid-upload leaves it to the next attempt. That one asks the session what
        it holds (the guide's step 4.1, "Check the status of an upload": an empty PUT with
        `Content-Range: bytes */size`) and goes on from the next byte (step 4.3); a session that
        already holds every byte answers 200/201 with the video, which is then the published
        one, never a second upload. A session Google forgot (404, 410), one older than
        `RESUME_SESSION_FOR`, or one opened for other metadata or another file, is replaced by
        a new one.
        https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol
        """
        fingerprint = _fingerprint(metadata, video)
        session_uri = self._saved_session(checkpoint.saved, fingerprint)
        offset = 0
        if session_uri is not None:
            try:
                video_id, offset = await self._put(tokens, session_uri, video, video.size)
            except _SessionGone:
                session_uri = None
            else:
                if video_id is not None:
                    return video_id
        if session_uri is None:
            session_uri = await self._open_session(tokens, video, metadata)
            offset = 0
            await checkpoint.save(
                {
                    "upload_session": session_uri,
                    "upload_opened_at": self.clock().isoformat(),
                    "upload_fingerprint": fingerprint,
                }
            )
        return await self._send_from(tokens, session_uri, video, offset)

    def _saved_session(self, saved: Mapping[str, str], fingerprint: str) -> str | None:
        """The session an earlier attempt opened for this same upload, while Google keeps it."""
        session_uri = saved.get("upload_session")
        opened_at = iso_time(saved.get("upload_opened_at"))
        if not session_uri or opened_at is None:
            return None
        if saved.get("upload_fingerprint") != fingerprint:
            return None
        return session_uri if self.clock() - opened_at < RESUME_SESSION_FOR else None

    async def _open_session(self, tokens: TokenSet, video: MediaFile, metadata: Any) -> str:
        """POST the metadata with the file's size and type: the session URI (Location)."""
        start = await self._send(
            httpx.Request(
                "POST",
                f"{UPLOAD_BASE}/videos",
                params={"uploadType": "resumable", "part": "snippet,status"},
                headers=self._auth(
                    tokens,
                    **{
                        "Content-Type": JSON_CONTENT_TYPE,
                        "X-Upload-Content-Length": str(video.size),
                        "X-Upload-Content-Type": video.content_type,
                    },
                ),
                content=_json(metadata),
            )
        )
        session_uri = start.headers.get("location")
        if not session_uri:
            raise Retryable(PLATFORM, "YouTube did not open an upload session.")
        return str(session_uri)

    async def _send_from(
        self, tokens: TokenSet, session_uri: str, video: MediaFile, offset: int
    ) -> str:
        """PUT the chunks from `offset` on until YouTube answers with the video's id.

        An interrupted chunk (the connection broke, timed out, or a 5xx came back) is resumed
        as the protocol's "Resume an interrupted upload" says: an empty PUT with
        `Content-Range: bytes */size` asks the session how much it holds, and the upload goes on
        from there. When that status query fails as well, the interruption is raised.
        https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol#Resume_Interrupted_Upload
        """
        size = video.size
        stalled = 0
        while True:
            failure = Retryable(PLATFORM, "The YouTube upload is not progressing.")
            try:
                video_id, received = await self._put(tokens, session_uri, video, offset)
            except Retryable as interrupted:
                failure = interrupted
                try:
                    video_id, received = await self._put(tokens, session_uri, video, size)
                except Retryable:
                    raise interrupted from None
            if video_id is not None:
                return video_id
            stalled = stalled + 1 if received <= offset else 0
            if stalled >= MAX_STALLED_CHUNKS:
                raise failure
            offset = received

    async def _put(
        self, tokens: TokenSet, session_uri: str, video: MediaFile, offset: int
    ) -> tuple[str | None, int]:
        """PUT the chunk that starts at `offset`: (the video id, size) once YouTube holds every
        byte, else (None, the offset after the last byte it holds, from the 308's Range).

        From the end of the file it is an empty PUT with `bytes */size`: the protocol's status
        query, which asks how much the session holds without sending anything.

        The chunk is streamed, not held as bytes: a 308 comes back as an exception, which keeps
        the request alive until the garbage collector finds it, and the chunk must not stay
        with it."""
        size = video.size
        end = min(offset + self.chunk_size, size)
        content_range = f"bytes {offset}-{end - 1}/{size}" if end > offset else f"bytes */{size}"
        request = httpx.Request(
            "PUT",
            session_uri,
            headers=self._auth(
                tokens,
                **{
                    "Content-Type": video.content_type,
                    "Content-Range": content_range,
                    "Content-Length": str(end - offset),
                },
            ),
            content=video.stream(offset, end),
        )
        try:
            done = await send(PLATFORM, self.http, request, _describe, _classify_session)
        except _ResumeIncomplete as incomplete:
            return None, _received_until(incomplete.response)
        return str(done.json()["id"]), size

    async def set_thumbnail(self, tokens: TokenSet, video_id: str, image: MediaFile) -> None:
        """thumbnails.set: the image bytes as the body of a simple media upload POST.

        The upload path takes the upload protocol as `uploadType` (the method's `mediaUpload`
        `simple` protocol in https://www.googleapis.com/discovery/v1/apis/youtube/v3/rest);
        Google's own clients send `uploadType=media` for a body that is the bytes alone.
        """
        await self._send(
            httpx.Request(
                "POST",
                f"{UPLOAD_BASE}/thumbnails/set",
                params={"videoId": video_id, "uploadType": "media"},
                headers=self._auth(tokens, **{"Content-Type": image.content_type}),
                content=await image.read(),
            )
        )

    async def _video(self, tokens: TokenSet, video_id: str, part: str) -> dict[str, Any] | None:
        response = await self._send(
            httpx.Request(
                "GET",
                f"{API_BASE}/videos",
                params={"part": part, "id": video_id},
                headers=self._auth(tokens),
            )
        )
        items = response.json().get("items") or []
        return dict(items[0]) if items else None

    async def status(
        self, tokens: TokenSet, account: ConnectedAccount, result: PublishResult
    ) -> PostStatus:
        """One videos.list?part=processingDetails,status."""
        video_id = result.progress["video_id"]
        url = f"https://www.youtube.com/watch?v={video_id}"
        video = await self._video(tokens, video_id, "processingDetails,status")
        if video is None:
            return PostStatus(state="failed", error="YouTube no longer has this video.")
        status = video.get("status") or {}
        processing = video.get("processingDetails") or {}
        upload_status = status.get("uploadStatus")
        if upload_status in ("failed", "rejected", "deleted"):
            reason = status.get("failureReason") or status.get("rejectionReason") or upload_status
            return PostStatus(state="failed", platform_post_id=video_id, error=f"YouTube: {reason}")
        processing_status = processing.get("processingStatus")
        if processing_status in ("failed", "terminated"):
            reason = processing.get("processingFailureReason") or processing_status
            return PostStatus(state="failed", platform_post_id=video_id, error=f"YouTube: {reason}")
        if upload_status == "processed" or processing_status == "succeeded":
            return PostStatus(state="published", platform_post_id=video_id, url=url)
        left_ms = (processing.get("processingProgress") or {}).get("timeLeftMs")
        wait = min(300, max(10, int(left_ms) // 1000)) if left_ms else 30
        return PostStatus(
            state="processing", platform_post_id=video_id, url=url, check_after_seconds=wait
        )

    async def delete(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> None:
        await self._send(
            httpx.Request(
                "DELETE",
                f"{API_BASE}/videos",
                params={"id": platform_post_id},
                headers=self._auth(tokens),
            )
        )

    async def comment(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str, text: str
    ) -> str:
        """commentThreads.insert: a top-level comment on the video; returns the thread id."""
        body = {
            "snippet": {
                "videoId": platform_post_id,
                "topLevelComment": {"snippet": {"textOriginal": text}},
            }
        }
        response = await self._send(
            httpx.Request(
                "POST",
                f"{API_BASE}/commentThreads",
                params={"part": "snippet"},
                headers=self._auth(tokens, **{"Content-Type": JSON_CONTENT_TYPE}),
                content=_json(body),
            )
        )
        return str(response.json()["id"])

    async def recent_posts(
        self, tokens: TokenSet, account: ConnectedAccount, since: datetime
    ) -> list[RecentPost]:
        """The channel's uploads playlist, newest first, filtered here by `since`:
        channels.list?part=contentDetails&id={channel} for its id
        (contentDetails.relatedPlaylists.uploads), then
        playlistItems.list?part=snippet,contentDetails&playlistId=...&maxResults=50.

        Two quota units in all (1 each), where search.list?forMine=true would cost 100
        (https://developers.google.com/youtube/v3/determine_quota_cost). The channel is named by
        id rather than `mine=true`, since one login may hold several channels. The text is the
        description (Herald's post text; the title is only its first line), else the title;
        the time is when the upload joined the playlist, which private videos have too."""
        channels = await self._send(
            httpx.Request(
                "GET",
                f"{API_BASE}/channels",
                params={"part": "contentDetails", "id": account.platform_account_id},
                headers=self._auth(tokens),
            )
        )
        items = channels.json().get("items") or []
        details = (items[0].get("contentDetails") or {}) if items else {}
        uploads = (details.get("relatedPlaylists") or {}).get("uploads")
        if not uploads:
            raise Permanent(
                PLATFORM, "YouTube no longer lists this channel's uploads.", code="no_uploads"
            )
        response = await self._send(
            httpx.Request(
                "GET",
                f"{API_BASE}/playlistItems",
                params={
                    "part": "snippet,contentDetails",
                    "playlistId": str(uploads),
                    "maxResults": str(RECENT_POSTS_PAGE),
                },
                headers=self._auth(tokens),
            )
        )
        posts: list[RecentPost] = []
        for item in response.json().get("items") or []:
            snippet = item.get("snippet") or {}
            video_id = (item.get("contentDetails") or {}).get("videoId") or (
                snippet.get("resourceId") or {}
            ).get("videoId")
            if not video_id:
                continue
            posts.append(
                RecentPost(
                    platform_post_id=str(video_id),
                    text=str(snippet.get("description") or snippet.get("title") or ""),
                    created_at=iso_time(snippet.get("publishedAt")),
                    url=f"https://www.youtube.com/watch?v={video_id}",
                )
            )
        return posts_since(posts, since)

    async def metrics(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> dict[str, int]:
        found = await self.metrics_many(tokens, account, [platform_post_id])
        if platform_post_id not in found:
            raise Permanent(PLATFORM, "YouTube no longer has this video.", code="videoNotFound")
        return found[platform_post_id]

    async def metrics_many(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """videos.list?part=statistics&id=<comma-separated ids> (at most 50 a request; counts
        arrive as strings; likeCount may be hidden; a deleted video is not listed)
        (https://developers.google.com/youtube/v3/docs/videos/list)."""
        response = await self._send(
            httpx.Request(
                "GET",
                f"{API_BASE}/videos",
                # No maxResults: videos.list refuses it together with `id`.
                params={"part": "statistics", "id": ",".join(platform_post_ids)},
                headers=self._auth(tokens),
            )
        )
        names = {"views": "viewCount", "likes": "likeCount", "comments": "commentCount"}
        found: dict[str, dict[str, int]] = {}
        for video in response.json().get("items") or []:
            stats = video.get("statistics") or {}
            found[str(video["id"])] = {
                name: int(stats.get(field) or 0) for name, field in names.items()
            }
        return found

    async def account_metrics(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        """channels.list?part=statistics&id=<channel>: subscriberCount, videoCount and viewCount,
        as strings; with hiddenSubscriberCount true the subscriber count is not shown, so none
        is kept (https://developers.google.com/youtube/v3/docs/channels/list,
        https://developers.google.com/youtube/v3/docs/channels#statistics)."""
        response = await self._send(
            httpx.Request(
                "GET",
                f"{API_BASE}/channels",
                params={"part": "statistics", "id": account.platform_account_id},
                headers=self._auth(tokens),
            )
        )
        items = response.json().get("items") or []
        if not items:
            raise Permanent(PLATFORM, "YouTube no longer has this channel.", code="channelNotFound")
        stats = items[0].get("statistics") or {}
        counts = {"posts": int(stats.get("videoCount") or 0)}
        counts["channel_views"] = int(stats.get("viewCount") or 0)
        if not stats.get("hiddenSubscriberCount"):
            counts["followers"] = int(stats.get("subscriberCount") or 0)
        return counts

    # -- engagement (the inbox) -------------------------------------------------------------

    async def reply_to_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, text: str
    ) -> Engagement:
        """comments.insert?part=snippet with snippet.parentId and textOriginal. Replies answer
        top-level comments only ("YouTube currently supports replies only for top-level
        comments"), so a reply to a reply goes to its thread's top-level comment, whose id is
        the thread's id."""
        parent = engagement.platform_item_id
        if engagement.kind == "reply":
            parent = engagement.thread_id or engagement.parent_id or parent
        response = await self._send(
            httpx.Request(
                "POST",
                f"{API_BASE}/comments",
                params={"part": "snippet"},
                headers=self._auth(tokens, **{"Content-Type": JSON_CONTENT_TYPE}),
                content=_json({"snippet": {"parentId": parent, "textOriginal": text}}),
            )
        )
        body = response.json()
        snippet = body.get("snippet") or {}
        reply_id = str(body["id"])
        return own_reply(
            account,
            engagement,
            reply_id,
            text,
            permalink=_comment_url(engagement.platform_post_id, reply_id),
            created_at=iso_time(snippet.get("publishedAt")) or self.clock(),
        )

    async def hide_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, *, hidden: bool
    ) -> None:
        """comments.setModerationStatus: heldForReview hides the comment and published shows it
        again. `rejected` is kept for deleting, since a rejected comment can never be published
        again."""
        await self._moderate(tokens, engagement, "heldForReview" if hidden else "published")

    async def delete_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement
    ) -> None:
        """comments.delete for the channel's own comments ("can only be used by the comment's
        original author"); another user's comment is removed from the channel's video the
        documented way, by moderating it to `rejected`."""
        if is_own(account, engagement):
            await self._send(
                httpx.Request(
                    "DELETE",
                    f"{API_BASE}/comments",
                    params={"id": engagement.platform_item_id},
                    headers=self._auth(tokens),
                )
            )
            return
        await self._moderate(tokens, engagement, "rejected")

    async def _moderate(self, tokens: TokenSet, engagement: Engagement, status: str) -> None:
        """POST comments/setModerationStatus?id=...&moderationStatus=... (no body; 204)."""
        await self._send(
            httpx.Request(
                "POST",
                f"{API_BASE}/comments/setModerationStatus",
                params={"id": engagement.platform_item_id, "moderationStatus": status},
                headers=self._auth(tokens),
            )
        )

    async def list_comments(
        self,
        tokens: TokenSet,
        account: ConnectedAccount,
        platform_post_id: str,
        cursor: str | None,
    ) -> EngagementPage:
        """commentThreads.list?part=snippet,replies&videoId=...&order=time: the newest threads
        first, one page (1 quota unit) per call, kept when newer than the time cursor. While a
        page's threads are all new and `nextPageToken` names another page, the cursor walks on
        to it (`pageToken`) and `more` says so. A thread carries only some of its replies (the
        `replies` part), so a reply beyond those, or on a thread older than the walk, is not
        seen by this poll (comments.list per thread would find it, at one more unit each)."""
        walk = ListingWalk.resume(cursor)
        params = {
            "part": "snippet,replies",
            "videoId": platform_post_id,
            "order": "time",
            "maxResults": str(COMMENT_THREADS_PAGE),
            "textFormat": "plainText",
        }
        if walk.page:
            params["pageToken"] = walk.page
        response = await self._send(
            httpx.Request(
                "GET", f"{API_BASE}/commentThreads", params=params, headers=self._auth(tokens)
            )
        )
        body = response.json()
        items: list[Engagement] = []
        threads: list[str] = []
        for thread in body.get("items") or []:
            if not isinstance(thread, dict):
                continue
            top = (thread.get("snippet") or {}).get("topLevelComment")
            if not isinstance(top, dict) or not top.get("id"):
                continue
            thread_id = str(top["id"])
            threads.append(thread_id)
            items.append(_comment(account, platform_post_id, top, thread_id, None))
            for reply in (thread.get("replies") or {}).get("comments") or []:
                if isinstance(reply, dict) and reply.get("id"):
                    items.append(_comment(account, platform_post_id, reply, thread_id, thread_id))
        fresh = page_after_time(items, walk.since)
        taken = {item.platform_item_id for item in fresh.items}
        all_new = bool(threads) and all(thread in taken for thread in threads)
        next_page = body.get("nextPageToken") if all_new else None
        return walk.step(fresh, str(next_page) if next_page else None)

    async def list_mentions(
        self, tokens: TokenSet, account: ConnectedAccount, cursor: str | None
    ) -> EngagementPage:
        raise NotSupported(
            PLATFORM,
            "The YouTube Data API has no listing of a channel's mentions.",
            code="not_supported",
        )


def _comment_url(video_id: str | None, comment_id: str) -> str | None:
    return f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}" if video_id else None


def _comment(
    account: ConnectedAccount,
    video_id: str,
    comment: Mapping[str, Any],
    thread_id: str,
    parent_id: str | None,
) -> Engagement:
    """A comment resource (https://developers.google.com/youtube/v3/docs/comments#resource)."""
    snippet = comment.get("snippet") or {}
    channel = snippet.get("authorChannelId")
    author_id = channel.get("value") if isinstance(channel, dict) else None
    comment_id = str(comment["id"])
    return Engagement(
        platform=PLATFORM,
        platform_account_id=account.platform_account_id,
        platform_item_id=comment_id,
        kind="reply" if parent_id else "comment",
        text=str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
        author=EngagementAuthor(
            platform_user_id=str(author_id) if author_id else None,
            name=snippet.get("authorDisplayName"),
            avatar_url=snippet.get("authorProfileImageUrl"),
        ),
        created_at=iso_time(snippet.get("publishedAt")),
        platform_post_id=video_id,
        parent_id=parent_id,
        thread_id=thread_id,
        permalink=_comment_url(video_id, comment_id),
    )
