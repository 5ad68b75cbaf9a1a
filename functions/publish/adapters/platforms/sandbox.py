"""The built-in sandbox platform: behaves like a platform without calling one.

It hands out post ids and URLs, enforces its published limits, and fails on demand in each
failure class (`fail_with`), so every error path of Herald can be tried locally. It remembers
what it published, per account and for the life of the process (the last `REMEMBERED_POSTS`
of each), and lists those as the account's recent posts, so reconciling works locally too.

Comments and mentions work the same way: it remembers those it was told about
(`remember_engagement`) and the replies it posted (the last `REMEMBERED_ENGAGEMENTS` per
account), hides, unhides and deletes them, and lists them for polling. Like the real platforms
it refuses to hide or delete a mention (someone else's post), with `NotSupported`.
"""

import hashlib
import math
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from ulid import ULID

from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    EngagementPage,
    NotSupported,
    Permanent,
    PostStatus,
    PublishRequest,
    PublishResult,
    ReauthRequired,
    RecentPost,
    Retryable,
    TokenSet,
    posts_since,
)
from functions.publish.domain.models import FailureClass
from functions.publish.domain.platforms import platform_info
from functions.shared.engagement import Engagement, EngagementAuthor

BASE_URL = "https://sandbox.herald.invalid"
PLATFORM = "sandbox"
REMEMBERED_POSTS = 200
REMEMBERED_ENGAGEMENTS = 500


# Sandbox audiences: a post reaches about half its final audience in its first day.
SANDBOX_HALF_LIFE_HOURS = 24.0


def sandbox_metrics(platform_post_id: str, now: datetime) -> dict[str, int]:
    """Plausible numbers for a sandbox post that grow with its age (its id is `sb_<ULID>`, whose
    time is the publication's) towards a ceiling drawn from the id, so each post differs and
    every later look finds more, as on a real platform."""
    try:
        published = ULID.from_str(platform_post_id.removeprefix("sb_")).datetime
    except ValueError:
        published = now
    hours = max(0.0, (now - published).total_seconds() / 3600)
    seed = int.from_bytes(hashlib.sha256(platform_post_id.encode()).digest()[:8], "big")
    audience = 500 + seed % 9500  # the impressions the post ends with
    grown = 1 - math.exp(-hours * math.log(2) / SANDBOX_HALF_LIFE_HOURS)
    # At least a few impressions in the first minutes, so that a fresh post shows some.
    impressions = max(int(audience * grown), min(audience, 3 + int(hours * 60)))
    rate = 0.02 + (seed >> 16) % 60 / 1000  # 2 % to 8 % of impressions engage
    likes = int(impressions * rate * 0.7)
    return {
        "impressions": impressions,
        "reach": int(impressions * 0.8),
        "likes": likes,
        "comments": int(impressions * rate * 0.1),
        "shares": int(impressions * rate * 0.1),
        "quotes": int(impressions * rate * 0.02),
        "saves": int(impressions * rate * 0.08),
        "link_clicks": int(impressions * 0.01),
        "profile_visits": int(impressions * 0.005),
        "follows": int(impressions * 0.001),
    }


