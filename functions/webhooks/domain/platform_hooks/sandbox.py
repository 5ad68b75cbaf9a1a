"""The sandbox platform's webhook events (functions/shared/sandbox_webhooks.py): one comment,
reply or mention each."""

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from functions.shared.engagement import Engagement, EngagementAuthor, PlatformNotice
from functions.shared.sandbox_webhooks import SandboxWebhook


def parse(payload: Mapping[str, Any]) -> list[Engagement | PlatformNotice]:
    event = SandboxWebhook.model_validate(payload)
    item = event.item
    return [
        Engagement(
            platform="sandbox",
            platform_account_id=event.account_id,
            platform_item_id=item.id,
            kind=item.kind,
            text=item.text,
            author=EngagementAuthor(
                platform_user_id=item.author.id, name=item.author.name, handle=item.author.handle
            ),
            created_at=item.created_at.astimezone(UTC),
            platform_post_id=item.post_id,
            parent_id=item.parent_id,
            thread_id=item.thread_id or item.parent_id or item.id,
        )
    ]
