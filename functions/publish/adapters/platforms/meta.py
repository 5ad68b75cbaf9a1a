"""Shared Meta Graph API plumbing for the Instagram and Facebook Pages adapters; Threads, a Graph
API too, shares the reading of post listings.

- Versioned base URL: https://graph.facebook.com/<version> (the version is pinned by the caller).
- Error classification from the Graph API `error` object
  (https://developers.facebook.com/docs/graph-api/guides/error-handling): code 190 (and 102,
  the API session code) means the token is invalid, expired or revoked -> ReauthRequired;
  throttling codes 4, 17, 32, 613, the 80001-80009 business-use-case rate limits, the
  "temporary issue" codes 1, 2 and 341, and any error flagged `is_transient` -> Retryable;
  anything else -> Permanent carrying Meta's own message (`error_user_msg` when Meta wrote one
  for the user, else `message`).
- Facebook Login (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow):
  the login dialog https://www.facebook.com/<version>/dialog/oauth, the code exchange
  GET /oauth/access_token, and the long-lived token exchange (grant_type=fb_exchange_token,
  https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).

- Batch requests (https://developers.facebook.com/docs/graph-api/batch-requests): up to 50 GETs in
  one POST /<version> whose form body carries `batch` (a JSON array of {method, relative_url}),
  `include_headers=false` and the token; the answer is one {code, body} per request, in order,
  `body` a JSON string, null for a request Meta did not complete.

Every Graph call carries the token in an `Authorization: Bearer` header rather than the
`access_token` query parameter, so tokens never appear in URLs (and so never in access logs); a
batch request carries it as the documented `access_token` field of its form body.
"""

import json
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    NotSupported,
    Permanent,
    PlatformError,
    ReauthRequired,
    RecentPost,
    Retryable,
    TokenSet,
    classify_response,
    iso_time,
    own_reply,
    posts_since,
    retry_after_seconds,
    send,
)
from functions.shared.engagement import Engagement, EngagementAuthor

DEFAULT_GRAPH_VERSION = "v25.0"
GRAPH_HOST = "https://graph.facebook.com"
GRAPH_VIDEO_HOST = "https://graph-video.facebook.com"
FACEBOOK_WEB = "https://www.facebook.com"

REAUTH_CODES = frozenset({102, 190})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80010)})
TEMPORARY_CODES = frozenset({1, 2, 341})
# "Batch requests are limited to 50 requests per batch."
BATCH_LIMIT = 50

Json = dict[str, Any]


