"""Threads (graph.threads.net): text, image, video, carousel and reply posts via media containers.

Documentation this adapter follows (cited again next to each flow):
- Posts (containers, carousels, publish): https://developers.facebook.com/docs/threads/posts
- Container status: https://developers.facebook.com/docs/threads/troubleshooting
- Replies: https://developers.facebook.com/docs/threads/retrieve-and-manage-replies/create-replies
- Reply control: https://developers.facebook.com/docs/threads/reply-management
- Publishing limit: https://developers.facebook.com/docs/threads/overview
- Delete: https://developers.facebook.com/docs/threads/posts/delete-posts
- Insights: https://developers.facebook.com/docs/threads/insights
- OAuth: https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions
  and https://developers.facebook.com/docs/threads/get-started/long-lived-tokens
- Profiles: https://developers.facebook.com/docs/threads/threads-profiles
- A profile's posts (reconciling): https://developers.facebook.com/docs/threads/reference/user
  and https://developers.facebook.com/docs/threads/threads-media
- Errors (Graph API error objects): https://developers.facebook.com/docs/graph-api/guides/error-handling
- Engagement: replies and conversations, hiding top-level replies (POST /{reply-id}/manage_reply):
  https://developers.facebook.com/documentation/threads/reference/reply-management and
  https://developers.facebook.com/documentation/threads/reply-management; mentions:
  https://developers.facebook.com/documentation/threads/threads-mentions

Threads fetches media itself from `MediaFile.url`, so nothing is uploaded from here. The access
token travels as the documented `access_token` parameter: in the form body of POSTs, in the query
of GETs and DELETEs.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from functions.publish.adapters.platforms.base import (
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
    VersionedOAuthAdapter,
    error_text,
    is_own,
    iso_time,
    own_reply,
    page_after_time,
    read_if_offered,
    retry_after_seconds,
    send,
    utc,
)
from functions.publish.adapters.platforms.meta import listed_posts
from functions.shared.engagement import Engagement, EngagementAuthor, EngagementKind

PLATFORM = "threads"
GRAPH = "https://graph.threads.net"
# The Authorization Window as the current documentation gives it (threads.com, no longer .net):
# https://developers.facebook.com/documentation/threads/get-started/get-access-tokens-and-permissions
AUTHORIZE_URL = "https://threads.com/oauth/authorize"
DEFAULT_API_VERSION = "v1.0"
DEFAULT_SCOPES = (
    "threads_basic",
    "threads_content_publish",
    "threads_manage_replies",
    "threads_manage_insights",
    "threads_delete",
    "threads_manage_mentions",
)
MAX_CAROUSEL_ITEMS = 20
FIRST_CHECK_SECONDS = 30  # "wait on average 30 seconds before publishing a container"
NEXT_CHECK_SECONDS = 60  # "query a container's status once per minute"
RECENT_POSTS_PAGE = 100  # `limit` on GET /{threads-user-id}/threads: default 25, at most 100
# `since` on that listing must be at or after 1688540400 (2023-07-05, Threads' launch).
EARLIEST_SINCE = 1688540400
ENGAGEMENT_PAGE = 100
ENGAGEMENT_FIELDS = "id,text,timestamp,username,permalink,replied_to,root_post"
CONVERSATION_FIELDS = f"{ENGAGEMENT_FIELDS},is_reply_owned_by_me"
METRICS = ("views", "likes", "replies", "reposts", "quotes", "shares")
# Options passed through to container creation when present.
_PASSTHROUGH = ("reply_control", "topic_tag", "quote_post_id")

# Graph API error codes: https://developers.facebook.com/docs/graph-api/guides/error-handling
_REAUTH_CODES = {102, 190}
_THROTTLE_CODES = {4, 17, 32, 613}
_TRANSIENT_CODES = {1, 2}


def _error_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    error = body.get("error")
    return error if isinstance(error, dict) else body


def describe(response: httpx.Response) -> tuple[str, str | None]:
    """Meta's message (the user-facing one when given) and code from `{"error": {...}}`."""
    error = _error_object(response)
    message = error.get("error_user_msg") or error.get("message") or error.get("error_message")
    code = error.get("code")
    if message:
        return str(message), str(code) if code is not None else None
    return error_text(response), None


