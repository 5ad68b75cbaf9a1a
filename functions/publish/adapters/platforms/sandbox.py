"""The built-in sandbox platform: behaves like a platform without calling one.

It hands out post ids and URLs, enforces its published limits, and fails on demand in each
failure class (`fail_with`), so every error path of Herald can be tried locally.
"""

from ulid import ULID

from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    Permanent,
    PostStatus,
    PublishRequest,
    PublishResult,
    ReauthRequired,
    Retryable,
    TokenSet,
)
from functions.publish.domain.models import FailureClass
from functions.publish.domain.platforms import platform_info

BASE_URL = "https://sandbox.herald.invalid"
PLATFORM = "sandbox"


class SandboxAdapter:
    platform = PLATFORM

    def __init__(self, fail_with: FailureClass | None = None) -> None:
        self.fail_with = fail_with

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
        return PublishResult(
            state="published",
            platform_post_id=post_id,
            url=f"{BASE_URL}/{account.platform_account_id}/{post_id}",
        )

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

    async def comment(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str, text: str
    ) -> str:
        self._maybe_fail()
        return f"sb_{ULID()}"

    async def metrics(
        self, tokens: TokenSet, account: ConnectedAccount, platform_post_id: str
    ) -> dict[str, int]:
        self._maybe_fail()
        return {"impressions": 0, "likes": 0, "comments": 0, "shares": 0}

    async def revoke(self, tokens: TokenSet) -> bool:
        self._maybe_fail()
        return True
