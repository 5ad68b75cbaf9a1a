"""Request and response bodies of `/v1/notifications`."""

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from functions.webhooks.domain.notifications_rules import RULES

# Literal of the notified types, so that the OpenAPI document lists them and others get a 422.
NotifiedEventType = Literal[
    "post.approval_requested",
    "post.approved",
    "post.rejected",
    "post.failed",
    "post.partially_failed",
    "account.needs_reconnect",
    "member.joined",
    "member.removed",
    "webhook.endpoint_disabled",
    "comment.received",
    "mention.received",
]
assert set(get_args(NotifiedEventType)) == set(RULES), "keep NotifiedEventType in step with RULES"


class NotificationLink(BaseModel):
    post_id: str | None = Field(None, description="The post it is about, if any.")
    account_id: str | None = Field(None, description="The social account it is about, if any.")
    user_id: str | None = Field(None, description="The member it is about, if any.")
    endpoint_id: str | None = Field(None, description="The webhook endpoint it is about, if any.")


class Notification(BaseModel):
    id: str = Field(description="The notification's id (a ULID; newer ones sort later).")
    event_type: str = Field(description="The event that caused it, e.g. `post.failed`.")
    event_id: str = Field(description="The id of that event (`evt_...`).")
    title: str = Field(description="One line to show.")
    body: str = Field(description="A sentence or two saying what happened.")
    link: NotificationLink = Field(description="Ids of what it is about, to link to.")
    created_at: str = Field(description="When it was created (RFC 3339, UTC).")
    read_at: str | None = Field(description="When it was marked read; null while unread.")


class UnreadCount(BaseModel):
    unread: int = Field(description="The caller's unread notifications in this workspace.")


class ReadAll(BaseModel):
    marked_read: int = Field(description="How many notifications this call marked read.")


class ChannelChoice(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_type": "post.failed",
                    "in_app": True,
                    "email_instant": False,
                    "email_digest": True,
                }
            ]
        },
    )

    event_type: NotifiedEventType = Field(description="The event type these choices are for.")
    in_app: bool = Field(description="Show it in the dashboard's list (and count it unread).")
    email_instant: bool = Field(description="Email it as soon as it happens.")
    email_digest: bool = Field(description="Include it in the daily digest email.")


class Preferences(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_types": [
                        {
                            "event_type": "post.failed",
                            "in_app": True,
                            "email_instant": False,
                            "email_digest": True,
                        }
                    ]
                }
            ]
        },
    )

    event_types: list[ChannelChoice] = Field(
        max_length=len(RULES),
        description="Per event type, which channels deliver it. In a `PUT`, the types listed "
        "are set and the others keep their choices; each type at most once.",
    )


class Unsubscribed(BaseModel):
    event_type: str = Field(description="The event type turned off (`*`: every type).")
    channel: str = Field(description="The channel turned off.")
