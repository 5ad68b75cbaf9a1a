"""Facebook Pages through the Graph API, acting with Page access tokens.

- Text and link posts: POST /<page-id>/feed with message, link
  (https://developers.facebook.com/docs/pages-api/posts).
- One photo: POST /<page-id>/photos with url (Facebook fetches it) and caption; several photos:
  each one unpublished (published=false), then POST /<page-id>/feed with attached_media
  (https://developers.facebook.com/docs/graph-api/reference/page/photos,
  https://developers.facebook.com/docs/pages-api/posts).
- Video: the resumable (chunked) upload of https://graph-video.facebook.com/<version>/<page-id>/videos:
  upload_phase=start with file_size -> upload_phase=transfer of each byte window Facebook names
  (start_offset to end_offset, as the multipart file video_file_chunk) until the two meet ->
  upload_phase=finish with the title and description
  (https://developers.facebook.com/docs/video-api/guides/publishing,
  https://developers.facebook.com/docs/graph-api/reference/page/videos/#Creating). The bytes are
  read from storage one window at a time; processing is then followed through
  GET /<video-id>?fields=status.
- Reel: POST /<page-id>/video_reels upload_phase=start -> upload the bytes to
  https://rupload.facebook.com/video-upload/<version>/<video-id> (Authorization: OAuth <token>,
  offset, file_size headers), streamed from storage -> POST /<page-id>/video_reels
  upload_phase=finish, video_state=PUBLISHED
  (https://developers.facebook.com/docs/video-api/guides/reels-publishing).
- Reconciling: GET /<page-id>/published_posts
  (https://developers.facebook.com/docs/graph-api/reference/page/published_posts/).
- Engagement: comments and replies through the /comments edge
  (https://developers.facebook.com/docs/graph-api/reference/object/comments), hiding with
  `is_hidden` and deleting on the comment node
  (https://developers.facebook.com/docs/graph-api/reference/comment), posts that tag the Page
  on GET /<page-id>/tagged (https://developers.facebook.com/docs/graph-api/reference/page/tagged/).
"""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from functions.publish.adapters.platforms.base import (
    META_USER_KEY,
    ConnectedAccount,
    EngagementPage,
    MediaFile,
    Permanent,
    PostStatus,
    PublishRequest,
    PublishResult,
    RecentPost,
    TokenSet,
    iso_time,
    page_after_time,
    utc,
)
from functions.publish.adapters.platforms.meta import (
    BATCH_LIMIT,
    FACEBOOK_WEB,
    GRAPH_VIDEO_HOST,
    MetaLogin,
    comment_engagement,
    listed_posts,
    page_token,
    picture_url,
)
from functions.shared.engagement import Engagement, EngagementAuthor

FACEBOOK_SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "pages_manage_engagement",
    # Reading comments and posts people write on the Page (the inbox's polling):
    # https://developers.facebook.com/docs/features-reference/page-public-content-access
    "pages_read_user_content",
    "read_insights",
    "publish_video",
    "business_management",
)
RUPLOAD_HOST = "https://rupload.facebook.com"
VIDEO_CHECK_AFTER = 30
RECENT_POSTS_PAGE = 50  # one page of the Page's posts (Graph API `limit`)
ENGAGEMENT_PAGE = 100
# A post's reactions, comments and shares, from its summaries without the items themselves.
POST_COUNTS_QUERY = {
    "fields": "reactions.limit(0).summary(total_count),"
    "comments.limit(0).summary(total_count),shares"
}
COMMENT_FIELDS = "id,message,created_time,from{id,name,picture},parent{id},permalink_url"


