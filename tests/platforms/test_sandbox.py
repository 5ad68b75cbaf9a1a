"""The built-in sandbox adapter: revocation succeeds, or fails in the class asked for."""

import pytest

from functions.publish.adapters.platforms.base import (
    Permanent,
    PlatformError,
    ReauthRequired,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.platforms.sandbox import SandboxAdapter
from functions.publish.domain.models import FailureClass

TOKENS = TokenSet(access_token="sandbox-token")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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
