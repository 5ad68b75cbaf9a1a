"""The scheduled token refresher: renews platform tokens before they expire.

Runs every 30 minutes (an EventBridge rule) and renews every token expiring within the next
two hours, found through the sparse `by-token-expiry` index, never by scanning. A refresh the
platform refuses (or cannot do at all) marks the account `needs_reconnect` and announces it; a
temporary failure leaves the account alone for the next run, well before the token expires.
"""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import httpx

from functions.publish.adapters import registry, token_vault
from functions.publish.adapters.items import REFRESH_SHARDS, SocialAccountItem
from functions.publish.adapters.platforms.base import Permanent, ReauthRequired, Retryable
from functions.shared.events import publish_event
from functions.shared.observability import logger
from functions.shared.problems import Problem
from functions.shared.tables import key, utc_now

HORIZON = timedelta(hours=2)
HTTP_TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass
class RefreshReport:
    renewed: int = 0
    needs_reconnect: int = 0
    postponed: int = 0


def due_accounts() -> list[tuple[str, str]]:
    """(workspace, account) of every token expiring before the horizon, across the shards."""
    limit = utc_now() + HORIZON
    return [
        (entry.workspace_id, entry.account_id)
        for shard in range(REFRESH_SHARDS)
        for entry in SocialAccountItem.by_token_expiry.query(
            key("TOKENS", str(shard)), SocialAccountItem.token_expires_at <= limit
        )
    ]


def refresh_due_tokens() -> RefreshReport:
    report = RefreshReport()
    for workspace_id, account_id in due_accounts():
        item = SocialAccountItem.find(workspace_id, account_id)
        if item is None or item.status != "active":
            continue
        outcome = asyncio.run(_refresh(item))
        setattr(report, outcome, getattr(report, outcome) + 1)
    logger.info("token refresh finished", extra=vars(report))
    return report


async def _refresh(item: SocialAccountItem) -> str:
    tokens = token_vault.unseal(
        item.sealed_tokens, workspace_id=item.workspace_id, account_id=item.account_id
    )
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            renewed = await registry.oauth_adapter(item.platform, http).refresh(tokens)
    except (ReauthRequired, Permanent) as refused:
        item.update(
            actions=[
                SocialAccountItem.status.set("needs_reconnect"),
                SocialAccountItem.last_error.set(refused.message),
                SocialAccountItem.token_refresh_bucket.remove(),
            ]
        )
        publish_event(
            "publish",
            "account.needs_reconnect",
            {
                "workspace_id": item.workspace_id,
                "account_id": item.account_id,
                "reason": refused.message,
            },
        )
        return "needs_reconnect"
    except (Retryable, Problem) as temporary:
        logger.warning(
            "token refresh postponed",
            extra={"account_id": item.account_id, "reason": type(temporary).__name__},
        )
        return "postponed"
    item.update(
        actions=[
            SocialAccountItem.sealed_tokens.set(
                token_vault.seal(
                    renewed, workspace_id=item.workspace_id, account_id=item.account_id
                )
            ),
            SocialAccountItem.token_expires_at.set(renewed.expires_at)
            if renewed.expires_at
            else SocialAccountItem.token_expires_at.remove(),
            SocialAccountItem.token_refresh_bucket.set(
                SocialAccountItem.refresh_bucket(item.account_id)
            )
            if renewed.expires_at
            else SocialAccountItem.token_refresh_bucket.remove(),
            SocialAccountItem.last_error.remove(),
        ]
    )
    return "renewed"