def classify(response: httpx.Response, message: str, code: str | None) -> PlatformError:
    """190 (token invalid or expired) -> re-auth; 4/17/32/613 and the 80000 range (rate limits)
    -> retry, after Retry-After if given; transient errors and 5xx -> retry; else permanent."""
    error = _error_object(response)
    raw = error.get("code")
    number = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None
    status = response.status_code
    if number in _REAUTH_CODES or (status == 401 and number is None):
        return ReauthRequired(PLATFORM, message, code=code)
    throttled = number is not None and (number in _THROTTLE_CODES or 80000 <= number < 81000)
    if status == 429 or throttled:
        return Retryable(PLATFORM, message, code=code, retry_after=retry_after_seconds(response))
    if error.get("is_transient") or number in _TRANSIENT_CODES or status >= 500:
        return Retryable(PLATFORM, message, code=code)
    if status == 401:
        return ReauthRequired(PLATFORM, message, code=code)
    return Permanent(PLATFORM, message, code=code)


@dataclass(frozen=True, slots=True)
class PublishingLimit:
    """GET /{threads-user-id}/threads_publishing_limit: use over the last 24 hours."""

    quota_usage: int
    quota_total: int
    quota_duration: int
    reply_quota_usage: int | None = None
    reply_quota_total: int | None = None

    @property
    def remaining(self) -> int:
        return max(0, self.quota_total - self.quota_usage)


