"""Comments, replies and mentions as Herald keeps them, whatever platform they come from.

Two groups meet here: the webhooks group turns verified platform webhooks into these (its
processor, docs/inbox.md), and the publish group's adapters list them where a platform has no
webhook (polling) and answer, hide or delete them. Both hand over the same shapes.
"""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, get_args

EngagementKind = Literal["comment", "reply", "mention"]
NoticeKind = Literal[
    "publish_complete",  # the platform finished publishing a post Herald sent (TikTok)
    "publish_failed",
    "authorization_removed",  # the user withdrew Herald's access at the platform
    "data_deletion_requested",  # Meta's data deletion request callback
    "video_published",  # a channel's feed announced a video (YouTube WebSub)
]


@dataclass(frozen=True, slots=True)
class EngagementAuthor:
    platform_user_id: str | None = None
    name: str | None = None
    handle: str | None = None
    avatar_url: str | None = None


@dataclass(frozen=True, slots=True)
class Engagement:
    """One comment, reply or mention on a platform.

    `platform_account_id` is the connected account it arrived for (a page, Instagram or X user,
    channel, organization); `platform_post_id` the post it is on (a comment or reply) or the
    post that mentions the account (a mention); `parent_id` the comment a reply answers;
    `thread_id` the root of its conversation (the top-level comment, or the post).
    """

    platform: str
    platform_account_id: str
    platform_item_id: str
    kind: EngagementKind
    text: str
    author: EngagementAuthor
    created_at: datetime | None = None  # aware UTC
    platform_post_id: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    permalink: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """JSON-ready, for a queue message: `from_payload` gives the same engagement back."""
        payload = asdict(self)
        payload["created_at"] = self.created_at.isoformat() if self.created_at else None
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "Engagement":
        if payload["kind"] not in get_args(EngagementKind):
            raise ValueError(f"not an engagement kind: {payload['kind']!r}")
        created_at = payload.get("created_at")
        return cls(
            **{
                **payload,
                "author": EngagementAuthor(**payload["author"]),
                "created_at": datetime.fromisoformat(created_at) if created_at else None,
            }
        )


@dataclass(frozen=True, slots=True)
class PlatformNotice:
    """Something a platform's webhook says about an account or a post rather than a comment."""

    platform: str
    platform_account_id: str
    kind: NoticeKind
    platform_post_id: str | None = None
    detail: str | None = None  # the platform's own words (a failure reason), bounded by the parser


# The processor hands each notice about a Herald account to the publish group, which owns
# accounts and targets, as an internal event (`DomainEvent(..., internal=True)`: never sent to
# customers) of this type; its data is `notice_data(...)`.
PLATFORM_NOTICE_EVENT = "platform.notice"


def notice_data(
    notice: PlatformNotice, account_id: str, post_id: str | None, target_id: str | None
) -> dict[str, str | None]:
    return {
        "account_id": account_id,
        "platform": notice.platform,
        "kind": notice.kind,
        "platform_post_id": notice.platform_post_id,
        "post_id": post_id,
        "target_id": target_id,
        "detail": notice.detail,
    }
