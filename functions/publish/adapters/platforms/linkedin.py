"""LinkedIn: the Posts API with Images, Videos and Documents uploads, for members and organizations.

Every versioned call carries `LinkedIn-Version: YYYYMM` (pinned by the constructor) and
`X-Restli-Protocol-Version: 2.0.0`:
https://learn.microsoft.com/en-us/linkedin/marketing/versioning
Errors: https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
Engagement: the Comments API (create, nested comments, get comments on shares, delete)
https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api
"""

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
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
    VersionedOAuthAdapter,
    epoch_time,
    error_text,
    oauth_token_set,
    own_reply,
    page_after_time,
    posts_since,
    retry_after_seconds,
    send,
)
from functions.shared.engagement import Engagement, EngagementAuthor

PLATFORM = "linkedin"
API = "https://api.linkedin.com"
AUTHORIZE_URL = "https://www.linkedin.com/oauth/v2/authorization"
TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"  # noqa: S105 (an endpoint)
# The newest version in LinkedIn's changelog
# (https://learn.microsoft.com/en-us/linkedin/marketing/integrations/recent-changes); a version
# LinkedIn has not published fails every /rest call. tests/data/linkedin/versions.txt lists them.
DEFAULT_API_VERSION = "202608"
# Listing the organizations a member administers (organizationAcls) takes an organization admin
# permission: r_organization_admin, read-only, is enough.
ORGANIZATION_ADMIN_SCOPES = ("r_organization_admin", "rw_organization_admin")
DEFAULT_SCOPES = (
    "openid",
    "profile",
    "w_member_social",
    "w_organization_social",
    "r_organization_social",
    "r_organization_admin",
)
MAX_IMAGES = 20  # MultiImage posts take 2 to 20 images
VIDEO_CHECK_SECONDS = 30
RECENT_POSTS_PAGE = 50  # `count` of the Posts API author finder (at most 100)
COMMENTS_PAGE = 100  # `count` of "Get Comments on Shares"
# urn:li:comment:(urn:li:activity:{post activity id},{comment id})
_COMMENT_ID = re.compile(r",(\d+)\)$")
# Reading an author's posts needs r_member_social for a member (a restricted permission LinkedIn
# grants on request) and r_organization_social for an organization page.
READ_SCOPE = {"profile": "r_member_social", "organization": "r_organization_social"}

# Little Text Format reserved characters, escaped with a backslash in `commentary`:
# https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
_HASHTAG = re.compile(r"#(\w+)")
_HASHTAG_TEMPLATE = re.compile(r"\{hashtag\|\\#\|((?:\\.|[^\\}])*)\}")
_ESCAPED = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")


def little_text(text: str) -> str:
    """Plain text as Little Text Format: reserved characters escaped, #words kept as hashtags."""
    parts: list[str] = []
    position = 0
    for match in _HASHTAG.finditer(text):
        parts.append(_RESERVED.sub(r"\\\1", text[position : match.start()]))
        parts.append("{hashtag|\\#|" + _RESERVED.sub(r"\\\1", match.group(1)) + "}")
        position = match.end()
    parts.append(_RESERVED.sub(r"\\\1", text[position:]))
    return "".join(parts)


def plain_text(commentary: str) -> str:
    """Little Text Format back to plain text: hashtag templates become #words and escaped
    characters lose their backslash (the inverse of `little_text`)."""
    with_tags = _HASHTAG_TEMPLATE.sub(lambda match: "\\#" + match.group(1), commentary)
    return _ESCAPED.sub(r"\1", with_tags)


def encode_urn(urn: str) -> str:
    """A URN as one path segment (`urn:li:share:1` -> `urn%3Ali%3Ashare%3A1`)."""
    return quote(urn, safe="")


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