class ThreadsAdapter(VersionedOAuthAdapter):
    platform = PLATFORM
    default_api_version = DEFAULT_API_VERSION
    default_scopes = DEFAULT_SCOPES

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def _base(self) -> str:
        return f"{GRAPH}/{self._version}"

    async def _send(self, request: httpx.Request) -> dict[str, Any]:
        response = await send(PLATFORM, self._http, request, describe, classify)
        try:
            body = response.json()
        except ValueError:
            raise Retryable(PLATFORM, "Threads sent an unreadable answer.") from None
        if not isinstance(body, dict):
            raise Retryable(PLATFORM, "Threads sent an unexpected answer.")
        return body

    async def _get(
        self, path: str, tokens: TokenSet, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        query = {**(params or {}), "access_token": tokens.access_token}
        return await self._send(
            self._http.build_request("GET", f"{self._base}/{path}", params=query)
        )

    async def _post(self, path: str, tokens: TokenSet, data: Mapping[str, str]) -> dict[str, Any]:
        form = {**data, "access_token": tokens.access_token}
        return await self._send(self._http.build_request("POST", f"{self._base}/{path}", data=form))

    def _long_lived(self, body: Mapping[str, Any]) -> TokenSet:
        expires_in = body.get("expires_in")
        return TokenSet(
            access_token=str(body["access_token"]),
            expires_at=self._now() + timedelta(seconds=int(expires_in)) if expires_in else None,
            scopes=self._scopes,
        )

    # -- OAuth --------------------------------------------------------------------------------
    # https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions
    # The Threads authorization window takes no PKCE parameters, so `code_challenge` is unused.

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        del code_challenge
        query = urlencode(
            {
                "client_id": self._client_id,
                "redirect_uri": redirect_uri,
                "scope": ",".join(self._scopes),
                "response_type": "code",
                "state": state,
            },
            quote_via=quote,
        )
        return f"{AUTHORIZE_URL}?{query}"

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        """The code for a short-lived token (1 hour), then that for a long-lived one (60 days).

        https://developers.facebook.com/docs/threads/get-started/long-lived-tokens
        """
        del code_verifier
        short = await self._send(
            self._http.build_request(
                "POST",
                f"{GRAPH}/oauth/access_token",
                data={
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                    "grant_type": "authorization_code",
                    "redirect_uri": redirect_uri,
                    "code": code,
                },
            )
        )
        long = await self._send(
            self._http.build_request(
                "GET",
                f"{GRAPH}/access_token",
                params={
                    "grant_type": "th_exchange_token",
                    "client_secret": self._client_secret,
                    "access_token": str(short["access_token"]),
                },
            )
        )
        return self._long_lived(long)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """A long-lived token (at least 24 hours old, not expired) renews itself for 60 days."""
        body = await self._send(
            self._http.build_request(
                "GET",
                f"{GRAPH}/refresh_access_token",
                params={"grant_type": "th_refresh_token", "access_token": tokens.access_token},
            )
        )
        return self._long_lived(body)

    async def revoke(self, tokens: TokenSet) -> bool:
        """The Threads API documents no revocation call for apps: tokens are only obtained,
        exchanged and refreshed
        (https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions,
        https://developers.facebook.com/docs/threads/get-started/long-lived-tokens); the user
        removes the app in the Threads settings, and Meta then calls the app's uninstall
        callback. Herald only deletes the tokens."""
        del tokens
        return False

    async def accounts(self, tokens: TokenSet) -> list[tuple[ConnectedAccount, TokenSet]]:
        # https://developers.facebook.com/docs/threads/threads-profiles
        me = await self._get(
            "me", tokens, {"fields": "id,username,name,threads_profile_picture_url"}
        )
        account = ConnectedAccount(
            platform_account_id=str(me["id"]),
            name=str(me.get("name") or me.get("username") or me["id"]),
            handle=me.get("username"),
            avatar_url=me.get("threads_profile_picture_url"),
            kind="profile",
        )
        return [(account, tokens)]

    async def publishing_limit(
        self, tokens: TokenSet, account: ConnectedAccount
    ) -> PublishingLimit:
        """The profile's API publishing quota (250 posts, 1000 replies per 24 hours).

        https://developers.facebook.com/docs/threads/overview
        """
        body = await self._get(
            f"{account.platform_account_id}/threads_publishing_limit",
            tokens,
            {"fields": "quota_usage,config,reply_quota_usage,reply_config"},
        )
        data = body.get("data") or [{}]
        entry = data[0]
        config = entry.get("config") or {}
        reply_config = entry.get("reply_config") or {}
        reply_usage = entry.get("reply_quota_usage")
        reply_total = reply_config.get("quota_total")
        return PublishingLimit(
            quota_usage=int(entry.get("quota_usage", 0)),
            quota_total=int(config.get("quota_total", 0)),
            quota_duration=int(config.get("quota_duration", 0)),
            reply_quota_usage=int(reply_usage) if reply_usage is not None else None,
            reply_quota_total=int(reply_total) if reply_total is not None else None,
        )

    # -- publishing ---------------------------------------------------------------------------
    # https://developers.facebook.com/docs/threads/posts

    @staticmethod
    def _item(media: MediaFile) -> dict[str, str]:
        if media.kind == "image":
            params = {"media_type": "IMAGE", "image_url": media.url}
        elif media.kind == "video":
            params = {"media_type": "VIDEO", "video_url": media.url}
        else:
            raise Permanent(PLATFORM, "Threads posts take images (JPEG, PNG) and videos only.")
        if media.alt_text:
            params["alt_text"] = media.alt_text
        return params

    async def _container(self, tokens: TokenSet, user: str, params: Mapping[str, str]) -> str:
        body = await self._post(f"{user}/threads", tokens, params)
        return str(body["id"])

    async def _publish(self, tokens: TokenSet, user: str, container: str) -> tuple[str, str | None]:
        body = await self._post(f"{user}/threads_publish", tokens, {"creation_id": container})
        media_id = str(body["id"])
        details = await self._get(media_id, tokens, {"fields": "permalink"})
        return media_id, details.get("permalink")

    async def _container_status(self, tokens: TokenSet, container: str) -> tuple[str, str | None]:
        # https://developers.facebook.com/docs/threads/troubleshooting
        body = await self._get(container, tokens, {"fields": "status,error_message"})
        return str(body.get("status", "")), body.get("error_message")

    async def publish(
        self, tokens: TokenSet, account: ConnectedAccount, request: PublishRequest
    ) -> PublishResult:
        user = account.platform_account_id
        common: dict[str, str] = {}
        if request.reply_to:
            common["reply_to_id"] = request.reply_to
        for name in _PASSTHROUGH:
            if request.options.get(name):
                common[name] = str(request.options[name])
        media = list(request.media)
        if not media:
            params = {"media_type": "TEXT", "text": request.text, **common}
            if request.options.get("link_attachment"):
                params["link_attachment"] = str(request.options["link_attachment"])
            container = await self._container(tokens, user, params)
            media_id, url = await self._publish(tokens, user, container)
            return PublishResult(state="published", platform_post_id=media_id, url=url)
        if len(media) == 1:
            params = {**self._item(media[0]), **common}
            if request.text:
                params["text"] = request.text
            container = await self._container(tokens, user, params)
            return PublishResult(
                state="processing",
                check_after_seconds=FIRST_CHECK_SECONDS,
                progress={"stage": "container", "user": user, "container": container},
            )
        if len(media) > MAX_CAROUSEL_ITEMS:
            raise Permanent(
                PLATFORM, f"A Threads carousel takes at most {MAX_CAROUSEL_ITEMS} items."
            )
        items = [self._item(m) for m in media]
        children = []
        for item in items:
            children.append(
                await self._container(tokens, user, {**item, "is_carousel_item": "true"})
            )
        carousel = {"media_type": "CAROUSEL", **common}
        if request.text:
            carousel["text"] = request.text
        progress = {"stage": "children", "user": user, "children": ",".join(children)}
        progress.update({f"param.{key}": value for key, value in carousel.items()})
        return PublishResult(
            state="processing", check_after_seconds=FIRST_CHECK_SECONDS, progress=progress
        )

    async def _after_container(
        self, tokens: TokenSet, user: str, container: str, state: str, error: str | None
    ) -> PostStatus:
        if state == "FINISHED":
            media_id, url = await self._publish(tokens, user, container)
            return PostStatus(state="published", platform_post_id=media_id, url=url)
        if state == "PUBLISHED":
            # Published by an earlier attempt whose answer was lost; the media id is not on the
            # container, so the caller reconciles it from the profile's posts.
            return PostStatus(state="published")
        if state == "ERROR":
            return PostStatus(state="failed", error=error or "Threads could not process the media.")
        if state == "EXPIRED":
            return PostStatus(state="failed", error="The container expired before publishing.")
        return PostStatus(state="processing", check_after_seconds=NEXT_CHECK_SECONDS)

    async def status(
        self, tokens: TokenSet, account: ConnectedAccount, result: PublishResult
    ) -> PostStatus:
        """One check of the pending containers; publishes once they are FINISHED."""
        progress = result.progress
        stage = progress.get("stage")
        user = progress.get("user", account.platform_account_id)
        if stage == "container":
            state, error = await self._container_status(tokens, progress["container"])
            return await self._after_container(tokens, user, progress["container"], state, error)
        if stage == "children":
            children = progress["children"].split(",")
            for child in children:
                state, error = await self._container_status(tokens, child)
                if state in ("ERROR", "EXPIRED"):
                    return PostStatus(
                        state="failed",
                        error=f"Carousel item {child}: {error or state.lower()}",
                    )
                if state != "FINISHED":
                    return PostStatus(state="processing", check_after_seconds=NEXT_CHECK_SECONDS)
            params = {
                key.removeprefix("param."): value
                for key, value in progress.items()
                if key.startswith("param.")
            }
            params["children"] = ",".join(children)
            # PostStatus carries no progress, so the carousel container is created and checked
            # in this same call; if it is not ready yet the next check makes a fresh one (an
            # unpublished container simply expires after 24 hours).
            carousel = await self._container(tokens, user, params)
            state, error = await self._container_status(tokens, carousel)
            return await self._after_container(tokens, user, carousel, state, error)
        if result.platform_post_id:
            details = await self._get(result.platform_post_id, tokens, {"fields": "id,permalink"})
            return PostStatus(
                state="published",
                platform_post_id=str(details.get("id", result.platform_post_id)),
                url=details.get("permalink"),
            )
        return PostStatus(state="failed", error="Nothing to check: no post id and no container.")

    async def recent_posts(
        self, tokens: TokenSet, account: ConnectedAccount, since: datetime
    ) -> list[RecentPost]:
        """GET /{threads-user-id}/threads?fields=id,text,timestamp,permalink&since=...&limit=100:
        the profile's own posts, newest first (scope threads_basic;
        https://developers.facebook.com/docs/threads/reference/user). Replies are not on this
        listing (they are under /replies), so a reply is not found here."""
        body = await self._get(
            f"{account.platform_account_id}/threads",
            tokens,
            {
                "fields": "id,text,timestamp,permalink",
                "since": str(max(int(utc(since).timestamp()), EARLIEST_SINCE)),
                "limit": str(RECENT_POSTS_PAGE),
            },
        )
        return listed_posts(body, since, text="text", created="timestamp", permalink="permalink")

    async def delete(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> None:
        # https://developers.facebook.com/docs/threads/posts/delete-posts
        request = self._http.build_request(
            "DELETE",
            f"{self._base}/{platform_post_id}",
            params={"access_token": tokens.access_token},
        )
        body = await self._send(request)
        if body.get("success") is False:
            raise Permanent(PLATFORM, "Threads did not delete the post.")

    async def comment(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str, text: str
    ) -> str:
        """A reply: a TEXT container with reply_to_id, then published.

        https://developers.facebook.com/docs/threads/retrieve-and-manage-replies/create-replies
        """
        user = account.platform_account_id
        container = await self._container(
            tokens, user, {"media_type": "TEXT", "text": text, "reply_to_id": platform_post_id}
        )
        body = await self._post(f"{user}/threads_publish", tokens, {"creation_id": container})
        return str(body["id"])

    async def metrics(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> dict[str, int]:
        # https://developers.facebook.com/docs/threads/insights
        body = await self._get(
            f"{platform_post_id}/insights", tokens, {"metric": ",".join(METRICS)}
        )
        counts: dict[str, int] = {}
        for entry in body.get("data", []):
            values = entry.get("values") or []
            if values:
                counts[str(entry["name"])] = int(values[0].get("value", 0))
            elif isinstance(entry.get("total_value"), dict):
                counts[str(entry["name"])] = int(entry["total_value"].get("value", 0))
        return counts

    async def account_metrics(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        """GET /<threads-user-id>/threads_insights?metric=followers_count: the current total, as
        `total_value`; then metric=views, the profile's views per day (`values`, each with its
        `end_time`), of which the latest day is kept: a request of its own, whose failure keeps
        the followers (scope threads_manage_insights;
        https://developers.facebook.com/docs/threads/insights)."""
        body = await self._get(
            f"{account.platform_account_id}/threads_insights",
            tokens,
            {"metric": "followers_count"},
        )
        counts: dict[str, int] = {}
        for entry in body.get("data", []):
            total = entry.get("total_value") if isinstance(entry, dict) else None
            if entry.get("name") == "followers_count" and isinstance(total, dict):
                counts["followers"] = int(total.get("value", 0))
        return counts | await read_if_offered(PLATFORM, self._profile_views(tokens, account))

    async def _profile_views(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        body = await self._get(
            f"{account.platform_account_id}/threads_insights", tokens, {"metric": "views"}
        )
        for entry in body.get("data", []):
            if not isinstance(entry, dict) or entry.get("name") != "views":
                continue
            days = [
                day
                for day in entry.get("values") or []
                if isinstance(day, dict) and isinstance(day.get("value"), int)
            ]
            if days:
                latest = max(days, key=lambda day: str(day.get("end_time") or ""))
                return {"profile_views": int(latest["value"])}
        return {}

    # -- engagement (the inbox) ----------------------------------------------------------------

    async def reply_to_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, text: str
    ) -> Engagement:
        """A published reply with reply_to_id (`comment`); Threads nests replies at any depth."""
        reply_id = await self.comment(tokens, account, engagement.platform_item_id, text)
        return own_reply(account, engagement, reply_id, text, created_at=self._now())

    async def hide_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, *, hidden: bool
    ) -> None:
        """POST /{reply-id}/manage_reply hide=true|false, for top-level replies to the
        account's own posts only: "Replies nested deeper than the top-level reply cannot be
        targeted in isolation" (https://developers.facebook.com/documentation/threads/reply-management)."""
        if engagement.kind != "comment":
            raise NotSupported(
                PLATFORM,
                "Threads hides only top-level replies to the account's own posts (hiding one "
                "hides the replies under it); this is a nested reply or a mention.",
                code="not_supported",
            )
        body = await self._post(
            f"{engagement.platform_item_id}/manage_reply",
            tokens,
            {"hide": "true" if hidden else "false"},
        )
        if body.get("success") is False:
            raise Permanent(PLATFORM, "Threads did not change whether the reply is hidden.")

    async def delete_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement
    ) -> None:
        """Threads deletes only the profile's own posts and replies
        (https://developers.facebook.com/docs/threads/posts/delete-posts); others' are hidden."""
        if not is_own(account, engagement):
            raise NotSupported(
                PLATFORM,
                "Threads lets a profile delete only its own posts and replies; hide the reply "
                "instead.",
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
        """GET /{media-id}/conversation: every reply at every depth, flat, newest first
        (reverse=true), one page kept when newer than the time cursor
        (https://developers.facebook.com/documentation/threads/reference/reply-management)."""
        body = await self._get(
            f"{platform_post_id}/conversation",
            tokens,
            {"fields": CONVERSATION_FIELDS, "reverse": "true", "limit": str(ENGAGEMENT_PAGE)},
        )
        nodes = [n for n in body.get("data") or [] if isinstance(n, dict) and n.get("id")]
        parents = {str(node["id"]): _replied_to(node) for node in nodes}
        items = [_engagement(account, node, "comment", platform_post_id, parents) for node in nodes]
        return page_after_time(items, cursor)

    async def list_mentions(
        self, tokens: TokenSet, account: ConnectedAccount, cursor: str | None
    ) -> EngagementPage:
        """GET /{threads-user-id}/mentions since the newest time seen (scope
        threads_manage_mentions; `since` no earlier than 1688540400,
        https://developers.facebook.com/documentation/threads/threads-mentions)."""
        params = {"fields": ENGAGEMENT_FIELDS, "limit": str(ENGAGEMENT_PAGE)}
        since = iso_time(cursor.partition(" ")[0]) if cursor else None
        if since is not None:
            params["since"] = str(max(int(since.timestamp()), EARLIEST_SINCE))
        body = await self._get(f"{account.platform_account_id}/mentions", tokens, params)
        items = [
            _engagement(account, node, "mention", None, {})
            for node in body.get("data") or []
            if isinstance(node, dict) and node.get("id")
        ]
        return page_after_time(items, cursor)


def _replied_to(node: Mapping[str, Any]) -> str | None:
    replied = node.get("replied_to")
    return str(replied["id"]) if isinstance(replied, dict) and replied.get("id") else None


def _engagement(
    account: ConnectedAccount,
    node: Mapping[str, Any],
    listed_as: EngagementKind,
    post_id: str | None,
    parents: Mapping[str, str | None],
) -> Engagement:
    """A reply of a conversation listing, or a mention. A reply to the post itself is a
    comment and its own thread; a deeper reply belongs to the thread of the top-level reply it
    descends from (followed through the replies of the same page, else its parent)."""
    item_id = str(node["id"])
    parent = _replied_to(node)
    root = node.get("root_post")
    root_id = str(root["id"]) if isinstance(root, dict) and root.get("id") else None
    kind: EngagementKind = listed_as
    thread = item_id
    if listed_as == "comment" and parent is not None and parent != post_id:
        kind = "reply"
        thread = parent
        seen = {item_id}
        while parents.get(thread) not in (None, post_id) and thread not in seen:
            seen.add(thread)
            thread = str(parents[thread])
    username = str(node["username"]) if node.get("username") else None
    return Engagement(
        platform=PLATFORM,
        platform_account_id=account.platform_account_id,
        platform_item_id=item_id,
        kind=kind,
        text=str(node.get("text") or ""),
        # Threads names the author of a reply by username only, without a user id, but tells
        # which replies are the profile's own (so that those can be deleted).
        author=EngagementAuthor(
            platform_user_id=(
                account.platform_account_id if node.get("is_reply_owned_by_me") is True else None
            ),
            name=username,
            handle=username,
        ),
        created_at=iso_time(node.get("timestamp")),
        platform_post_id=post_id if listed_as == "comment" else item_id,
        parent_id=parent if kind == "reply" or listed_as == "mention" else None,
        thread_id=thread if listed_as == "comment" else (root_id or item_id),
        permalink=str(node["permalink"]) if node.get("permalink") else None,
    )