def sandbox_account_metrics(platform_account_id: str, now: datetime, posts: int) -> dict[str, int]:
    """Plausible account numbers that change from day to day: an audience drawn from the id
    (`sandbox-<ULID>`, whose time is the connection's) gaining a steady number a day with a
    daily wobble, a following list that grows slowly, the posts the sandbox published for it (on
    top of some from before), and the day's profile views."""
    ulid = platform_account_id.removeprefix("sandbox-")
    try:
        connected = ULID.from_str(ulid).datetime
    except ValueError:
        connected = now
    days = max(0.0, (now - connected).total_seconds() / 86400)
    seed = int.from_bytes(hashlib.sha256(platform_account_id.encode()).digest()[:8], "big")
    today = hashlib.sha256(f"{platform_account_id}#{now.date()}".encode()).digest()
    gained_a_day = 5 + seed % 20
    wobble = today[0] % (gained_a_day // 2 + 1)  # a day a little better than another
    followers = 200 + seed % 4800 + int(days * gained_a_day) + wobble
    return {
        "followers": followers,
        "following": 50 + (seed >> 8) % 400 + int(days / 7),
        "posts": 10 + (seed >> 16) % 90 + posts,
        "profile_views": int(followers * (0.01 + today[1] / 255 * 0.03)),
    }


class _Published:
    """What the sandbox "published", per platform account id, oldest first; shared by every
    adapter instance of the process (one is built per call)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._posts: dict[str, deque[RecentPost]] = {}

    def add(self, account_id: str, post: RecentPost) -> None:
        with self._lock:
            self._posts.setdefault(account_id, deque(maxlen=REMEMBERED_POSTS)).append(post)

    def remove(self, account_id: str, post_id: str) -> None:
        with self._lock:
            posts = self._posts.get(account_id)
            if posts is not None:
                kept = [post for post in posts if post.platform_post_id != post_id]
                self._posts[account_id] = deque(kept, maxlen=REMEMBERED_POSTS)

    def of(self, account_id: str) -> list[RecentPost]:
        with self._lock:
            return list(self._posts.get(account_id, ()))


_published = _Published()


@dataclass(slots=True)
class _Remembered:
    engagement: Engagement
    hidden: bool = False


class _Engagements:
    """Comments, replies and mentions per platform account id, oldest first, keyed by id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, OrderedDict[str, _Remembered]] = {}

    def add(self, engagement: Engagement) -> None:
        with self._lock:
            items = self._items.setdefault(engagement.platform_account_id, OrderedDict())
            items[engagement.platform_item_id] = _Remembered(engagement)
            while len(items) > REMEMBERED_ENGAGEMENTS:
                items.popitem(last=False)

    def set_hidden(self, account_id: str, item_id: str, hidden: bool) -> None:
        with self._lock:
            remembered = self._items.get(account_id, OrderedDict()).get(item_id)
            if remembered is not None:
                remembered.hidden = hidden

    def remove(self, account_id: str, item_id: str) -> None:
        with self._lock:
            self._items.get(account_id, OrderedDict()).pop(item_id, None)

    def of(self, account_id: str) -> list[_Remembered]:
        with self._lock:
            return list(self._items.get(account_id, OrderedDict()).values())


_engagements = _Engagements()


def remember_engagement(engagement: Engagement) -> None:
    """A comment or mention made on the sandbox (locally, by Herald's sandbox comment route)."""
    _engagements.add(engagement)


def hidden_engagements(platform_account_id: str) -> list[str]:
    """Ids of the account's comments the sandbox holds hidden."""
    return [r.engagement.platform_item_id for r in _engagements.of(platform_account_id) if r.hidden]


def _newer_than(items: list[Engagement], cursor: str | None) -> EngagementPage:
    """Newest first; sandbox ids are ULIDs, so the newest id seen is the cursor."""
    fresh = [item for item in items if cursor is None or item.platform_item_id > cursor]
    fresh.sort(key=lambda item: item.platform_item_id, reverse=True)
    return EngagementPage(items=fresh, cursor=fresh[0].platform_item_id if fresh else cursor)