class FacebookAdapter(MetaLogin):
    platform = "facebook"
    scopes = FACEBOOK_SCOPES
    reply_edge = "comments"
    hide_field = "is_hidden"

    async def accounts(self, tokens: TokenSet) -> list[tuple[ConnectedAccount, TokenSet]]:
        """The Pages the user manages, each with its Page access token (GET /me/accounts,
        https://developers.facebook.com/docs/pages-api/overview)."""
        person = await self.person_id(tokens)
        pages = await self.managed_pages(tokens, "id,name,access_token,picture{url}")
        found: list[tuple[ConnectedAccount, TokenSet]] = []
        for page in pages:
            if not page.get("id") or not page.get("access_token"):
                continue
            account = ConnectedAccount(
                platform_account_id=str(page["id"]),
                name=str(page.get("name") or page["id"]),
                avatar_url=picture_url(page),
                kind="page",
                extra={META_USER_KEY: person} if person else {},
            )
            found.append((account, page_token(page, tokens)))
        return found

    # --- publishing --------------------------------------------------------------------------

    async def publish(
        self, tokens: TokenSet, account: ConnectedAccount, request: PublishRequest
    ) -> PublishResult:
        page = account.platform_account_id
        token = tokens.access_token
        media = list(request.media)
        requested = str(request.options.get("type", "")).lower()
        link = request.options.get("link")
        if not media:
            if requested == "reel":
                raise Permanent(self.platform, "A Facebook reel needs a video.")
            if not request.text and not link:
                raise Permanent(self.platform, "A Facebook post needs text, a link or media.")
            data = {"message": request.text}
            if link:
                data["link"] = str(link)
            body = await self.graph.call("POST", f"{page}/feed", token=token, data=data)
            return _published(str(body["id"]))
        for item in media:
            if item.kind not in ("image", "video", "gif"):
                raise Permanent(self.platform, f"Facebook Pages do not accept {item.kind} files.")
        videos = [item for item in media if item.kind == "video"]
        if videos:
            if len(media) != 1:
                raise Permanent(
                    self.platform, "A Facebook video post holds one video and no other media."
                )
            if requested == "reel":
                return await self._reel(token, page, videos[0], request.text)
            return await self._video(token, page, videos[0], request)
        if requested == "reel":
            raise Permanent(self.platform, "A Facebook reel needs a video.")
        if len(media) == 1:
            data = {"url": media[0].url, "caption": request.text}
            if media[0].alt_text:
                data["alt_text_custom"] = media[0].alt_text
            body = await self.graph.call("POST", f"{page}/photos", token=token, data=data)
            return _published(str(body.get("post_id") or body["id"]))
        photo_ids = [await self._unpublished_photo(token, page, item) for item in media]
        data = {"message": request.text}
        for index, photo_id in enumerate(photo_ids):
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo_id})
        body = await self.graph.call("POST", f"{page}/feed", token=token, data=data)
        return _published(str(body["id"]))

    async def _unpublished_photo(self, token: str, page: str, media: MediaFile) -> str:
        data = {"url": media.url, "published": "false"}
        if media.alt_text:
            data["alt_text_custom"] = media.alt_text
        body = await self.graph.call("POST", f"{page}/photos", token=token, data=data)
        return str(body["id"])

    async def _video(
        self, token: str, page: str, media: MediaFile, request: PublishRequest
    ) -> PublishResult:
        """The resumable upload: start, transfer each window Facebook asks for, finish."""
        started = await self.graph.call(
            "POST",
            f"{page}/videos",
            token=token,
            data={"upload_phase": "start", "file_size": str(media.size)},
            host=GRAPH_VIDEO_HOST,
        )
        video_id, session = str(started["video_id"]), str(started["upload_session_id"])
        window = started
        while (start := int(window["start_offset"])) < (end := int(window["end_offset"])):
            window = await self.graph.call(
                "POST",
                f"{page}/videos",
                token=token,
                data={
                    "upload_phase": "transfer",
                    "upload_session_id": session,
                    "start_offset": str(start),
                },
                files={
                    "video_file_chunk": (
                        media.filename,
                        await media.read_range(start, end),
                        "application/octet-stream",
                    )
                },
                host=GRAPH_VIDEO_HOST,
            )
        data = {"upload_phase": "finish", "upload_session_id": session, "description": request.text}
        if request.options.get("title"):
            data["title"] = str(request.options["title"])
        await self.graph.call(
            "POST", f"{page}/videos", token=token, data=data, host=GRAPH_VIDEO_HOST
        )
        return _processing("video", video_id)

    async def _reel(self, token: str, page: str, media: MediaFile, text: str) -> PublishResult:
        # https://developers.facebook.com/docs/video-api/guides/reels-publishing
        started = await self.graph.call(
            "POST", f"{page}/video_reels", token=token, json={"upload_phase": "start"}
        )
        video_id = str(started["video_id"])
        upload_url = str(
            started.get("upload_url")
            or f"{RUPLOAD_HOST}/video-upload/{self.api_version}/{video_id}"
        )
        await self.graph.call(
            "POST",
            upload_url,
            content=media.stream(),
            headers={
                "Authorization": f"OAuth {token}",
                "offset": "0",
                "file_size": str(media.size),
                "Content-Length": str(media.size),
            },
        )
        await self.graph.call(
            "POST",
            f"{page}/video_reels",
            token=token,
            json={
                "upload_phase": "finish",
                "video_id": video_id,
                "video_state": "PUBLISHED",
                "description": text,
            },
        )
        return _processing("reel", video_id)

    async def status(
        self, tokens: TokenSet, account: ConnectedAccount, result: PublishResult
    ) -> PostStatus:
        """GET /<video-id>?fields=status: video_status plus the uploading, processing and
        publishing phases (https://developers.facebook.com/docs/video-api/guides/reels-publishing)."""
        if result.state == "published" or "video_id" not in result.progress:
            return PostStatus(
                state="published", platform_post_id=result.platform_post_id, url=result.url
            )
        video_id = result.progress["video_id"]
        body = await self.graph.call(
            "GET", video_id, token=tokens.access_token, params={"fields": "status,permalink_url"}
        )
        status = body.get("status") if isinstance(body.get("status"), dict) else {}
        assert isinstance(status, dict)
        video_status = str(status.get("video_status", "processing"))
        if video_status in ("error", "expired"):
            return PostStatus(state="failed", platform_post_id=video_id, error=_phase_error(status))
        publishing = status.get("publishing_phase")
        published = video_status in ("ready", "published") and (
            not isinstance(publishing, dict) or publishing.get("status") in (None, "complete")
        )
        if not published:
            if isinstance(publishing, dict) and publishing.get("status") == "error":
                return PostStatus(
                    state="failed", platform_post_id=video_id, error=_phase_error(status)
                )
            return PostStatus(state="processing", check_after_seconds=VIDEO_CHECK_AFTER)
        if result.progress.get("kind") == "reel":
            url = f"{FACEBOOK_WEB}/reel/{video_id}"
        else:
            permalink = body.get("permalink_url")
            url = (
                f"{FACEBOOK_WEB}{permalink}"
                if isinstance(permalink, str) and permalink.startswith("/")
                else (str(permalink) if permalink else f"{FACEBOOK_WEB}/{video_id}")
            )
        return PostStatus(state="published", platform_post_id=video_id, url=url)

    # --- after publishing --------------------------------------------------------------------

    async def delete(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> None:
        """DELETE /<post-id> (https://developers.facebook.com/docs/pages-api/posts)."""
        await self.graph.call("DELETE", platform_post_id, token=tokens.access_token)

    async def recent_posts(
        self, tokens: TokenSet, account: ConnectedAccount, since: datetime
    ) -> list[RecentPost]:
        """GET /<page-id>/published_posts?fields=id,message,created_time,permalink_url&since=...
        with the Page token, newest first
        (https://developers.facebook.com/docs/graph-api/reference/page/published_posts/; time
        ranges: https://developers.facebook.com/docs/graph-api/results). Reels are not on the
        Page's post listings (https://developers.facebook.com/docs/graph-api/reference/pagepost),
        so a reel is not found here; a video post is listed under its post id, not its video id.
        """
        body = await self.graph.call(
            "GET",
            f"{account.platform_account_id}/published_posts",
            token=tokens.access_token,
            params={
                "fields": "id,message,created_time,permalink_url",
                "since": str(int(utc(since).timestamp())),
                "limit": str(RECENT_POSTS_PAGE),
            },
        )
        return listed_posts(
            body, since, text="message", created="created_time", permalink="permalink_url"
        )

    async def metrics(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> dict[str, int]:
        """Reactions, comments and shares from the post's summaries
        (https://developers.facebook.com/docs/graph-api/reference/post)."""
        body = await self.graph.call(
            "GET", platform_post_id, token=tokens.access_token, params=POST_COUNTS_QUERY
        )
        return _post_counts(body)

    metrics_batch_size: ClassVar[int] = BATCH_LIMIT

    async def metrics_many(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """The read of `metrics` for up to 50 posts in one Graph API batch request."""
        bodies = await self.graph.batch_get(
            tokens.access_token, [(post_id, POST_COUNTS_QUERY) for post_id in platform_post_ids]
        )
        return {
            post_id: _post_counts(body)
            for post_id, body in zip(platform_post_ids, bodies, strict=True)
            if body is not None
        }

    async def account_metrics(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        """GET /<page-id>?fields=followers_count,fan_count: the Page's followers, and its likes
        kept as `fan_count` (https://developers.facebook.com/docs/graph-api/reference/page/)."""
        body = await self.graph.call(
            "GET",
            account.platform_account_id,
            token=tokens.access_token,
            params={"fields": "followers_count,fan_count"},
        )
        counts = {"followers": body.get("followers_count"), "fan_count": body.get("fan_count")}
        return {name: int(value) for name, value in counts.items() if isinstance(value, int)}

    async def list_comments(
        self,
        tokens: TokenSet,
        account: ConnectedAccount,
        platform_post_id: str,
        cursor: str | None,
    ) -> EngagementPage:
        """GET /<post-id>/comments in chronological order with `filter=stream` (every comment
        and reply, flat, each with its `parent`), from the `after` cursor of the last poll:
        cursors mark an item, so following the last one later yields only what came after it
        (https://developers.facebook.com/docs/graph-api/reference/object/comments,
        https://developers.facebook.com/docs/graph-api/results)."""
        params = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "chronological",
            "limit": str(ENGAGEMENT_PAGE),
        }
        if cursor:
            params["after"] = cursor
        body = await self.graph.call(
            "GET", f"{platform_post_id}/comments", token=tokens.access_token, params=params
        )
        items = [
            _comment(account, platform_post_id, node)
            for node in body.get("data") or []
            if isinstance(node, dict) and node.get("id")
        ]
        paging = body.get("paging")
        cursors = paging.get("cursors") if isinstance(paging, dict) else None
        after = cursors.get("after") if isinstance(cursors, dict) else None
        items.reverse()  # newest first
        return EngagementPage(items=items, cursor=str(after) if after and items else None)

    async def list_mentions(
        self, tokens: TokenSet, account: ConnectedAccount, cursor: str | None
    ) -> EngagementPage:
        """GET /<page-id>/tagged: posts that tag the Page, since the newest time seen
        (https://developers.facebook.com/docs/graph-api/reference/page/tagged/; time ranges
        https://developers.facebook.com/docs/graph-api/results). Mentions in comments arrive
        only by webhook (the Page's `mention` field)."""
        params = {
            "fields": "id,message,created_time,from{id,name,picture},permalink_url",
            "limit": str(ENGAGEMENT_PAGE),
        }
        since = iso_time(cursor.partition(" ")[0]) if cursor else None
        if since is not None:
            params["since"] = str(int(since.timestamp()))
        body = await self.graph.call(
            "GET",
            f"{account.platform_account_id}/tagged",
            token=tokens.access_token,
            params=params,
        )
        mentions = [
            Engagement(
                platform=self.platform,
                platform_account_id=account.platform_account_id,
                platform_item_id=str(node["id"]),
                kind="mention",
                text=str(node.get("message") or ""),
                author=_author(node),
                created_at=iso_time(node.get("created_time")),
                platform_post_id=str(node["id"]),
                thread_id=str(node["id"]),
                permalink=str(node["permalink_url"]) if node.get("permalink_url") else None,
            )
            for node in body.get("data") or []
            if isinstance(node, dict) and node.get("id")
        ]
        return page_after_time(mentions, cursor)


def _author(node: Mapping[str, Any]) -> EngagementAuthor:
    person = node.get("from")
    if not isinstance(person, dict):
        # Without the Page's moderation rights Meta leaves `from` out.
        return EngagementAuthor()
    return EngagementAuthor(
        platform_user_id=str(person["id"]) if person.get("id") else None,
        name=str(person["name"]) if person.get("name") else None,
        avatar_url=picture_url(person),
    )


def _comment(account: ConnectedAccount, post_id: str, node: Mapping[str, Any]) -> Engagement:
    parent = node.get("parent")
    parent_id = str(parent["id"]) if isinstance(parent, dict) and parent.get("id") else None
    return comment_engagement(
        "facebook",
        account,
        post_id,
        node,
        text="message",
        created="created_time",
        author=_author(node),
        parent_id=parent_id,
        permalink=str(node["permalink_url"]) if node.get("permalink_url") else None,
    )


def _published(post_id: str) -> PublishResult:
    return PublishResult(
        state="published", platform_post_id=post_id, url=f"{FACEBOOK_WEB}/{post_id}"
    )


def _processing(kind: str, video_id: str) -> PublishResult:
    """A video or reel Facebook is still processing; `status` follows it by its video id."""
    return PublishResult(
        state="processing",
        platform_post_id=video_id,
        check_after_seconds=VIDEO_CHECK_AFTER,
        progress={"kind": kind, "video_id": video_id},
    )


def _post_counts(body: Mapping[str, Any]) -> dict[str, int]:
    shares = body.get("shares")
    return {
        "reactions": _summary_count(body.get("reactions")),
        "comments": _summary_count(body.get("comments")),
        "shares": int(shares.get("count", 0)) if isinstance(shares, dict) else 0,
    }


def _summary_count(edge: Any) -> int:
    if isinstance(edge, dict):
        summary = edge.get("summary")
        if isinstance(summary, dict) and isinstance(summary.get("total_count"), int):
            return int(summary["total_count"])
    return 0


def _phase_error(status: Mapping[str, Any]) -> str:
    for phase in ("uploading_phase", "processing_phase", "publishing_phase"):
        details = status.get(phase)
        if isinstance(details, dict):
            error = details.get("error") or details.get("errors")
            if isinstance(error, dict) and error.get("message"):
                return str(error["message"])
            if isinstance(error, list) and error and isinstance(error[0], dict):
                return str(error[0].get("message", "Facebook could not process the video."))
    return "Facebook could not process the video."
