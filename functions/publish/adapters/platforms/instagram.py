"""Instagram professional accounts through the Instagram API with Facebook Login (Graph API).

Content Publishing (https://developers.facebook.com/docs/instagram-platform/content-publishing,
POST /<IG_ID>/media https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media):
1. create a container: POST /<ig-user-id>/media with image_url, or media_type=REELS + video_url,
   or media_type=STORIES + image_url/video_url; a carousel (2-10 items) first creates one child
   container per item (is_carousel_item=true), then a media_type=CAROUSEL container with
   `children`;
2. check it: GET /<container-id>?fields=status_code,status (EXPIRED, ERROR, FINISHED,
   IN_PROGRESS, PUBLISHED; https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-container);
3. publish it: POST /<ig-user-id>/media_publish with creation_id
   (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media_publish).
Instagram fetches the media itself from `MediaFile.url`. When a container is not FINISHED yet,
`publish` answers `processing` and `status` carries on from `progress`, one check per call.

Reconciling lists the account's media: GET /<ig-user-id>/media (same reference page, "Reading").

Engagement follows the comment moderation guide
(https://developers.facebook.com/docs/instagram-platform/comment-moderation): comments of a
media (GET /<ig-media-id>/comments), replies (POST /<ig-comment-id>/replies,
https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment/replies),
hiding (POST /<ig-comment-id> with hide) and deleting (DELETE /<ig-comment-id>), and replying to
a mention (POST /<ig-user-id>/mentions,
https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentions).
A mention's webhook names only ids; its text is read through the account's `mentioned_comment`
and `mentioned_media` fields (`look_up_mention`).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

from functions.publish.adapters.platforms.base import (
    META_USER_KEY,
    ConnectedAccount,
    EngagementPage,
    MediaFile,
    NotSupported,
    Permanent,
    PostStatus,
    PublishRequest,
    PublishResult,
    RecentPost,
    TokenSet,
    iso_time,
    own_reply,
    page_after_time,
    read_if_offered,
)
from functions.publish.adapters.platforms.meta import (
    BATCH_LIMIT,
    MetaLogin,
    comment_engagement,
    listed_posts,
    page_token,
)
from functions.shared.engagement import Engagement, EngagementAuthor

INSTAGRAM_SCOPES = (
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
    "business_management",
)
CAROUSEL_MAX = 10
# What the mentioned_comment and mentioned_media fields can expand to (their reference pages).
MENTIONED_COMMENT_FIELDS = "id,text,timestamp"
MENTIONED_MEDIA_FIELDS = "id,caption,timestamp,username,media_type"
# Organic media insights per media product type
# (https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights):
# Meta refuses the whole request when one metric does not apply to the media's type, and stories
# have no likes, comments or saved but replies, navigation, follows and profile visits instead.
# `impressions` and `plays` are deprecated since v22.0, `views` replaces them.
_FEED_AND_REELS_METRICS = (
    "views",
    "reach",
    "likes",
    "comments",
    "shares",
    "saved",
    "total_interactions",
)
MEDIA_METRICS = {
    "FEED": _FEED_AND_REELS_METRICS,
    "REELS": _FEED_AND_REELS_METRICS,
    "STORY": (
        "views",
        "reach",
        "shares",
        "total_interactions",
        "replies",
        "navigation",
        "follows",
        "profile_visits",
    ),
}
# A type Meta adds later (or none given): only the metrics every product type takes.
COMMON_MEDIA_METRICS = tuple(
    metric for metric in MEDIA_METRICS["STORY"] if metric in _FEED_AND_REELS_METRICS
)
MEDIA_TYPE_QUERY = {"fields": "media_product_type"}
IMAGE_CHECK_AFTER = 5
VIDEO_CHECK_AFTER = 30
# One page of the media listing, newest first (Graph API cursor pagination takes `limit`).
RECENT_POSTS_PAGE = 50
COMMENTS_PAGE = 50
_COMMENT_FIELDS = "id,text,timestamp,username,from,parent_id"
COMMENT_FIELDS = f"{_COMMENT_FIELDS},replies{{{_COMMENT_FIELDS}}}"


@dataclass(frozen=True, slots=True)
class PublishingLimit:
    """GET /<ig-user-id>/content_publishing_limit: posts used in the moving window, quota."""

    quota_usage: int
    quota_total: int | None
    quota_duration_seconds: int | None


class InstagramAdapter(MetaLogin):
    platform = "instagram"
    scopes = INSTAGRAM_SCOPES
    reply_edge = "replies"
    hide_field = "hide"

    # --- accounts --------------------------------------------------------------------------

    async def accounts(self, tokens: TokenSet) -> list[tuple[ConnectedAccount, TokenSet]]:
        """The Instagram professional accounts linked to the Pages the user manages.

        https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/get-started
        (GET /me/accounts, then each Page's instagram_business_account). Each account acts with
        its Page's access token.
        """
        person = await self.person_id(tokens)
        pages = await self.managed_pages(
            tokens,
            "id,name,access_token,instagram_business_account{id,username,name,profile_picture_url}",
        )
        found: list[tuple[ConnectedAccount, TokenSet]] = []
        for page in pages:
            ig = page.get("instagram_business_account")
            if not isinstance(ig, dict) or not ig.get("id") or not page.get("access_token"):
                continue
            username = str(ig["username"]) if ig.get("username") else None
            account = ConnectedAccount(
                platform_account_id=str(ig["id"]),
                name=str(ig.get("name") or username or page.get("name") or ig["id"]),
                handle=username,
                avatar_url=str(ig["profile_picture_url"])
                if ig.get("profile_picture_url")
                else None,
                kind="business",
                extra={"page_id": str(page["id"]), "page_name": str(page.get("name", ""))}
                | ({META_USER_KEY: person} if person else {}),
            )
            found.append((account, page_token(page, tokens)))
        return found

    # --- publishing --------------------------------------------------------------------------

    async def publish(
        self, tokens: TokenSet, account: ConnectedAccount, request: PublishRequest
    ) -> PublishResult:
        kind = _content_kind(request)
        user = account.platform_account_id
        token = tokens.access_token
        if kind == "carousel":
            children = [
                await self._create(token, user, _child_params(item)) for item in request.media
            ]
            progress = {
                "ig_user_id": user,
                "kind": kind,
                "stage": "children",
                "children": ",".join(children),
                "caption": request.text,
            }
            if any(item.kind == "video" for item in request.media):
                # Video children must finish processing before the carousel container is made.
                return await self._carry_on(token, progress)
            progress.pop("stage")
            container = await self._create(token, user, _carousel_params(children, request.text))
            return await self._carry_on(
                token, {**progress, "stage": "container", "container_id": container}
            )
        media = request.media[0]
        params = _single_params(kind, media, request)
        container = await self._create(token, user, params)
        progress = {
            "ig_user_id": user,
            "kind": kind,
            "stage": "container",
            "container_id": container,
        }
        return await self._carry_on(token, progress)

    async def status(
        self, tokens: TokenSet, account: ConnectedAccount, result: PublishResult
    ) -> PostStatus:
        if result.state == "published":
            return PostStatus(
                state="published", platform_post_id=result.platform_post_id, url=result.url
            )
        try:
            outcome = await self._carry_on(tokens.access_token, dict(result.progress))
        except Permanent as error:
            return PostStatus(state="failed", error=error.message)
        if outcome.state == "published":
            return PostStatus(
                state="published", platform_post_id=outcome.platform_post_id, url=outcome.url
            )
        return PostStatus(state="processing", check_after_seconds=outcome.check_after_seconds)

    async def _carry_on(self, token: str, progress: Mapping[str, str]) -> PublishResult:
        """One step of the container state machine: check, then publish when FINISHED."""
        wait = VIDEO_CHECK_AFTER if progress.get("kind") != "image" else IMAGE_CHECK_AFTER
        if progress.get("stage") == "children":
            children = [child for child in progress.get("children", "").split(",") if child]
            for child in children:
                if await self._container_state(token, child) != "FINISHED":
                    return PublishResult(
                        state="processing", check_after_seconds=wait, progress=dict(progress)
                    )
            container = await self._create(
                token,
                progress["ig_user_id"],
                _carousel_params(children, progress.get("caption", "")),
            )
            progress = {**progress, "stage": "container", "container_id": container}
        container = progress["container_id"]
        state = await self._container_state(token, container)
        if state != "FINISHED":
            if state == "PUBLISHED":
                # Published by an earlier attempt whose answer was lost: nothing to re-post.
                return PublishResult(state="published", progress=dict(progress))
            return PublishResult(
                state="processing", check_after_seconds=wait, progress=dict(progress)
            )
        media_id = await self._media_publish(token, progress["ig_user_id"], container)
        permalink = await self._permalink(token, media_id)
        return PublishResult(state="published", platform_post_id=media_id, url=permalink)

    async def _create(self, token: str, ig_user_id: str, params: Mapping[str, str]) -> str:
        body = await self.graph.call("POST", f"{ig_user_id}/media", token=token, data=params)
        return str(body["id"])

    async def _container_state(self, token: str, container_id: str) -> str:
        body = await self.graph.call(
            "GET", container_id, token=token, params={"fields": "status_code,status"}
        )
        state = str(body.get("status_code", "IN_PROGRESS"))
        if state == "ERROR":
            detail = body.get("status") or "no detail given"
            raise Permanent(
                self.platform, f"Instagram could not process the media ({detail}).", code="ERROR"
            )
        if state == "EXPIRED":
            raise Permanent(
                self.platform,
                "The Instagram container expired (it was not published within 24 hours).",
                code="EXPIRED",
            )
        return state

    async def _media_publish(self, token: str, ig_user_id: str, container_id: str) -> str:
        body = await self.graph.call(
            "POST", f"{ig_user_id}/media_publish", token=token, data={"creation_id": container_id}
        )
        return str(body["id"])

    async def _permalink(self, token: str, media_id: str) -> str | None:
        body = await self.graph.call("GET", media_id, token=token, params={"fields": "permalink"})
        return str(body["permalink"]) if body.get("permalink") else None

    # --- reconciling ---------------------------------------------------------------------------

    async def recent_posts(
        self, tokens: TokenSet, account: ConnectedAccount, since: datetime
    ) -> list[RecentPost]:
        """GET /<ig-user-id>/media?fields=id,caption,timestamp,permalink&limit=50, newest first,
        filtered here by `since` (permissions instagram_basic and pages_read_engagement;
        https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media).
        Stories are not on this listing (they have their own edge and no caption), so a story
        is not found here."""
        body = await self.graph.call(
            "GET",
            f"{account.platform_account_id}/media",
            token=tokens.access_token,
            params={"fields": "id,caption,timestamp,permalink", "limit": str(RECENT_POSTS_PAGE)},
        )
        return listed_posts(body, since, text="caption", created="timestamp", permalink="permalink")

    # --- publishing limit ----------------------------------------------------------------------

    async def publishing_limit(
        self, tokens: TokenSet, account: ConnectedAccount
    ) -> PublishingLimit:
        """https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit"""
        body = await self.graph.call(
            "GET",
            f"{account.platform_account_id}/content_publishing_limit",
            token=tokens.access_token,
            params={"fields": "config,quota_usage"},
        )
        entries = body.get("data") or [{}]
        entry: Mapping[str, Any] = entries[0] if isinstance(entries[0], dict) else {}
        config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        assert isinstance(config, dict)
        return PublishingLimit(
            quota_usage=int(entry.get("quota_usage", 0)),
            quota_total=_int_or_none(config.get("quota_total")),
            quota_duration_seconds=_int_or_none(config.get("quota_duration")),
        )

    # --- after publishing --------------------------------------------------------------------

    async def delete(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> None:
        """The Instagram Media reference documents reading (GET /<IG_MEDIA_ID>) and no delete
        operation (https://developers.facebook.com/docs/instagram-platform/reference/instagram-media),
        so this answers Permanent without calling Meta: the post is deleted in the Instagram app."""
        raise Permanent(
            self.platform,
            "Instagram's API does not allow deleting published media; "
            "delete the post in the Instagram app.",
            code="delete_unsupported",
        )

    async def metrics(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> dict[str, int]:
        """GET /<ig-media-id>?fields=media_product_type, then GET /<ig-media-id>/insights with
        the metrics of that product type (FEED, REELS or STORY)
        (https://developers.facebook.com/docs/instagram-platform/reference/instagram-media and
        https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights)."""
        media = await self.graph.call(
            "GET", platform_post_id, token=tokens.access_token, params=MEDIA_TYPE_QUERY
        )
        body = await self.graph.call(
            "GET",
            f"{platform_post_id}/insights",
            token=tokens.access_token,
            params=_insights_query(media),
        )
        return _media_insights(body)

    metrics_batch_size: ClassVar[int] = BATCH_LIMIT

    async def metrics_many(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """The two reads of `metrics` for up to 50 media, each in one Graph API batch request:
        the product types first, then the insights of the media found (the metrics asked for
        depend on the type, so they cannot share one batch)."""
        token = tokens.access_token
        types = await self.graph.batch_get(
            token, [(media_id, MEDIA_TYPE_QUERY) for media_id in platform_post_ids]
        )
        found = {
            media_id: media
            for media_id, media in zip(platform_post_ids, types, strict=True)
            if media is not None
        }
        if not found:
            return {}
        insights = await self.graph.batch_get(
            token,
            [(f"{media_id}/insights", _insights_query(media)) for media_id, media in found.items()],
        )
        return {
            media_id: _media_insights(body)
            for media_id, body in zip(found, insights, strict=True)
            if body is not None
        }

    async def account_metrics(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        """GET /<ig-user-id>?fields=followers_count,follows_count,media_count
        (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user),
        then the day's profile views: GET /<ig-user-id>/insights?metric=profile_views
        &period=day&metric_type=total_value (scope instagram_manage_insights;
        https://developers.facebook.com/docs/instagram-platform/api-reference/instagram-user/insights),
        whose failure keeps what the first read gave."""
        body = await self.graph.call(
            "GET",
            account.platform_account_id,
            token=tokens.access_token,
            params={"fields": "followers_count,follows_count,media_count"},
        )
        names = {"followers_count": "followers", "follows_count": "following"}
        names |= {"media_count": "posts"}
        counts = {
            name: int(body[field])
            for field, name in names.items()
            if isinstance(body.get(field), int)
        }
        return counts | await read_if_offered(self.platform, self._profile_views(tokens, account))

    async def _profile_views(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        body = await self.graph.call(
            "GET",
            f"{account.platform_account_id}/insights",
            token=tokens.access_token,
            params={"metric": "profile_views", "period": "day", "metric_type": "total_value"},
        )
        views = _media_insights(body).get("profile_views")
        return {"profile_views": views} if views is not None else {}

    # --- engagement (the inbox) -------------------------------------------------------------

    async def reply_to_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, text: str
    ) -> Engagement:
        """A comment on the account's media is answered on its replies edge (MetaLogin); a
        mention, on someone else's media, through POST /<ig-user-id>/mentions with media_id,
        and comment_id when the mention is in a comment rather than the caption."""
        if engagement.kind != "mention":
            return await super().reply_to_engagement(tokens, account, engagement, text)
        if not engagement.platform_post_id:
            raise Permanent(self.platform, "The mention does not name the media it is on.")
        data = {"media_id": engagement.platform_post_id, "message": text}
        if engagement.platform_item_id != engagement.platform_post_id:
            data["comment_id"] = engagement.platform_item_id
        body = await self.graph.call(
            "POST",
            f"{account.platform_account_id}/mentions",
            token=tokens.access_token,
            data=data,
        )
        return own_reply(account, engagement, str(body["id"]), text, created_at=self.clock())

    async def look_up_mention(
        self, tokens: TokenSet, account: ConnectedAccount, mention: Engagement
    ) -> Engagement:
        """A mention in a comment is read through GET /<ig-user-id>?fields=mentioned_comment
        .comment_id(<id>){...} (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_comment),
        one in a caption through mentioned_media.media_id(<id>){...}
        (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_media):
        the media other accounts own cannot be read directly. Neither gives a permalink, and a
        mentioned comment names no author."""
        if not mention.platform_post_id:
            raise Permanent(self.platform, "The mention does not name the media it is on.")
        in_comment = mention.platform_item_id != mention.platform_post_id
        if in_comment:
            edge = "mentioned_comment"
            field = f"{edge}.comment_id({mention.platform_item_id}){{{MENTIONED_COMMENT_FIELDS}}}"
        else:
            edge = "mentioned_media"
            field = f"{edge}.media_id({mention.platform_post_id}){{{MENTIONED_MEDIA_FIELDS}}}"
        body = await self.graph.call(
            "GET", account.platform_account_id, token=tokens.access_token, params={"fields": field}
        )
        node = body.get(edge)
        if not isinstance(node, dict):
            raise Permanent(self.platform, "Instagram did not return the mention.")
        username = node.get("username")
        return replace(
            mention,
            text=str(node.get("text" if in_comment else "caption") or ""),
            created_at=iso_time(node.get("timestamp")) or mention.created_at,
            author=(
                EngagementAuthor(name=str(username), handle=str(username))
                if username
                else mention.author
            ),
        )

    async def list_comments(
        self,
        tokens: TokenSet,
        account: ConnectedAccount,
        platform_post_id: str,
        cursor: str | None,
    ) -> EngagementPage:
        """GET /<ig-media-id>/comments with each comment's replies, one page, kept when newer
        than the time cursor (the edge takes no since parameter).
        https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments"""
        body = await self.graph.call(
            "GET",
            f"{platform_post_id}/comments",
            token=tokens.access_token,
            params={"fields": COMMENT_FIELDS, "limit": str(COMMENTS_PAGE)},
        )
        items: list[Engagement] = []
        for node in body.get("data") or []:
            if not isinstance(node, dict) or not node.get("id"):
                continue
            items.append(self._comment(account, platform_post_id, node, None))
            replies = node.get("replies")
            for reply in replies.get("data") or [] if isinstance(replies, dict) else []:
                if isinstance(reply, dict) and reply.get("id"):
                    items.append(self._comment(account, platform_post_id, reply, str(node["id"])))
        return page_after_time(items, cursor)

    def _comment(
        self,
        account: ConnectedAccount,
        post_id: str,
        node: Mapping[str, Any],
        parent_id: str | None,
    ) -> Engagement:
        sender = node.get("from")
        person: Mapping[str, Any] = sender if isinstance(sender, dict) else {}
        username = node.get("username") or person.get("username")
        return comment_engagement(
            self.platform,
            account,
            post_id,
            node,
            text="text",
            created="timestamp",
            author=EngagementAuthor(
                platform_user_id=str(person["id"]) if person.get("id") else None,
                name=str(username) if username else None,
                handle=str(username) if username else None,
            ),
            parent_id=parent_id or (str(node["parent_id"]) if node.get("parent_id") else None),
        )

    async def list_mentions(
        self, tokens: TokenSet, account: ConnectedAccount, cursor: str | None
    ) -> EngagementPage:
        raise NotSupported(
            self.platform,
            "Instagram has no listing of mentions: they arrive only by webhook (the `mentions` "
            "field), whose comment or media id is needed to read one.",
            code="not_supported",
        )


def _content_kind(request: PublishRequest) -> str:
    requested = str(request.options.get("type", "")).lower()
    media = request.media
    if not media:
        raise Permanent("instagram", "An Instagram post needs an image or a video.")
    for item in media:
        if item.kind not in ("image", "video"):
            raise Permanent("instagram", f"Instagram accepts images and videos, not {item.kind}.")
    if requested == "story":
        if len(media) != 1:
            raise Permanent("instagram", "An Instagram story holds exactly one image or video.")
        return "story"
    if len(media) > 1 or requested == "carousel":
        if not 2 <= len(media) <= CAROUSEL_MAX:
            raise Permanent("instagram", f"An Instagram carousel holds 2 to {CAROUSEL_MAX} items.")
        return "carousel"
    if media[0].kind == "video":
        return "reel"  # single feed videos are published as reels
    if requested == "reel":
        raise Permanent("instagram", "An Instagram reel needs a video.")
    return "image"


def _single_params(kind: str, media: MediaFile, request: PublishRequest) -> dict[str, str]:
    options = request.options
    if kind == "story":
        key = "video_url" if media.kind == "video" else "image_url"
        return {"media_type": "STORIES", key: media.url}
    if kind == "reel":
        params = {"media_type": "REELS", "video_url": media.url, "caption": request.text}
        if "share_to_feed" in options:
            params["share_to_feed"] = "true" if options["share_to_feed"] else "false"
        for name in ("cover_url", "thumb_offset", "audio_name"):
            if options.get(name) is not None:
                params[name] = str(options[name])
        return _with_common(params, options)
    params = {"image_url": media.url, "caption": request.text}
    if media.alt_text:
        params["alt_text"] = media.alt_text
    return _with_common(params, options)


def _with_common(params: dict[str, str], options: Mapping[str, Any]) -> dict[str, str]:
    if options.get("location_id"):
        params["location_id"] = str(options["location_id"])
    collaborators = options.get("collaborators")
    if isinstance(collaborators, Sequence) and not isinstance(collaborators, str) and collaborators:
        params["collaborators"] = json.dumps(list(collaborators))
    return params


def _child_params(media: MediaFile) -> dict[str, str]:
    if media.kind == "video":
        return {"is_carousel_item": "true", "media_type": "VIDEO", "video_url": media.url}
    params = {"is_carousel_item": "true", "image_url": media.url}
    if media.alt_text:
        params["alt_text"] = media.alt_text
    return params


def _carousel_params(children: Sequence[str], caption: str) -> dict[str, str]:
    return {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption}


def _insights_query(media: Mapping[str, Any]) -> dict[str, str]:
    """The insights query of a media, by its product type (read with `MEDIA_TYPE_QUERY`)."""
    metrics = MEDIA_METRICS.get(str(media.get("media_product_type")), COMMON_MEDIA_METRICS)
    return {"metric": ",".join(metrics)}


def _media_insights(body: Mapping[str, Any]) -> dict[str, int]:
    """The numbers of an insights answer (`data`: one entry per metric), by metric name."""
    found: dict[str, int] = {}
    for item in body.get("data", []):
        if not isinstance(item, dict) or "name" not in item:
            continue
        value = _insight_value(item)
        if value is not None:
            found[str(item["name"])] = value
    return found


def _insight_value(item: Mapping[str, Any]) -> int | None:
    total = item.get("total_value")
    if isinstance(total, dict) and isinstance(total.get("value"), int):
        return int(total["value"])
    values = item.get("values")
    if isinstance(values, list) and values and isinstance(values[0], dict):
        value = values[0].get("value")
        if isinstance(value, int):
            return value
    return None


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else None