class SandboxAdapter:
    platform = PLATFORM
    metrics_batch_size: ClassVar[int] = 50

    def __init__(
        self,
        fail_with: FailureClass | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.fail_with = fail_with
        self.clock = clock

    def _maybe_fail(self) -> None:
        if self.fail_with == "retryable":
            raise Retryable(PLATFORM, "The sandbox is pretending to be overloaded.", retry_after=30)
        if self.fail_with == "reauth":
            raise ReauthRequired(PLATFORM, "The sandbox refused the token, as asked.")
        if self.fail_with == "permanent":
            raise Permanent(PLATFORM, "The sandbox refused this content, as asked.")

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        raise Permanent(PLATFORM, "The sandbox is added directly, without OAuth.")

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        raise Permanent(PLATFORM, "The sandbox is added directly, without OAuth.")

    async def accounts(self, tokens: TokenSet) -> list[tuple[ConnectedAccount, TokenSet]]:
        self._maybe_fail()
        account = ConnectedAccount(platform_account_id="sandbox", name="Sandbox")
        return [(account, tokens)]

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        if self.fail_with == "reauth":
            raise ReauthRequired(PLATFORM, "The sandbox refused to refresh the token, as asked.")
        return tokens

    async def publish(
        self, tokens: TokenSet, account: ConnectedAccount, request: PublishRequest
    ) -> PublishResult:
        self._maybe_fail()
        info = platform_info(PLATFORM)
        assert info is not None
        limits = info.content_types[0]
        if limits.max_text_length is not None and len(request.text) > limits.max_text_length:
            raise Permanent(
                PLATFORM, f"The text is {len(request.text)} characters; at most 500 fit."
            )
        if len(request.media) > limits.media[0].max_count:
            raise Permanent(PLATFORM, "At most 4 media items fit in one sandbox post.")
        post_id = f"sb_{ULID()}"
        url = f"{BASE_URL}/{account.platform_account_id}/{post_id}"
        _published.add(
            account.platform_account_id,
            RecentPost(
                platform_post_id=post_id, text=request.text, created_at=self.clock(), url=url
            ),
        )
        return PublishResult(state="published", platform_post_id=post_id, url=url)

    async def status(
        self, tokens: TokenSet, account: ConnectedAccount, result: PublishResult
    ) -> PostStatus:
        self._maybe_fail()
        return PostStatus(
            state="published", platform_post_id=result.platform_post_id, url=result.url
        )

    async def delete(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> None:
        self._maybe_fail()
        _published.remove(account.platform_account_id, platform_post_id)

    async def recent_posts(
        self, tokens: TokenSet, account: ConnectedAccount, since: datetime
    ) -> list[RecentPost]:
        self._maybe_fail()
        return posts_since(_published.of(account.platform_account_id), since)

    async def comment(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str, text: str
    ) -> str:
        self._maybe_fail()
        return f"sb_{ULID()}"

    async def metrics(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> dict[str, int]:
        self._maybe_fail()
        return sandbox_metrics(platform_post_id, self.clock())

    async def metrics_many(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        self._maybe_fail()
        now = self.clock()
        return {post_id: sandbox_metrics(post_id, now) for post_id in platform_post_ids}

    async def revoke(self, tokens: TokenSet) -> bool:
        self._maybe_fail()
        return True

    async def account_metrics(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        self._maybe_fail()
        posts = len(_published.of(account.platform_account_id))
        return sandbox_account_metrics(account.platform_account_id, self.clock(), posts)

    async def reply_to_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, text: str
    ) -> Engagement:
        self._maybe_fail()
        reply_id = f"sb_{ULID()}"
        reply = Engagement(
            platform=PLATFORM,
            platform_account_id=account.platform_account_id,
            platform_item_id=reply_id,
            kind="reply",
            text=text,
            author=EngagementAuthor(
                platform_user_id=account.platform_account_id,
                name=account.name,
                handle=account.handle,
                avatar_url=account.avatar_url,
            ),
            created_at=self.clock(),
            platform_post_id=engagement.platform_post_id,
            parent_id=engagement.platform_item_id,
            thread_id=engagement.thread_id or engagement.platform_item_id,
            permalink=f"{BASE_URL}/{account.platform_account_id}/comments/{reply_id}",
        )
        _engagements.add(reply)
        return reply

    def _moderated(self, engagement: Engagement, what: str) -> None:
        self._maybe_fail()
        if engagement.kind == "mention":
            raise NotSupported(
                PLATFORM,
                f"The sandbox cannot {what} a mention: it is the author's own post, not a "
                "comment on one of yours.",
            )

    async def hide_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, *, hidden: bool
    ) -> None:
        self._moderated(engagement, "hide" if hidden else "unhide")
        _engagements.set_hidden(account.platform_account_id, engagement.platform_item_id, hidden)

    async def delete_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement
    ) -> None:
        self._moderated(engagement, "delete")
        _engagements.remove(account.platform_account_id, engagement.platform_item_id)

    async def list_comments(
        self,
        tokens: TokenSet,
        account: ConnectedAccount,
        platform_post_id: str,
        cursor: str | None,
    ) -> EngagementPage:
        self._maybe_fail()
        on_post = [
            r.engagement
            for r in _engagements.of(account.platform_account_id)
            if r.engagement.kind != "mention" and r.engagement.platform_post_id == platform_post_id
        ]
        return _newer_than(on_post, cursor)

    async def list_mentions(
        self, tokens: TokenSet, account: ConnectedAccount, cursor: str | None
    ) -> EngagementPage:
        self._maybe_fail()
        mentions = [
            r.engagement
            for r in _engagements.of(account.platform_account_id)
            if r.engagement.kind == "mention"
        ]
        return _newer_than(mentions, cursor)