def describe(response: httpx.Response) -> tuple[str, str | None]:
    """LinkedIn's own message and code: `{"message", "code" | "serviceErrorCode", "status"}`,
    or the OAuth endpoints' `{"error", "error_description"}`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = body.get("message") or body.get("error_description") or body.get("error")
        code = body.get("code") or body.get("serviceErrorCode") or body.get("error")
        if message:
            return str(message), str(code) if code is not None else None
    return error_text(response), None


def classify(response: httpx.Response, message: str, code: str | None) -> PlatformError:
    """401: token expired or revoked; 429: throttled (Retry-After when given); 5xx: LinkedIn's
    trouble; anything else (400/403/404/422...): LinkedIn refused the request itself."""
    status = response.status_code
    if status == 401:
        return ReauthRequired(PLATFORM, message, code=code)
    if status == 429:
        return Retryable(PLATFORM, message, code=code, retry_after=retry_after_seconds(response))
    if status >= 500:
        return Retryable(PLATFORM, message, code=code)
    return Permanent(PLATFORM, message, code=code)


def _classify_refresh(response: httpx.Response, message: str, code: str | None) -> PlatformError:
    """A refused refresh token (400 invalid_grant, 401) means the member must sign in again."""
    if response.status_code in (400, 401):
        return ReauthRequired(PLATFORM, message, code=code)
    return classify(response, message, code)


def author_urn(account: ConnectedAccount) -> str:
    """The author: `urn:li:person:{id}` for a member, `urn:li:organization:{id}` for a page."""
    account_id = account.platform_account_id
    if account_id.startswith("urn:li:"):
        return account_id
    kind = "organization" if account.kind == "organization" else "person"
    return f"urn:li:{kind}:{account_id}"


class LinkedInAdapter(VersionedOAuthAdapter):
    platform = PLATFORM
    default_api_version = DEFAULT_API_VERSION
    default_scopes = DEFAULT_SCOPES

    # -- plumbing ---------------------------------------------------------------------------

    def _headers(self, tokens: TokenSet) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {tokens.access_token}",
            "LinkedIn-Version": self._version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    async def _send(
        self,
        request: httpx.Request,
        classifier: Callable[[httpx.Response, str, str | None], PlatformError] = classify,
    ) -> httpx.Response:
        return await send(PLATFORM, self._http, request, describe, classifier)

    async def _call(
        self,
        method: str,
        path: str,
        tokens: TokenSet,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        request = self._http.build_request(
            method,
            f"{API}{path}",
            params=params,
            json=json,
            headers={**self._headers(tokens), **(headers or {})},
        )
        return await self._send(request)

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise Retryable(PLATFORM, "LinkedIn sent an unreadable answer.") from None
        if not isinstance(body, dict):
            raise Retryable(PLATFORM, "LinkedIn sent an unexpected answer.")
        return body

    def _token_set(self, body: Mapping[str, Any], previous: TokenSet | None = None) -> TokenSet:
        return oauth_token_set(body, now=self._now(), previous=previous)

    # -- OAuth 2.0 (3-legged authorization code flow) ---------------------------------------
    # https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
    # PKCE is offered only to approved native clients, so `code_challenge` is not sent.

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        del code_challenge
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": " ".join(self._scopes),
            },
            quote_via=quote,
        )
        return f"{AUTHORIZE_URL}?{query}"

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        del code_verifier
        request = self._http.build_request(
            "POST",
            TOKEN_URL,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
        )
        return self._token_set(self._json(await self._send(request)))

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        # https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens
        if not tokens.refresh_token:
            raise ReauthRequired(PLATFORM, "LinkedIn granted no refresh token; sign in again.")
        request = self._http.build_request(
            "POST",
            TOKEN_URL,
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
        )
        response = await self._send(request, _classify_refresh)
        return self._token_set(self._json(response), tokens)

    async def revoke(self, tokens: TokenSet) -> bool:
        """LinkedIn documents no token revocation endpoint for third-party apps on Microsoft
        Learn (only token introspection,
        https://learn.microsoft.com/en-us/linkedin/shared/authentication/token-introspection);
        its guidance on logout is to destroy the access and refresh tokens
        (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/best-practices/application-development).
        The member removes the app under LinkedIn's "Permitted services" settings."""
        del tokens
        return False

    async def accounts(self, tokens: TokenSet) -> list[tuple[ConnectedAccount, TokenSet]]:
        """The member (OpenID userinfo) and the organizations they administer (organizationAcls,
        which needs r_organization_admin or rw_organization_admin: a token known to have neither
        lists the member alone instead of being refused).

        https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
        https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
        https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api
        """
        request = self._http.build_request(
            "GET",
            f"{API}/v2/userinfo",
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
        me = self._json(await self._send(request))
        member = ConnectedAccount(
            platform_account_id=f"urn:li:person:{me['sub']}",
            name=str(me.get("name") or me["sub"]),
            avatar_url=me.get("picture"),
            kind="profile",
        )
        found: list[tuple[ConnectedAccount, TokenSet]] = [(member, tokens)]
        if tokens.scopes and not set(ORGANIZATION_ADMIN_SCOPES) & set(tokens.scopes):
            return found
        acls = self._json(
            await self._call(
                "GET",
                "/rest/organizationAcls",
                tokens,
                params={
                    "q": "roleAssignee",
                    "role": "ADMINISTRATOR",
                    "state": "APPROVED",
                    "count": "100",
                },
            )
        )
        seen: set[str] = set()
        for element in acls.get("elements", []):
            urn = str(element.get("organization") or element.get("organizationTarget") or "")
            if not urn.startswith("urn:li:organization:") or urn in seen:
                continue
            seen.add(urn)
            organization_id = urn.rsplit(":", 1)[1]
            organization = self._json(
                await self._call("GET", f"/rest/organizations/{organization_id}", tokens)
            )
            found.append(
                (
                    ConnectedAccount(
                        platform_account_id=urn,
                        name=str(organization.get("localizedName") or urn),
                        handle=organization.get("vanityName"),
                        kind="organization",
                    ),
                    tokens,
                )
            )
        return found

    # -- uploads ------------------------------------------------------------------------------

    async def _upload_single(
        self, tokens: TokenSet, owner: str, media: MediaFile, resource: str, key: str
    ) -> str:
        """Images and Documents: initializeUpload, then PUT the whole file to `uploadUrl`,
        streamed from storage (a document may be up to 100 MB).

        https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api
        https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/documents-api
        """
        init = self._json(
            await self._call(
                "POST",
                f"/rest/{resource}",
                tokens,
                params={"action": "initializeUpload"},
                json={"initializeUploadRequest": {"owner": owner}},
            )
        )
        value = init["value"]
        request = self._http.build_request(
            "PUT",
            str(value["uploadUrl"]),
            content=media.stream(),
            headers={
                "Authorization": f"Bearer {tokens.access_token}",
                "Content-Type": "application/octet-stream",
                "Content-Length": str(media.size),
            },
        )
        await self._send(request)
        return str(value[key])

    async def _upload_video(self, tokens: TokenSet, owner: str, media: MediaFile) -> str:
        """Videos: initializeUpload with fileSizeBytes; PUT each byte range LinkedIn assigns to its
        own uploadUrl, keeping the ETag of each answer in order; finalizeUpload with them. Each
        part (about 4 MB) is read from storage just before its PUT.

        https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api
        """
        init = self._json(
            await self._call(
                "POST",
                "/rest/videos",
                tokens,
                params={"action": "initializeUpload"},
                json={
                    "initializeUploadRequest": {
                        "owner": owner,
                        "fileSizeBytes": media.size,
                        "uploadCaptions": False,
                        "uploadThumbnail": False,
                    }
                },
            )
        )
        value = init["value"]
        video = str(value["video"])
        etags: list[str] = []
        for instruction in value["uploadInstructions"]:
            first, last = int(instruction["firstByte"]), int(instruction["lastByte"])
            request = self._http.build_request(
                "PUT",
                str(instruction["uploadUrl"]),
                content=await media.read_range(first, last + 1),
                headers={"Content-Type": "application/octet-stream"},
            )
            response = await self._send(request)
            etag = response.headers.get("etag")
            if not etag:
                raise Retryable(PLATFORM, "LinkedIn accepted a video part without an ETag.")
            etags.append(etag)
        await self._call(
            "POST",
            "/rest/videos",
            tokens,
            params={"action": "finalizeUpload"},
            json={
                "finalizeUploadRequest": {
                    "video": video,
                    "uploadToken": str(value.get("uploadToken") or ""),
                    "uploadedPartIds": etags,
                }
            },
        )
        return video

    # -- publishing ---------------------------------------------------------------------------
    # https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api

    async def _create_post(
        self,
        tokens: TokenSet,
        *,
        author: str,
        commentary: str,
        visibility: str,
        content: Mapping[str, Any] | None,
    ) -> PublishResult:
        body: dict[str, Any] = {
            "author": author,
            "commentary": commentary,
            "visibility": visibility,
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if content is not None:
            body["content"] = content
        response = await self._call("POST", "/rest/posts", tokens, json=body)
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise Retryable(PLATFORM, "LinkedIn created the post but did not return its id.")
        return PublishResult(state="published", platform_post_id=urn, url=post_url(urn))

    async def publish(
        self, tokens: TokenSet, account: ConnectedAccount, request: PublishRequest
    ) -> PublishResult:
        author = author_urn(account)
        options = request.options
        commentary = request.text if options.get("little_text") else little_text(request.text)
        visibility = str(options.get("visibility", "PUBLIC"))
        media = list(request.media)
        kinds = {m.kind for m in media}
        content: dict[str, Any] | None = None
        if not media:
            pass
        elif kinds <= {"image", "gif"}:
            if len(media) > MAX_IMAGES:
                raise Permanent(PLATFORM, f"A LinkedIn post takes at most {MAX_IMAGES} images.")
            images = []
            for item in media:
                urn = await self._upload_single(tokens, author, item, "images", "image")
                images.append({"id": urn, "altText": item.alt_text or ""})
            if len(images) == 1:
                content = {"media": images[0]}
            else:
                content = {"multiImage": {"images": images}}
        elif kinds == {"video"} and len(media) == 1:
            video = await self._upload_video(tokens, author, media[0])
            # The post is created once LinkedIn has processed the video (status() polls it).
            return PublishResult(
                state="processing",
                check_after_seconds=VIDEO_CHECK_SECONDS,
                progress={
                    "stage": "video",
                    "video": video,
                    "author": author,
                    "commentary": commentary,
                    "visibility": visibility,
                    "title": str(options.get("title") or media[0].filename),
                },
            )
        elif kinds == {"document"} and len(media) == 1:
            urn = await self._upload_single(tokens, author, media[0], "documents", "document")
            content = {
                "media": {"title": str(options.get("title") or media[0].filename), "id": urn}
            }
        else:
            raise Permanent(
                PLATFORM, "A LinkedIn post takes images, or one video, or one document."
            )
        return await self._create_post(
            tokens, author=author, commentary=commentary, visibility=visibility, content=content
        )

    async def status(
        self, tokens: TokenSet, account: ConnectedAccount, result: PublishResult
    ) -> PostStatus:
        """One check: a pending video (GET /rest/videos/{urn}), else the post itself."""
        progress = result.progress
        if progress.get("stage") == "video":
            video = progress["video"]
            body = self._json(await self._call("GET", f"/rest/videos/{encode_urn(video)}", tokens))
            state = str(body.get("status", ""))
            if state == "AVAILABLE":
                created = await self._create_post(
                    tokens,
                    author=progress["author"],
                    commentary=progress["commentary"],
                    visibility=progress["visibility"],
                    content={"media": {"title": progress["title"], "id": video}},
                )
                return PostStatus(
                    state="published", platform_post_id=created.platform_post_id, url=created.url
                )
            if state == "PROCESSING_FAILED":
                reason = body.get("processingFailureReason") or "LinkedIn could not process it."
                return PostStatus(state="failed", error=f"Video processing failed: {reason}")
            return PostStatus(state="processing", check_after_seconds=VIDEO_CHECK_SECONDS)
        if not result.platform_post_id:
            return PostStatus(state="failed", error="Nothing to check: no post id and no video.")
        urn = result.platform_post_id
        body = self._json(await self._call("GET", f"/rest/posts/{encode_urn(urn)}", tokens))
        if body.get("lifecycleState") == "PUBLISHED":
            return PostStatus(state="published", platform_post_id=urn, url=post_url(urn))
        return PostStatus(
            state="processing", platform_post_id=urn, check_after_seconds=VIDEO_CHECK_SECONDS
        )

    async def recent_posts(
        self, tokens: TokenSet, account: ConnectedAccount, since: datetime
    ) -> list[RecentPost]:
        """The Posts API author finder, newest first: GET /rest/posts?author={urn}&q=author
        &count=50&sortBy=CREATED with `X-RestLi-Method: FINDER`, filtered here by `since`
        (Posts API, "Find Posts by Authors",
        https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api).
        CREATED rather than LinkedIn's default LAST_MODIFIED, so an old post edited lately does
        not push new ones off the page. Drafts are left out. `commentary` comes back in Little
        Text Format and is turned back into plain text."""
        author = author_urn(account)
        needed = READ_SCOPE["organization" if ":organization:" in author else "profile"]
        if tokens.scopes and needed not in tokens.scopes:
            raise Permanent(
                PLATFORM,
                f"Reading this account's posts needs LinkedIn's {needed} permission, which this "
                "connection was not granted, so Herald cannot check whether the post went out.",
                code="scope_missing",
            )
        body = self._json(
            await self._call(
                "GET",
                "/rest/posts",
                tokens,
                params={
                    "author": author,
                    "q": "author",
                    "count": str(RECENT_POSTS_PAGE),
                    "sortBy": "CREATED",
                },
                headers={"X-RestLi-Method": "FINDER"},
            )
        )
        posts = [
            RecentPost(
                platform_post_id=str(element["id"]),
                text=plain_text(str(element.get("commentary") or "")),
                created_at=epoch_time(element.get("createdAt"), milliseconds=True),
                url=post_url(str(element["id"])),
            )
            for element in body.get("elements") or []
            if isinstance(element, dict)
            and element.get("id")
            and element.get("lifecycleState") != "DRAFT"
        ]
        return posts_since(posts, since)

    async def delete(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> None:
        # Posts API, "Delete Posts": DELETE /rest/posts/{encoded URN} with X-RestLi-Method: DELETE
        await self._call(
            "DELETE",
            f"/rest/posts/{encode_urn(platform_post_id)}",
            tokens,
            headers={"X-RestLi-Method": "DELETE"},
        )

    async def comment(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str, text: str
    ) -> str:
        # https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api
        response = await self._call(
            "POST",
            f"/rest/socialActions/{encode_urn(platform_post_id)}/comments",
            tokens,
            json={
                "actor": author_urn(account),
                "object": platform_post_id,
                "message": {"text": text},
            },
        )
        return _created_comment(response)

    async def metrics(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> dict[str, int]:
        # https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/social-metadata-api
        body = self._json(
            await self._call("GET", f"/rest/socialMetadata/{encode_urn(platform_post_id)}", tokens)
        )
        reactions = body.get("reactionSummaries") or {}
        counts = {
            "reactions": sum(int(r.get("count", 0)) for r in reactions.values()),
            "comments": int((body.get("commentSummary") or {}).get("count", 0)),
        }
        for kind, summary in reactions.items():
            counts[f"reactions_{str(kind).lower()}"] = int(summary.get("count", 0))
        return counts

    async def account_metrics(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        """An organization's followers: GET /rest/networkSizes/{organization URN}
        ?edgeType=COMPANY_FOLLOWED_BY_MEMBER answers `firstDegreeSize`
        (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api).
        A member's follower count is open to LinkedIn's partner programs only."""
        if account.kind != "organization":
            raise NotSupported(
                PLATFORM, "LinkedIn gives a member's follower count to partner programs only."
            )
        body = self._json(
            await self._call(
                "GET",
                f"/rest/networkSizes/{encode_urn(author_urn(account))}",
                tokens,
                params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
            )
        )
        return {"followers": int(body.get("firstDegreeSize") or 0)}

    # -- engagement (the inbox) ----------------------------------------------------------------

    async def reply_to_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, text: str
    ) -> Engagement:
        """A nested comment: POST /rest/socialActions/{encoded comment URN}/comments with the
        post as `object` and the comment as `parentComment`. LinkedIn nests one level, so a
        reply to a reply answers its top-level comment."""
        parent = engagement.platform_item_id
        if engagement.kind == "reply" and engagement.parent_id:
            parent = engagement.parent_id
        if not engagement.platform_post_id:
            raise Permanent(PLATFORM, "The comment does not name the post it is on.")
        response = await self._call(
            "POST",
            f"/rest/socialActions/{encode_urn(parent)}/comments",
            tokens,
            json={
                "actor": author_urn(account),
                "object": engagement.platform_post_id,
                "parentComment": parent,
                "message": {"text": text},
            },
        )
        return own_reply(
            account, engagement, _created_comment(response), text, created_at=self._now()
        )

    async def hide_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, *, hidden: bool
    ) -> None:
        raise NotSupported(
            PLATFORM,
            "LinkedIn's Comments API has no way to hide a comment; delete it instead.",
            code="not_supported",
        )

    async def delete_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement
    ) -> None:
        """DELETE /rest/socialActions/{encoded target}/comments/{comment id}?actor={encoded
        actor}: the target is what the comment is on (the post, or the comment a nested
        comment answers). LinkedIn refuses (Permanent) comments the actor may not remove."""
        match = _COMMENT_ID.search(engagement.platform_item_id)
        target = engagement.parent_id if engagement.kind == "reply" else engagement.platform_post_id
        if match is None or not target:
            raise Permanent(PLATFORM, "This is not a LinkedIn comment Herald can address.")
        request = self._http.build_request(
            "DELETE",
            f"{API}/rest/socialActions/{encode_urn(target)}/comments/{match.group(1)}"
            f"?actor={encode_urn(author_urn(account))}",
            headers=self._headers(tokens),
        )
        await self._send(request)

    async def list_comments(
        self,
        tokens: TokenSet,
        account: ConnectedAccount,
        platform_post_id: str,
        cursor: str | None,
    ) -> EngagementPage:
        """ "Get Comments on Shares": GET /rest/socialActions/{encoded post URN}/comments, one
        page of the post's first-level comments per call, kept when newer than the time cursor
        (nested comments are listed per comment, which this poll does not do). LinkedIn does
        not document the listing's order, so a walk reads every page, a full one (`count`
        elements: https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination)
        walking on to the next (`start` + `count`, `more` saying so), and the next walk starts
        after the newest comment of them all: nothing is missed whichever way LinkedIn sorts."""
        walk = ListingWalk.resume(cursor)
        start = int(walk.page) if walk.page and walk.page.isdigit() else 0
        body = self._json(
            await self._call(
                "GET",
                f"/rest/socialActions/{encode_urn(platform_post_id)}/comments",
                tokens,
                params={"start": str(start), "count": str(COMMENTS_PAGE)},
            )
        )
        elements = body.get("elements") or []
        items = [
            _comment(account, platform_post_id, element)
            for element in elements
            if isinstance(element, dict) and (element.get("commentUrn") or element.get("$URN"))
        ]
        fresh = page_after_time(items, walk.since)
        full = len(elements) >= COMMENTS_PAGE
        return walk.step(fresh, str(start + COMMENTS_PAGE) if full else None, any_order=True)

    async def list_mentions(
        self, tokens: TokenSet, account: ConnectedAccount, cursor: str | None
    ) -> EngagementPage:
        raise NotSupported(
            PLATFORM,
            "LinkedIn has no listing of mentions to poll: an organization's mentions come as "
            "social action notifications (webhook), and a member's are not offered to apps.",
            code="not_supported",
        )


def _created_comment(response: httpx.Response) -> str:
    """The created comment's URN: the answer's `commentUrn`, else the x-restli-id header."""
    comment_id = response.headers.get("x-restli-id")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if isinstance(body, dict):
        comment_id = body.get("commentUrn") or comment_id or body.get("id")
    if not comment_id:
        raise Retryable(PLATFORM, "LinkedIn created the comment but did not return its id.")
    return str(comment_id)


def _comment(account: ConnectedAccount, post_urn: str, element: Mapping[str, Any]) -> Engagement:
    """A comment of the Comments API: its URN, actor, created.time (epoch milliseconds),
    message.text and, when nested, parentComment."""
    urn = str(element.get("commentUrn") or element["$URN"])
    created = element.get("created")
    message = element.get("message")
    parent = element.get("parentComment")
    actor = element.get("actor")
    return Engagement(
        platform=PLATFORM,
        platform_account_id=account.platform_account_id,
        platform_item_id=urn,
        kind="reply" if parent else "comment",
        text=str(message.get("text") or "") if isinstance(message, dict) else "",
        # LinkedIn names the author by URN only; a name needs another lookup per author.
        author=EngagementAuthor(platform_user_id=str(actor) if actor else None),
        created_at=epoch_time(created.get("time"), milliseconds=True)
        if isinstance(created, dict)
        else None,
        platform_post_id=post_urn,
        parent_id=str(parent) if parent else None,
        thread_id=str(parent) if parent else urn,
    )
