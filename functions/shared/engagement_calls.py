"""What the inbox (webhooks group) asks of the publish group's engagement function, and what it
answers: one synchronous Lambda invocation per reply, hide, unhide or delete, and per look-up
of a mention whose webhook carried only its ids (the inbound processor).

The publish group holds the platform tokens, so the platform call happens there; the webhooks
group records the outcome. Both sides build and read these shapes here, never by hand. A
failure is an answer (`outcome` other than `done`), not an exception, so that the caller can
tell "the platform refused, nothing was sent" from "the function failed, it may have been sent".
"""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from functions.shared.engagement import Engagement, EngagementAuthor

EngagementAction = Literal["reply", "hide", "unhide", "delete"]
CallAction = EngagementAction | Literal["look_up"]
# done: the platform did it. not_supported: the platform offers no way to (nothing sent).
# refused: the platform refused it (nothing sent). reconnect: the account's authorization is
# gone. retry_later: a temporary failure; `maybe_sent` says whether the platform may have acted.
Outcome = Literal["done", "not_supported", "refused", "reconnect", "retry_later"]

TASK = "engagement"


def engagement_to_json(engagement: Engagement) -> dict[str, Any]:
    plain = asdict(engagement)
    plain["created_at"] = engagement.created_at.isoformat() if engagement.created_at else None
    return plain


def engagement_from_json(plain: dict[str, Any]) -> Engagement:
    created_at = plain.get("created_at")
    return Engagement(
        **{
            **plain,
            "author": EngagementAuthor(**plain["author"]),
            "created_at": datetime.fromisoformat(created_at) if created_at else None,
        }
    )


@dataclass(frozen=True, slots=True)
class EngagementCall:
    workspace_id: str
    account_id: str
    action: CallAction
    engagement: Engagement
    text: str | None = None  # the reply's text

    def to_event(self) -> dict[str, Any]:
        return {
            "herald": TASK,
            "workspace_id": self.workspace_id,
            "account_id": self.account_id,
            "action": self.action,
            "engagement": engagement_to_json(self.engagement),
            "text": self.text,
        }

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> "EngagementCall":
        return cls(
            workspace_id=str(event["workspace_id"]),
            account_id=str(event["account_id"]),
            action=event["action"],
            engagement=engagement_from_json(event["engagement"]),
            text=event.get("text"),
        )


@dataclass(frozen=True, slots=True)
class EngagementAnswer:
    outcome: Outcome
    platform: str
    message: str | None = None  # the platform's or Herald's words, when not done
    # The reply as the platform has it (action `reply`), or the mention looked up (`look_up`).
    reply: Engagement | None = None
    maybe_sent: bool = False
    retry_after: float | None = None

    def to_json(self) -> dict[str, Any]:
        plain = asdict(self)
        plain["reply"] = engagement_to_json(self.reply) if self.reply else None
        return plain

    @classmethod
    def from_json(cls, plain: dict[str, Any]) -> "EngagementAnswer":
        reply = plain.get("reply")
        return cls(**{**plain, "reply": engagement_from_json(reply) if reply else None})
