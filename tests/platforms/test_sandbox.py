"""The built-in sandbox adapter: revocation, and the memory of what it published that lets
reconciling work locally."""

from datetime import UTC, datetime, timedelta

import pytest
from ulid import ULID

from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    Permanent,
    PlatformError,
    PublishRequest,
    ReauthRequired,
    RecentPost,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.platforms.sandbox import REMEMBERED_POSTS, SandboxAdapter
from functions.publish.domain.models import FailureClass

TOKENS = TokenSet(access_token="sandbox-token")
START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def account() -> ConnectedAccount:
    """A fresh account id per test: the sandbox's memory lives as long as the process."""
    return ConnectedAccount(platform_account_id=f"sandbox-{ULID()}", name="Sandbox")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.anyio
async def test_revoke_succeeds() -> None:
    assert await SandboxAdapter().revoke(TOKENS) is True


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fail_with", "error"),
    [("retryable", Retryable), ("reauth", ReauthRequired), ("permanent", Permanent)],
)
async def test_revoke_honours_fail_with(
    fail_with: FailureClass, error: type[PlatformError]
) -> None:
    with pytest.raises(error):
        await SandboxAdapter(fail_with=fail_with).revoke(TOKENS)


@pytest.mark.anyio
async def test_recent_posts_are_what_it_published_since_newest_first() -> None:
    """Each adapter call builds a new instance; the memory is the process's, per account."""
    clock = Clock()
    mine, other = account(), account()
    first = await SandboxAdapter(clock=clock).publish(TOKENS, mine, PublishRequest(text="first"))
    clock.now = START + timedelta(minutes=10)
    second = await SandboxAdapter(clock=clock).publish(TOKENS, mine, PublishRequest(text="second"))
    await SandboxAdapter(clock=clock).publish(TOKENS, other, PublishRequest(text="elsewhere"))

    assert await SandboxAdapter().recent_posts(TOKENS, mine, START) == [
        RecentPost(
            platform_post_id=str(second.platform_post_id),
            text="second",
            created_at=START + timedelta(minutes=10),
            url=second.url,
        ),
        RecentPost(
            platform_post_id=str(first.platform_post_id),
            text="first",
            created_at=START,
            url=first.url,
        ),
    ]
    later = await SandboxAdapter().recent_posts(TOKENS, mine, START + timedelta(minutes=1))
    assert [post.text for post in later] == ["second"]


@pytest.mark.anyio
async def test_a_deleted_post_is_no_longer_listed() -> None:
    clock = Clock()
    mine = account()
    kept = await SandboxAdapter(clock=clock).publish(TOKENS, mine, PublishRequest(text="kept"))
    gone = await SandboxAdapter(clock=clock).publish(TOKENS, mine, PublishRequest(text="gone"))
    await SandboxAdapter().delete(TOKENS, mine, str(gone.platform_post_id))
    posts = await SandboxAdapter().recent_posts(TOKENS, mine, START)
    assert [post.platform_post_id for post in posts] == [kept.platform_post_id]


@pytest.mark.anyio
async def test_memory_keeps_the_last_posts_of_each_account() -> None:
    clock = Clock()
    mine = account()
    for number in range(REMEMBERED_POSTS + 5):
        clock.now = START + timedelta(seconds=number)
        await SandboxAdapter(clock=clock).publish(TOKENS, mine, PublishRequest(text=str(number)))
    posts = await SandboxAdapter().recent_posts(TOKENS, mine, START)
    assert len(posts) == REMEMBERED_POSTS
    assert posts[0].text == str(REMEMBERED_POSTS + 4)
    assert posts[-1].text == "5"


@pytest.mark.anyio
async def test_refused_publishing_is_not_remembered() -> None:
    mine = account()
    with pytest.raises(Permanent):
        await SandboxAdapter().publish(TOKENS, mine, PublishRequest(text="x" * 501))
    assert await SandboxAdapter().recent_posts(TOKENS, mine, START) == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fail_with", "error"),
    [("retryable", Retryable), ("reauth", ReauthRequired), ("permanent", Permanent)],
)
async def test_recent_posts_honour_fail_with(
    fail_with: FailureClass, error: type[PlatformError]
) -> None:
    with pytest.raises(error):
        await SandboxAdapter(fail_with=fail_with).recent_posts(TOKENS, account(), START)
