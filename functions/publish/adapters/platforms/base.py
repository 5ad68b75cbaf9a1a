"""The one interface every platform adapter implements, how platform failures are classified, and
the OAuth 2.0 and error-reading helpers several adapters share.

Every failure reaches the caller as one of three classes, which decide what publishing does next:
- `Retryable`: try again later (429 honouring Retry-After, 5xx, timeouts, connection errors);
- `ReauthRequired`: the token was refused; refresh it once, else the account needs reconnecting;
- `Permanent`: the platform refused the content itself; its own message goes to the user.
"""

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import httpx

from functions.shared.engagement import Engagement, EngagementAuthor
from functions.shared.observability import logger

MediaKind = Literal["image", "video", "gif", "document"]


class PlatformError(Exception):
    def __init__(self, platform: str, message: str, *, code: str | None = None) -> None:
        super().__init__(f"{platform}: {message}")
        self.platform = platform
        self.message = message
        self.code = code


class Retryable(PlatformError):
    def __init__(
        self,
        platform: str,
        message: str,
        *,
        code: str | None = None,
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        """`maybe_sent`: the request left before the failure (the answer was lost), so the
        platform may have acted on it; a post must then be reconciled, not sent again."""
        super().__init__(platform, message, code=code)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class ReauthRequired(PlatformError):
    pass


class Permanent(PlatformError):
    pass


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConnectedAccount:
    """The platform-side identity a token acts for (a page, channel, organization or member)."""

    platform_account_id: str
    name: str
    handle: str | None = None
    avatar_url: str | None = None
    kind: str = "profile"  # profile, page, organization, channel, business
    extra: Mapping[str, str] = field(default_factory=dict)


# The `extra` of a ConnectedAccount naming the Meta user (app-scoped id) whose login connected it.
META_USER_KEY = "meta_user_id"


# How much of a file one read holds when a request body is streamed rather than cut into the
# platform's own chunks: small enough that memory stays flat, large enough to keep reads few.
STREAM_PIECE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A library asset to publish.

    `read` returns the whole file: for images only, which the platforms cap at a few MB. Every
    other kind is streamed with `read_range(start, end)` (bytes start to end, end excluded) or
    `chunks`, so that a video of any size is never held in memory whole.
    """

    kind: MediaKind
    content_type: str
    size: int
    url: str  # a short-lived download URL, for platforms that pull media themselves
    read: Callable[[], Awaitable[bytes]]
    read_range: Callable[[int, int], Awaitable[bytes]]
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    alt_text: str | None = None
    filename: str = "media"

    async def chunks(
        self, size: int, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[tuple[int, bytes]]:
        """(offset, bytes) of consecutive pieces of at most `size` bytes from `start` to `end`
        (the end of the file by default), each read only when the previous one is consumed."""
        stop = self.size if end is None else min(end, self.size)
        for offset in range(start, stop, size):
            yield offset, await self.read_range(offset, min(offset + size, stop))

    async def stream(self, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes from `start` to `end` as a request body httpx sends piece by piece; the
        request must carry its Content-Length, else httpx would send it chunked."""
        async for _, piece in self.chunks(STREAM_PIECE_BYTES, start=start, end=end):
            yield piece


@dataclass(slots=True)
class Checkpoint:
    """What one publish keeps across its attempts, for a platform that can go on where an
    attempt stopped (a resumable upload session).

    `saved` is what the last attempt saved (empty at first). `save` replaces it and stores it
    before the step it guards, so that an attempt cut off mid-way leaves it to the next one;
    `store` is where (the target's progress), None where nothing outlives the call."""

    saved: Mapping[str, str] = field(default_factory=dict)
    store: Callable[[Mapping[str, str]], Awaitable[None]] | None = None

    async def save(self, progress: Mapping[str, str]) -> None:
        self.saved = dict(progress)
        if self.store is not None:
            await self.store(self.saved)


@dataclass(frozen=True, slots=True)
class PublishRequest:
    text: str
    media: Sequence[MediaFile] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    reply_to: str | None = None  # the platform id of the post this one answers (threads)
    checkpoint: Checkpoint = field(default_factory=Checkpoint)


@dataclass(frozen=True, slots=True)
class PublishResult:
    """`processing` means the platform accepted it but finishes later: poll `status`."""

    state: Literal["published", "processing"]
    platform_post_id: str | None = None
    url: str | None = None
    check_after_seconds: int | None = None
    progress: Mapping[str, str] = field(default_factory=dict)  # what status() needs to go on


@dataclass(frozen=True, slots=True)
class PostStatus:
    state: Literal["processing", "published", "failed"]
    platform_post_id: str | None = None
    url: str | None = None
    error: str | None = None
    check_after_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class RecentPost:
    """One of the account's own posts as the platform lists it, for reconciling `unconfirmed`."""

    platform_post_id: str
    text: str  # the post's text, caption or title as the platform returns it ("" if none)
    created_at: datetime | None  # aware UTC when the platform tells it
    url: str | None = None


class NotSupported(Permanent):
    """The platform offers no way to do this, or none to apps like Herald (the message says
    which); nothing was sent."""


@dataclass(frozen=True, slots=True)
class EngagementPage:
    """Comments or mentions newest first, and where the next incremental poll starts (the
    platform's since-id, page token or time, opaque to the caller; None when nothing is new).

    `more`: the listing holds more new items than one page; calling again with `cursor` soon
    goes on with them (the cursor then remembers the page to read, not only the since-point)."""

    items: list[Engagement]
    cursor: str | None
    more: bool = False


@dataclass(frozen=True, slots=True)
class ListingWalk:
    """Where a poll stands in a listing of several pages, newest first (`EngagementPage.cursor`).

    A burst of more items than a page between two polls is read page by page, over several
    calls: `since` (the platform's since-id or a `page_after_time` cursor) stays where the walk
    started, `page` is the platform's token of the next page, and `newest` is what the walk's
    first page held newest, where the next walk starts once this one ends. Outside a walk the
    cursor is the plain `since`, so cursors kept before walks existed still read."""

    since: str | None = None
    page: str | None = None
    newest: str | None = None

    @classmethod
    def resume(cls, cursor: str | None) -> "ListingWalk":
        if not cursor or not cursor.startswith("{"):
            return cls(since=cursor or None)
        try:
            kept = json.loads(cursor)
        except ValueError:
            kept = None
        if not isinstance(kept, dict) or not all(
            isinstance(kept.get(name), str | None) for name in ("since", "page", "newest")
        ):
            return cls()  # not a cursor Herald wrote: start over, the receipts drop repeats
        return cls(kept.get("since"), kept.get("page"), kept.get("newest"))

    def step(
        self, fresh: EngagementPage, next_page: str | None, *, any_order: bool = False
    ) -> EngagementPage:
        """The page of a walk: `fresh` is what the page held newer than `since` (its cursor the
        newest of them); `next_page` the token of the following page when that may still hold
        new items (None when the listing ended or reached what an earlier poll saw).

        `any_order` is for a listing whose order the platform does not document: the caller
        walks it to its end, and the next walk starts after the newest item of all its pages,
        not of its first (a time cursor's)."""
        if any_order:
            newest = later_time_cursor(self.newest if self.page else None, fresh.cursor)
        else:
            newest = self.newest if self.page else fresh.cursor
        if next_page:
            walk = {"since": self.since, "page": next_page, "newest": newest}
            return EngagementPage(fresh.items, json.dumps(walk, separators=(",", ":")), more=True)
        if self.page is None:
            return EngagementPage(fresh.items, newest)  # None: nothing new, the cursor stays
        return EngagementPage(fresh.items, newest or self.since)  # the walk's end


class EngagementAdapter(Protocol):
    """What the inbox asks of a platform: answer, hide and delete comments and mentions, and
    list them where no webhook brings them. `NotSupported` where the platform does not allow
    it; the usual classified errors otherwise."""

    async def reply_to_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, text: str
    ) -> Engagement:
        """Post `text` as a reply to the comment or mention; the reply as the platform has it."""
        ...

    async def hide_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement, *, hidden: bool
    ) -> None: ...

    async def delete_engagement(
        self, tokens: TokenSet, account: ConnectedAccount, engagement: Engagement
    ) -> None: ...

    async def list_comments(
        self,
        tokens: TokenSet,
        account: ConnectedAccount,
        platform_post_id: str,
        cursor: str | None,
    ) -> EngagementPage:
        """Comments and replies on one of the account's posts newer than `cursor` (all the
        platform lists when None), at most one page per call (`more` when others wait)."""
        ...

    async def list_mentions(
        self, tokens: TokenSet, account: ConnectedAccount, cursor: str | None
    ) -> EngagementPage:
        """Posts mentioning the account newer than `cursor`, at most one page per call."""
        ...


