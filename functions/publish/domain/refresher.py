"""The scheduled token refresher: renews platform tokens before they expire.

Runs every 30 minutes (an EventBridge rule) and renews every token expiring within the next
two hours, found through the sparse `by-token-expiry` index, never by scanning. A refresh the
platform refuses (or cannot do at all) marks the account `needs_reconnect` and announces it; a
temporary failure leaves the account alone for the next run, well before the token expires.
"""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from functions.publish.adapters.items import REFRESH_SHARDS, SocialAccountItem
from functions.publish.adapters.platforms.base import ReauthRequired, Retryable
from functions.publish.domain.platform_calls import adapter_for, http_client, refresh_tokens
from functions.shared.observability import logger
from functions.shared.problems import Problem
from functions.shared.tables import key, utc_now

HORIZON = timedelta(hours=2)


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
    try:
        async with http_client() as http:
            await refresh_tokens(item, adapter_for(item, http))
    except ReauthRequired:
        return "needs_reconnect"  # refresh_tokens marked the account and announced it
    except (Retryable, Problem) as temporary:
        logger.warning(
            "token refresh postponed",
            extra={"account_id": item.account_id, "reason": type(temporary).__name__},
        )
        return "postponed"
    return "renewed"
