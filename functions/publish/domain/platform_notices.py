"""What a platform's webhook says about an account or a target, acted on by the publish group.

The webhooks group's inbound processor found the Herald account (and the target, for a post
Herald published) by key and handed the notice over as an internal `platform.notice` event
(functions/shared/engagement.py). Here:

- `authorization_removed` (the user withdrew Herald's access at the platform, Meta's
  deauthorization callback, TikTok's `authorization.removed`): the account becomes
  `needs_reconnect`, with its `account.needs_reconnect` event, as a refused token makes it.
- `publish_complete` and `publish_failed` (TikTok's publish webhooks): the target's status check
  runs at once in the publish worker instead of at its next scheduled check. The check asks the
  platform, so the outcome is the platform's answer, not the webhook's word.

- `data_deletion_requested` (Meta's data deletion request callback): the account is removed as a
  disconnect removes it (tokens and links deleted, `account.disconnected` by
  `platform:<platform>`, no revocation: the user removed the app already) and crossed off the
  request (functions/shared/data_deletions.py, the code in the notice's `detail`), whose status
  page shows `completed` once every account it named is.

Anything else (a new video on a channel) needs nothing from publishing. Each event is handled
once (`first_receipt`).
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.publish.adapters import worker_calls
from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.post_items import TargetItem
from functions.publish.domain.accounts import remove_account
from functions.publish.domain.platform_calls import mark_needs_reconnect
from functions.shared import data_deletions
from functions.shared.events import first_receipt, forget_receipt
from functions.shared.observability import logger

CONSUMER = "publish-notices"
REASONS = {
    "authorization_removed": "The platform says Herald's access was removed; reconnect the account."
}


class _Notice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    account_id: str = Field(max_length=64)
    platform: str = Field(max_length=32)
    kind: str = Field(max_length=64)
    platform_post_id: str | None = None
    post_id: str | None = Field(None, max_length=64)
    target_id: str | None = Field(None, max_length=64)
    detail: str | None = None


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(max_length=64)
    workspace_id: str = Field(max_length=64)
    data: _Notice


Outcome = Literal[
    "duplicate", "needs_reconnect", "check_started", "gone", "ignored", "data_deleted"
]


def handle_notice(envelope: dict[str, Any]) -> Outcome:
    event = _Envelope.model_validate(envelope)
    if not first_receipt(CONSUMER, event.id):
        return "duplicate"
    try:
        return _act(event.workspace_id, event.data, event.id)
    except Exception:
        forget_receipt(CONSUMER, event.id)
        raise


def _act(workspace_id: str, notice: _Notice, event_id: str) -> Outcome:
    logger.append_keys(workspace_id=workspace_id, account_id=notice.account_id)
    if notice.kind in REASONS:
        account = SocialAccountItem.find(workspace_id, notice.account_id)
        if account is None:
            return "gone"
        if account.status != "needs_reconnect":
            mark_needs_reconnect(account, REASONS[notice.kind])
        logger.info("account marked needs_reconnect by its platform", extra={"kind": notice.kind})
        return "needs_reconnect"
    if notice.kind == "data_deletion_requested":
        account = SocialAccountItem.find(workspace_id, notice.account_id)
        if account is not None:
            remove_account(account, f"platform:{account.platform}")
        if notice.detail:
            data_deletions.account_deleted(notice.detail, workspace_id, notice.account_id)
        logger.info("account removed at its user's data deletion request")
        return "data_deleted"
    if notice.kind in ("publish_complete", "publish_failed"):
        if notice.post_id is None or notice.target_id is None:
            return "gone"  # not a publishing of Herald's, or its link has expired
        target = TargetItem.find(workspace_id, notice.post_id, notice.target_id)
        if target is None or target.state != "processing":
            return "gone"
        worker_calls.start(
            {
                "herald": "advance-target",
                "workspace_id": workspace_id,
                "post_id": notice.post_id,
                "account_id": notice.target_id,
                "step": f"notice:{event_id}",
                "notified": True,
            }
        )
        return "check_started"
    return "ignored"