class PlatformAdapter(EngagementAdapter, Protocol):
    platform: str

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str: ...

    async def exchange_code(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> TokenSet: ...

    async def accounts(self, tokens: TokenSet) -> list[tuple[ConnectedAccount, TokenSet]]: ...

    async def refresh(self, tokens: TokenSet) -> TokenSet: ...

    async def publish(
        self, tokens: TokenSet, account: ConnectedAccount, request: PublishRequest
    ) -> PublishResult: ...

    async def status(
        self, tokens: TokenSet, account: ConnectedAccount, result: PublishResult
    ) -> PostStatus: ...

    async def delete(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> None: ...

    async def comment(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str, text: str
    ) -> str: ...

    async def metrics(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> dict[str, int]: ...

    async def recent_posts(
        self, tokens: TokenSet, account: ConnectedAccount, since: datetime
    ) -> list[RecentPost]:
        """The account's own posts created at or after `since` (an aware datetime), newest first:
        at most one page of the platform's listing (about 20 to 100 items).

        A post the platform lists without a creation time is kept, last: it cannot be ruled
        out. Failures raise the usual classified errors.
        """
        ...

    async def revoke(self, tokens: TokenSet) -> bool:
        """Withdraw the grant at the platform when an account is disconnected.

        True when the platform revoked it; False when the platform documents no revocation
        for third-party apps (the caller then only deletes the tokens). Failures raise the
        usual classified errors.
        """
        ...


@runtime_checkable
class BatchMetrics(Protocol):
    """An adapter whose platform looks up the metrics of several posts in one request (X up to
    100, YouTube 50, TikTok 20); the others answer `metrics` one post at a time."""

    metrics_batch_size: ClassVar[int]

    async def metrics_many(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """The metrics of each post found, by its id (at most `metrics_batch_size` ids); a post
        the platform no longer has (deleted, or not visible to the account) is left out."""
        ...


@runtime_checkable
class MentionLookUp(Protocol):
    """An adapter whose platform's mention webhook carries only ids (Instagram): the mention's
    text and time are read from the API when it arrives; the others carry them already."""

    async def look_up_mention(
        self, tokens: TokenSet, account: ConnectedAccount, mention: Engagement
    ) -> Engagement:
        """The mention with what the platform has of it (text, time, permalink) filled in."""
        ...


@runtime_checkable
class AccountMetrics(Protocol):
    """An adapter that reads the connected account's own numbers, collected once a day
    (functions/shared/account_metrics.py)."""

    async def account_metrics(self, tokens: TokenSet, account: ConnectedAccount) -> dict[str, int]:
        """`followers`, `following`, `posts` and `profile_views` where the platform offers
        them, anything else it reports under its own name; `NotSupported` where it offers none
        for this kind of account."""
        ...


async def read_if_offered(platform: str, read: Awaitable[dict[str, int]]) -> dict[str, int]:
    """An account metric read with a request of its own (profile views): its failure (a scope
    not granted, an insight the account is too small for, a rate limit) is logged and adds
    nothing, so that what the account's other requests read is still recorded."""
    try:
        return await read
    except PlatformError as error:
        logger.warning(
            "account metric not read",
            extra={"platform": platform, "reason": error.message, "code": error.code},
        )
        return {}


def own_reply(
    account: ConnectedAccount,
    answered: Engagement,
    reply_id: str,
    text: str,
    *,
    permalink: str | None = None,
    created_at: datetime | None = None,
) -> Engagement:
    """The account's reply to `answered` as the platform now holds it, for the inbox thread."""
    return Engagement(
        platform=answered.platform,
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
        created_at=created_at,
        platform_post_id=answered.platform_post_id,
        parent_id=answered.platform_item_id,
        thread_id=answered.thread_id or answered.platform_item_id,
        permalink=permalink,
    )


def is_own(account: ConnectedAccount, engagement: Engagement) -> bool:
    """Whether the connected account itself wrote the comment: X, Threads and YouTube let an
    account delete only what it wrote."""
    return engagement.author.platform_user_id == account.platform_account_id


def _time_cursor(moment: datetime, ids: Iterable[str]) -> str:
    """A `page_after_time` cursor: the newest creation time seen, then the ids seen at it."""
    return " ".join([moment.isoformat(), *sorted(ids)])


def _read_time_cursor(cursor: str) -> tuple[datetime | None, set[str]]:
    moment, _, ids = cursor.partition(" ")
    return iso_time(moment), set(ids.split())


def later_time_cursor(first: str | None, second: str | None) -> str | None:
    """The later of two `page_after_time` cursors; at the same time, the ids seen at it by
    either."""
    if not first or not second:
        return first or second
    first_time, first_ids = _read_time_cursor(first)
    second_time, second_ids = _read_time_cursor(second)
    if first_time is None or second_time is None:
        return second if first_time is None else first
    if first_time != second_time:
        return first if first_time > second_time else second
    return _time_cursor(first_time, first_ids | second_ids)


def page_after_time(items: Iterable[Engagement], cursor: str | None) -> EngagementPage:
    """The items a platform listed newest first, keeping those newer than a time cursor, and
    the cursor for the next poll, for platforms whose listings take no since-id.

    The cursor is the newest creation time seen followed by the ids seen at that very time:
    platforms tell times to the second, so a comment made in the same second as the last one
    seen is still taken, once. Undated items are taken only on the first poll."""
    since, seen = _read_time_cursor(cursor) if cursor else (None, set())
    fresh = [
        item
        for item in items
        if since is None
        or (
            item.created_at is not None
            and (
                item.created_at > since
                or (item.created_at == since and item.platform_item_id not in seen)
            )
        )
    ]
    fresh.sort(key=lambda item: item.created_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    dated = [item.created_at for item in fresh if item.created_at is not None]
    if not dated:
        return EngagementPage(items=fresh, cursor=None)
    newest = max(dated)
    at_newest = {item.platform_item_id for item in fresh if item.created_at == newest}
    if newest == since:
        at_newest |= seen
    return EngagementPage(items=fresh, cursor=_time_cursor(newest, at_newest))


class VersionedOAuthAdapter:
    """What an adapter of a platform API whose version the caller pins is built from: the
    app's OAuth client credentials, the HTTP client, the version, the scopes it asks for and a
    clock. A subclass names its platform's default version and scopes."""

    default_api_version: ClassVar[str]
    default_scopes: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient,
        api_version: str | None = None,
        scopes: Sequence[str] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = http
        self._version = api_version if api_version is not None else self.default_api_version
        self._scopes = tuple(scopes) if scopes is not None else self.default_scopes
        self._now = now


def form_post(
    url: str, form: Mapping[str, str], headers: Mapping[str, str] | None = None
) -> httpx.Request:
    """A POST of an application/x-www-form-urlencoded body, as OAuth 2.0 token endpoints
    (RFC 6749 section 3.2) and revocation endpoints (RFC 7009 section 2.1) take."""
    return httpx.Request(
        "POST",
        url,
        data=dict(form),
        headers={**(headers or {}), "Content-Type": "application/x-www-form-urlencoded"},
    )


def refresh_form(platform: str, tokens: TokenSet, client: Mapping[str, str]) -> dict[str, str]:
    """A refresh request (RFC 6749 section 6) from a client that sends its credentials in the
    body (section 2.3.1); ReauthRequired when no refresh token is stored."""
    if not tokens.refresh_token:
        raise ReauthRequired(platform, "No refresh token is stored for this account.")
    return {**client, "grant_type": "refresh_token", "refresh_token": tokens.refresh_token}


def oauth_token_set(
    body: Mapping[str, Any], *, now: datetime, previous: TokenSet | None = None
) -> TokenSet:
    """A token response (RFC 6749 section 5.1) as a TokenSet.

    A refresh answer without a new refresh token or scope keeps the previous ones; scopes may be
    space- or comma-separated (TikTok and LinkedIn use commas).
    """
    expires_in = body.get("expires_in")
    scopes = tuple(part for part in re.split(r"[,\s]+", str(body.get("scope") or "")) if part)
    refresh_token = body.get("refresh_token") or (previous.refresh_token if previous else None)
    return TokenSet(
        access_token=str(body["access_token"]),
        refresh_token=str(refresh_token) if refresh_token else None,
        expires_at=now + timedelta(seconds=int(expires_in)) if expires_in is not None else None,
        scopes=scopes or (previous.scopes if previous else ()),
    )


def utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is refused, since its zone would be a guess."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed, not a naive one")
    return moment.astimezone(UTC)


def iso_time(value: Any) -> datetime | None:
    """An ISO 8601 time as the platforms write it (`...Z`, `...+0000`, with or without
    fractions) in UTC; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def epoch_time(value: Any, *, milliseconds: bool = False) -> datetime | None:
    """A Unix time (seconds, or milliseconds) in UTC; None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return datetime.fromtimestamp(number / 1000 if milliseconds else number, UTC)


def posts_since(posts: Iterable[RecentPost], since: datetime) -> list[RecentPost]:
    """The posts created at or after `since`, newest first; those without a time come last.

    Platforms tell creation times to the second, so `since` is taken from the start of its
    second: a post made in the same second, just after it, still counts."""
    floor = utc(since).replace(microsecond=0)
    posts = list(posts)
    dated = [post for post in posts if post.created_at is not None and post.created_at >= floor]
    undated = [post for post in posts if post.created_at is None]
    dated.sort(key=lambda post: post.created_at or floor, reverse=True)
    return dated + undated


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as seconds (RFC 9110 section 10.2.3: delay-seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def error_text(response: httpx.Response) -> str:
    """What an error answer that is not the platform's JSON says: the start of its text, else
    its reason phrase."""
    text = response.text.strip()
    return text[:500] or response.reason_phrase or f"HTTP {response.status_code}"


def describe_error_object(
    response: httpx.Response, code_of: Callable[[Mapping[str, Any]], Any]
) -> tuple[str, str | None]:
    """The message and code of an error answer shaped `{"error": {"message", ...}}`, the code
    read from that object by `code_of`, or shaped as an OAuth error response
    `{"error": "...", "error_description": "..."}` (RFC 6749 section 5.2)."""
    try:
        body = response.json()
    except ValueError:
        return (response.text[:300] or f"HTTP {response.status_code}", None)
    if not isinstance(body, dict):
        return (f"HTTP {response.status_code}", None)
    error = body.get("error")
    if isinstance(error, dict):
        code = code_of(error)
        message = error.get("message") or code or f"HTTP {response.status_code}"
        return (str(message), str(code) if code else None)
    if isinstance(error, str):
        return (str(body.get("error_description") or error), error)
    return (f"HTTP {response.status_code}", None)


def classify_response(
    platform: str, response: httpx.Response, message: str, *, code: str | None = None
) -> PlatformError:
    """The default classification of a failed HTTP answer; adapters refine it per platform."""
    status = response.status_code
    if status == 429:
        return Retryable(platform, message, code=code, retry_after=retry_after_seconds(response))
    if status >= 500:
        return Retryable(platform, message, code=code)
    if status == 401:
        return ReauthRequired(platform, message, code=code)
    return Permanent(platform, message, code=code)


async def send(
    platform: str,
    client: httpx.AsyncClient,
    request: httpx.Request,
    describe: Callable[[httpx.Response], tuple[str, str | None]],
    classify: Callable[[httpx.Response, str, str | None], PlatformError] | None = None,
) -> httpx.Response:
    """Send one request; transport failures are retryable, error answers are classified.

    `describe` extracts the platform's own message and error code from an error answer.
    """
    try:
        response = await client.send(request)
    except (httpx.ConnectTimeout, httpx.PoolTimeout):
        raise Retryable(platform, "The platform could not be reached in time.") from None
    except httpx.TimeoutException:
        raise Retryable(platform, "The platform did not answer in time.", maybe_sent=True) from None
    except httpx.ConnectError as error:
        raise Retryable(platform, f"The platform could not be reached ({error}).") from None
    except httpx.TransportError as error:
        raise Retryable(
            platform, f"The connection to the platform broke ({error}).", maybe_sent=True
        ) from None
    if response.is_success:
        return response
    message, code = describe(response)
    if classify is not None:
        raise classify(response, message, code)
    raise classify_response(platform, response, message, code=code)
