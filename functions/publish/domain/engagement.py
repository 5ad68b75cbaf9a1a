"""Replying to, hiding, unhiding and deleting comments and mentions on the platforms, for the
inbox (the webhooks group records the outcome; functions/shared/engagement_calls.py), and
looking up a mention whose webhook carried only its ids, for the inbound processor.

The account's tokens are opened here, where they live, and the adapter's `EngagementAdapter`
method is called through `call_platform` (one refresh on a refused token). Every platform
failure becomes an answer the caller can act on; nothing here writes the inbox.
"""

import asyncio
from dataclasses import replace

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    MentionLookUp,
    NotSupported,
    Permanent,
    PlatformAdapter,
    ReauthRequired,
    Retryable,
    TokenSet,
)
from functions.publish.domain.platform_calls import call_platform
from functions.shared.engagement import Engagement
from functions.shared.engagement_calls import EngagementAnswer, EngagementCall


async def _perform(call: EngagementCall, item: SocialAccountItem) -> Engagement | None:
    async def operation(
        adapter: PlatformAdapter, tokens: TokenSet, account: ConnectedAccount
    ) -> Engagement | None:
        if call.action == "look_up":
            if not isinstance(adapter, MentionLookUp):
                raise NotSupported(
                    adapter.platform,
                    f"{adapter.platform} mentions arrive whole; there is nothing to look up.",
                )
            return await adapter.look_up_mention(tokens, account, call.engagement)
        if call.action == "reply":
            return await adapter.reply_to_engagement(
                tokens, account, call.engagement, call.text or ""
            )
        if call.action == "delete":
            await adapter.delete_engagement(tokens, account, call.engagement)
        else:
            await adapter.hide_engagement(
                tokens, account, call.engagement, hidden=call.action == "hide"
            )
        return None

    return await call_platform(item, operation)


def perform(call: EngagementCall) -> EngagementAnswer:
    platform = call.engagement.platform
    item = SocialAccountItem.find(call.workspace_id, call.account_id)
    if item is None or item.platform != platform:
        return EngagementAnswer(
            outcome="reconnect", platform=platform, message="The account is no longer connected."
        )
    if item.status == "needs_reconnect":
        return EngagementAnswer(
            outcome="reconnect",
            platform=platform,
            message=f"The {platform} account needs reconnecting first.",
        )
    # The inbox does not know the account's id on the platform; the account does.
    call = replace(
        call, engagement=replace(call.engagement, platform_account_id=item.platform_account_id)
    )
    try:
        reply = asyncio.run(_perform(call, item))
    except NotSupported as unsupported:
        return EngagementAnswer(
            outcome="not_supported", platform=platform, message=unsupported.message
        )
    except ReauthRequired as refused:
        return EngagementAnswer(outcome="reconnect", platform=platform, message=refused.message)
    except Permanent as refused:
        return EngagementAnswer(outcome="refused", platform=platform, message=refused.message)
    except Retryable as later:
        return EngagementAnswer(
            outcome="retry_later",
            platform=platform,
            message=later.message,
            maybe_sent=later.maybe_sent,
            retry_after=later.retry_after,
        )
    return EngagementAnswer(outcome="done", platform=platform, reply=reply)
