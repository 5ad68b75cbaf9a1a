"""Calling a platform for a connected account, with its tokens kept fresh.

`call_platform` opens the account's sealed tokens, runs one adapter operation, and when the
platform refuses the token it refreshes it once, stores the new one and retries once. If the
refresh is refused too, or the retry still is, the account becomes `needs_reconnect` and
`account.needs_reconnect` goes on the bus: the user must sign in to the platform again.
Temporary failures (`Retryable`) pass through untouched: they never mark an account.
"""

from collections.abc import Awaitable, Callable

import httpx

from functions.publish.adapters import registry, token_vault
from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    Permanent,
    PlatformAdapter,
    ReauthRequired,
    TokenSet,
)
from functions.publish.adapters.platforms.sandbox import SandboxAdapter
from functions.shared.destinations import tls_context
from functions.shared.events import DomainEvent, write_event
from functions.shared.tables import transaction, utc_now

HTTP_TIMEOUT = httpx.Timeout(20.0, connect=5.0)


def http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT, verify=tls_context())


def adapter_for(item: SocialAccountItem, http: httpx.AsyncClient) -> PlatformAdapter:
    if item.platform == "sandbox":
        return SandboxAdapter(fail_with=(item.options or {}).get("fail_with"))
    return registry.oauth_adapter(item.platform, http)


def connected(item: SocialAccountItem) -> ConnectedAccount:
    return ConnectedAccount(
        platform_account_id=item.platform_account_id,
        name=item.name,
        handle=item.handle,
        avatar_url=item.avatar_url,
        kind=item.kind,
    )


def store_tokens(item: SocialAccountItem, tokens: TokenSet) -> None:
    """Seal and store renewed tokens; a token with an expiry goes on the refresher's index."""
    sealed = token_vault.seal(tokens, workspace_id=item.workspace_id, account_id=item.account_id)
    expires_at = tokens.expires_at
    item.update(
        actions=[
            SocialAccountItem.sealed_tokens.set(sealed),
            SocialAccountItem.token_expires_at.set(expires_at)
            if expires_at is not None
            else SocialAccountItem.token_expires_at.remove(),
            SocialAccountItem.token_refresh_bucket.set(
                SocialAccountItem.refresh_bucket(item.account_id)
            )
            if expires_at is not None
            else SocialAccountItem.token_refresh_bucket.remove(),
            SocialAccountItem.status.set("active"),
            SocialAccountItem.last_error.remove(),
        ]
    )


def mark_needs_reconnect(item: SocialAccountItem, reason: str) -> None:
    """Mark the account and announce it, in one transaction (conditional on the version read)."""
    with transaction() as write:
        write.update(
            item,
            actions=[
                SocialAccountItem.status.set("needs_reconnect"),
                SocialAccountItem.last_error.set(reason),
                SocialAccountItem.last_checked_at.set(utc_now()),
                SocialAccountItem.token_refresh_bucket.remove(),
            ],
        )
        write_event(
            write,
            DomainEvent(
                "publish",
                "account.needs_reconnect",
                item.workspace_id,
                {"account_id": item.account_id, "reason": reason},
            ),
        )


async def refresh_tokens(item: SocialAccountItem, adapter: PlatformAdapter) -> TokenSet:
    """Renew the account's tokens; a refusal marks the account and re-raises ReauthRequired."""
    tokens = token_vault.unseal(
        item.sealed_tokens, workspace_id=item.workspace_id, account_id=item.account_id
    )
    try:
        renewed = await adapter.refresh(tokens)
    except (ReauthRequired, Permanent) as refused:
        mark_needs_reconnect(item, refused.message)
        raise ReauthRequired(refused.platform, refused.message, code=refused.code) from None
    store_tokens(item, renewed)
    return renewed


async def call_platform[T](
    item: SocialAccountItem,
    operation: Callable[[PlatformAdapter, TokenSet, ConnectedAccount], Awaitable[T]],
) -> T:
    tokens = token_vault.unseal(
        item.sealed_tokens, workspace_id=item.workspace_id, account_id=item.account_id
    )
    async with http_client() as http:
        adapter = adapter_for(item, http)
        account = connected(item)
        try:
            return await operation(adapter, tokens, account)
        except ReauthRequired:
            renewed = await refresh_tokens(item, adapter)
        try:
            return await operation(adapter, renewed, account)
        except ReauthRequired as still:
            mark_needs_reconnect(item, still.message)
            raise