def error_object(response: httpx.Response) -> Mapping[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error
        debug = body.get("debug_info")  # rupload.facebook.com answers with debug_info
        if isinstance(debug, dict):
            return debug
    return None


def describe(response: httpx.Response) -> tuple[str, str | None]:
    """Meta's own message and error code from an error answer."""
    error = error_object(response)
    if error is None:
        text = response.text.strip()
        return (text[:500] or f"HTTP {response.status_code}", None)
    message = str(error.get("error_user_msg") or error.get("message") or "").strip()
    if not message:
        message = f"HTTP {response.status_code}"
    code = error.get("code")
    return message, (str(code) if code is not None else None)


def classify(platform: str) -> Callable[[httpx.Response, str, str | None], PlatformError]:
    def _classify(response: httpx.Response, message: str, code: str | None) -> PlatformError:
        error = error_object(response) or {}
        number: int | None
        try:
            number = int(code) if code is not None else None
        except ValueError:
            number = None
        if number in REAUTH_CODES:
            return ReauthRequired(platform, message, code=code)
        if (
            number in RATE_LIMIT_CODES
            or number in TEMPORARY_CODES
            or error.get("is_transient") is True
        ):
            return Retryable(
                platform, message, code=code, retry_after=retry_after_seconds(response)
            )
        if response.status_code >= 500 or response.status_code == 429:
            return classify_response(platform, response, message, code=code)
        if error:
            return Permanent(platform, message, code=code)
        return classify_response(platform, response, message, code=code)

    return _classify


class Graph:
    """A thin Graph API client: builds versioned requests and classifies every failure."""

    def __init__(
        self,
        platform: str,
        http: httpx.AsyncClient,
        version: str = DEFAULT_GRAPH_VERSION,
        *,
        host: str = GRAPH_HOST,
    ) -> None:
        self.platform = platform
        self.http = http
        self.version = version
        self.host = host.rstrip("/")

    @property
    def base_url(self) -> str:
        return f"{self.host}/{self.version}"

    def url(self, path: str, *, host: str | None = None) -> str:
        return f"{(host or self.host).rstrip('/')}/{self.version}/{path.lstrip('/')}"

    async def call(
        self,
        method: str,
        path_or_url: str,
        *,
        token: str | None = None,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        content: bytes | AsyncIterable[bytes] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        host: str | None = None,
    ) -> Json:
        """One Graph API call. `data` with `files` is sent as multipart/form-data; a `content`
        stream needs its Content-Length among `headers`."""
        url = path_or_url if "://" in path_or_url else self.url(path_or_url, host=host)
        all_headers: dict[str, str] = {}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        request = self.http.build_request(
            method,
            url,
            params=dict(params) if params else None,
            data=dict(data) if data is not None else None,
            json=dict(json) if json is not None else None,
            content=content,
            files=dict(files) if files is not None else None,
            headers=all_headers,
        )
        response = await send(self.platform, self.http, request, describe, classify(self.platform))
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {"data": body}

    async def batch_get(
        self, token: str, reads: Sequence[tuple[str, Mapping[str, str]]]
    ) -> list[Json | None]:
        """Up to `BATCH_LIMIT` GETs (a path and its query each) in one batch request: each read's
        body, in order, or None where Meta refused that read for good (`Permanent`: a deleted
        post answers code 100, subcode 33), as a single call refused so would be skipped.

        Each read's error is classified as a single call's would be (`classify`). The batch's
        own failure, a read refused for the account (a refused token, a rate limit: every read
        of the batch shares them) and a read Meta did not complete (null: the batch ran out of
        time) raise for the whole batch, so that no post is taken for gone when it is not."""
        if len(reads) > BATCH_LIMIT:
            raise ValueError(f"a Graph API batch holds at most {BATCH_LIMIT} requests")
        batch = [
            {"method": "GET", "relative_url": f"{path}?{urlencode(query, safe=',()')}"}
            for path, query in reads
        ]
        form = {
            "access_token": token,
            "include_headers": "false",
            "batch": json.dumps(batch, separators=(",", ":")),
        }
        answers = (await self.call("POST", self.base_url, data=form)).get("data")
        if not isinstance(answers, list) or len(answers) != len(reads):
            raise Retryable(self.platform, "Meta did not answer every request of the batch.")
        return [self._batch_answer(answer) for answer in answers]

    def _batch_answer(self, answer: Any) -> Json | None:
        if not isinstance(answer, dict) or not isinstance(answer.get("code"), int):
            raise Retryable(self.platform, "Meta did not complete every request of the batch.")
        response = httpx.Response(answer["code"], content=str(answer.get("body") or "").encode())
        if response.is_success:
            try:
                body = response.json()
            except ValueError:
                return {}
            return body if isinstance(body, dict) else {"data": body}
        error = classify(self.platform)(response, *describe(response))
        if isinstance(error, Permanent):
            return None
        raise error


def _expiry(body: Mapping[str, Any], now: datetime) -> datetime | None:
    expires_in = body.get("expires_in")
    if isinstance(expires_in, int | float) and expires_in > 0:
        return now + timedelta(seconds=int(expires_in))
    return None


class MetaLogin:
    """What the Instagram (with Facebook Login) and Facebook Pages adapters share: Facebook
    Login, the Pages the user manages, and comments."""

    platform: str
    scopes: tuple[str, ...]

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient,
        api_version: str = DEFAULT_GRAPH_VERSION,
        scopes: Sequence[str] | None = None,
        use_pkce: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = http
        self.api_version = api_version
        if scopes is not None:
            self.scopes = tuple(scopes)
        # Facebook Login's PKCE support is documented as part of the OIDC code flow, which Meta
        # still marks as "in testing"
        # (https://developers.facebook.com/docs/facebook-login/guides/advanced/oidc-token);
        # the confidential-client code flow with the app secret is the default here.
        self.use_pkce = use_pkce
        self.clock = clock
        self.graph = Graph(self.platform, http, api_version)

    # https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
            "scope": ",".join(self.scopes),
        }
        if self.use_pkce:
            query["code_challenge"] = code_challenge
            query["code_challenge_method"] = "S256"
        return f"{FACEBOOK_WEB}/{self.api_version}/dialog/oauth?{urlencode(query)}"

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        """Code -> short-lived user token -> long-lived user token (about 60 days)."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "client_secret": self.client_secret,
            "code": code,
        }
        if self.use_pkce:
            params["code_verifier"] = code_verifier
        short = await self.graph.call("GET", "oauth/access_token", params=params)
        return await self._long_lived(str(short["access_token"]))

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """Meta has no refresh tokens: a still-valid token is re-exchanged for a long-lived one."""
        return await self._long_lived(tokens.access_token)

    # https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
    async def _long_lived(self, access_token: str) -> TokenSet:
        body = await self.graph.call(
            "GET",
            "oauth/access_token",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "fb_exchange_token": access_token,
            },
        )
        return TokenSet(
            access_token=str(body["access_token"]),
            expires_at=_expiry(body, self.clock()),
            scopes=self.scopes,
        )

    async def revoke(self, tokens: TokenSet) -> bool:
        """Removes the app's whole login grant: DELETE /{user-id}/permissions ("Revoking
        Permissions", https://developers.facebook.com/docs/graph-api/reference/user/permissions/
        and https://developers.facebook.com/docs/facebook-login/guides/permissions/request-revoke),
        which accepts "a user access token or an app access token for the current app".

        Herald stores Page tokens for Pages and Instagram accounts (see `accounts`), on which
        `/me` is the Page, not the person, so the person is found first with GET /debug_token
        (https://developers.facebook.com/docs/graph-api/reference/debug_token: "the user for
        which the token was issued"), and both calls use the app access token
        `{app-id}|{app-secret}`
        (https://developers.facebook.com/docs/facebook-login/guides/access-tokens#apptokens),
        which also works once the user's token has expired. Every Page and Instagram account
        the same person connected through this app loses access with it.
        """
        app_token = f"{self.client_id}|{self.client_secret}"
        debug = await self.graph.call(
            "GET", "debug_token", token=app_token, params={"input_token": tokens.access_token}
        )
        data = debug.get("data")
        user_id = data.get("user_id") if isinstance(data, dict) else None
        if not user_id:
            raise ReauthRequired(
                self.platform,
                "Meta no longer knows this token, so there is no grant left to revoke with it.",
                code="token_unknown",
            )
        body = await self.graph.call("DELETE", f"{user_id}/permissions", token=app_token)
        if body.get("success") is False:
            raise Permanent(self.platform, "Meta did not revoke the app's permissions.")
        return True

    async def person_id(self, tokens: TokenSet) -> str | None:
        """The app-scoped id of the person who logged in (GET /me with the user token,
        https://developers.facebook.com/docs/graph-api/reference/user: `id`, "the app user's
        App-Scoped User ID"), the id Meta's deauthorize and data deletion callbacks name
        (https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback)."""
        body = await self.graph.call(
            "GET", "me", token=tokens.access_token, params={"fields": "id"}
        )
        return str(body["id"]) if body.get("id") else None

    # https://developers.facebook.com/docs/pages-api/overview (GET /me/accounts: the Pages the
    # user can act on, each with its Page access token)
    async def managed_pages(self, tokens: TokenSet, fields: str) -> list[Json]:
        pages: list[Json] = []
        params = {"fields": fields, "limit": "100"}
        while True:
            body = await self.graph.call(
                "GET", "me/accounts", token=tokens.access_token, params=params
            )
            pages.extend(page for page in body.get("data", []) if isinstance(page, dict))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return pages
            params = {**params, "after": str(after)}

    async def comment(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str, text: str
    ) -> str:
        """POST /<object-id>/comments with message, on a Page post
        (https://developers.facebook.com/docs/graph-api/reference/object/comments) as on an
        Instagram media
        (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments)."""
        body = await self.graph.call(
            "POST",
            f"{platform_post_id}/comments",
            token=tokens.access_token,
            data={"message": text},
        )
        return str(body["id"])

    # -- engagement (the inbox): what Facebook Page and Instagram comments share -------------
    # Each platform names its reply edge (`reply_edge`) and its hiding field (`hide_field`).

    reply_edge: str
    hide_field: str

    async def reply_to_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, text: str
    ) -> Engagement:
        """POST /<comment-id>/<reply edge> with message. Both platforms nest one level: a reply
        to a reply goes to its top-level comment (its parent)."""
        target = reply_target(engagement)
        body = await self.graph.call(
            "POST", f"{target}/{self.reply_edge}", token=tokens.access_token, data={"message": text}
        )
        return own_reply(account, engagement, str(body["id"]), text, created_at=self.clock())

    async def hide_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, *, hidden: bool
    ) -> None:
        """POST /<comment-id> with the platform's hiding field, on the account's own media."""
        self._refuse_mention(engagement, "hide")
        body = await self.graph.call(
            "POST",
            engagement.platform_item_id,
            token=tokens.access_token,
            data={self.hide_field: "true" if hidden else "false"},
        )
        if body.get("success") is False:
            raise Permanent(self.platform, "Meta did not change whether the comment is hidden.")

    async def delete_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement
    ) -> None:
        """DELETE /<comment-id>, on the account's own media or Page posts."""
        self._refuse_mention(engagement, "delete")
        body = await self.graph.call(
            "DELETE", engagement.platform_item_id, token=tokens.access_token
        )
        if body.get("success") is False:
            raise Permanent(self.platform, "Meta did not delete the comment.")

    def _refuse_mention(self, engagement: Engagement, action: str) -> None:
        """A mention lives on someone else's post or media, which the account cannot
        moderate through the Graph API."""
        if engagement.kind == "mention":
            raise NotSupported(
                self.platform,
                f"A mention is on someone else's post; Meta lets the account {action} only "
                "comments on its own posts.",
                code="not_supported",
            )


def reply_target(engagement: Engagement) -> str:
    """The comment a reply is posted under: Facebook and Instagram comments nest one level, so
    a reply to a reply answers its top-level comment."""
    if engagement.kind == "reply" and engagement.parent_id:
        return engagement.parent_id
    return engagement.platform_item_id


def comment_engagement(
    platform: str,
    account: ConnectedAccount,
    post_id: str,
    node: Mapping[str, Any],
    *,
    text: str,
    created: str,
    author: EngagementAuthor,
    parent_id: str | None,
    permalink: str | None = None,
) -> Engagement:
    """A comment node of a Graph API listing: a top-level comment is its own thread; a reply
    belongs to the thread of its top-level parent (one level of nesting)."""
    item_id = str(node["id"])
    return Engagement(
        platform=platform,
        platform_account_id=account.platform_account_id,
        platform_item_id=item_id,
        kind="reply" if parent_id else "comment",
        text=str(node.get(text) or ""),
        author=author,
        created_at=iso_time(node.get(created)),
        platform_post_id=post_id,
        parent_id=parent_id,
        thread_id=parent_id or item_id,
        permalink=permalink,
    )


def page_token(page: Mapping[str, Any], user: TokenSet) -> TokenSet:
    """A Page token obtained with a long-lived user token has no expiry."""
    return TokenSet(access_token=str(page["access_token"]), scopes=user.scopes)


def picture_url(node: Mapping[str, Any]) -> str | None:
    picture = node.get("picture")
    if isinstance(picture, dict):
        data = picture.get("data")
        if isinstance(data, dict) and data.get("url"):
            return str(data["url"])
    return None


def listed_posts(
    listing: Mapping[str, Any], since: datetime, *, text: str, created: str, permalink: str
) -> list[RecentPost]:
    """The posts of a Graph API listing (its `data` nodes) made at or after `since`; each edge
    names its text, creation time (ISO 8601) and permalink fields in its own way."""
    posts = [
        RecentPost(
            platform_post_id=str(node["id"]),
            text=str(node.get(text) or ""),
            created_at=iso_time(node.get(created)),
            url=str(node[permalink]) if node.get(permalink) else None,
        )
        for node in listing.get("data") or []
        if isinstance(node, dict) and node.get("id")
    ]
    return posts_since(posts, since)


__all__ = [
    "BATCH_LIMIT",
    "DEFAULT_GRAPH_VERSION",
    "FACEBOOK_WEB",
    "GRAPH_HOST",
    "GRAPH_VIDEO_HOST",
    "Graph",
    "MetaLogin",
    "classify",
    "comment_engagement",
    "describe",
    "listed_posts",
    "page_token",
    "picture_url",
    "reply_target",
]
