"""The event catalogue: every domain event Herald emits, its `data` model, version and example.

One module every group imports (pydantic only, no web framework, no AWS): emitters build an
event's `data` by constructing its model here, so what goes on the bus is what the catalogue
says; the webhooks group lists the catalogue (`GET /v1/webhooks/event-types`) and publishes it
as the OpenAPI document's `webhooks` section. See docs/event-catalogue.md.

Within a version, fields are only ever added: consumers ignore fields they do not know (the
models ignore them too). A change that removes or changes the meaning of a field is a new
version. A field that may be null may also be left out (the OpenAPI document's examples leave
nulls out).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

# The group whose changes an event describes: its bus source is `herald.<group>`.
EmittingGroup = Literal["auth", "publish", "media", "webhooks"]


class EventData(BaseModel):
    """The `data` of an event; `data()` is what an emitter puts in the envelope."""

    def data(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# --- posts ---------------------------------------------------------------------------------------


class ScheduledTarget(BaseModel):
    account_id: str = Field(description="The connected account the post will publish with.")


class PostScheduledData(EventData):
    post_id: str = Field(description="The post's id (a ULID).")
    scheduled_at: datetime = Field(description="When it will publish (RFC 3339, UTC).")
    timezone: str = Field(description="The IANA timezone the time was given in.")
    targets: list[ScheduledTarget] = Field(description="The accounts it will publish with.")


# The posts API's TargetError as it is in version 1 of the events: an event's schema changes only
# with its version, not with the API's models.
class TargetFailure(BaseModel):
    code: str = Field(description="Machine-readable error code, from the platform or Herald.")
    message: str = Field(description="What went wrong, in words.")
    failure_class: Literal["retryable", "reauth", "permanent", "preflight", "unknown"] = Field(
        description="`reauth` needs the account reconnected; `permanent` and `preflight` need "
        "the post changed."
    )


class SettledTarget(BaseModel):
    account_id: str = Field(description="The target's account id.")
    platform: str = Field(description="The account's platform, e.g. `x` or `linkedin`.")
    state: Literal["published", "failed"] = Field(description="How the target ended.")
    platform_post_id: str | None = Field(
        None, description="The post's id on the platform, when it published."
    )
    url: str | None = Field(
        None, description="Public link to the post, where the platform gives one."
    )
    error: TargetFailure | None = Field(None, description="Why the target failed, when it did.")
    attempts: int = Field(description="Publishing attempts made.")


class PostSettledData(EventData):
    post_id: str = Field(description="The post's id (a ULID).")
    status: Literal["published", "partially_failed", "failed"] = Field(
        description="The post's final status: every target published, some did, or none did."
    )
    targets: list[SettledTarget] = Field(description="Each target's outcome.")


class PostApprovalRequestedData(EventData):
    post_id: str = Field(description="The post's id (a ULID).")
    revision: int = Field(description="The revision submitted; an edit needs a new approval.")
    submitted_by: str = Field(description="Who submitted it: `user:<id>` or `api_key:<id>`.")
    requested_at: datetime | None = Field(
        None,
        description="When the submitter wants it published once approved; null: it stays a "
        "draft once approved.",
    )


class PostDecisionData(EventData):
    post_id: str = Field(description="The post's id (a ULID).")
    revision: int = Field(description="The revision decided on.")
    status: Literal["scheduled", "draft"] = Field(
        description="The post's status after the decision: `scheduled` when it was approved "
        "with a publish time still ahead, else `draft`."
    )
    submitted_by: str | None = Field(None, description="Who submitted it for approval.")
    decided_by: str = Field(description="Who approved or rejected it: `user:<id>`.")
    decided_at: datetime = Field(description="When it was decided (RFC 3339, UTC).")
    comment: str | None = Field(
        None, description="The reviewer's comment (always given on rejection)."
    )


# --- accounts ------------------------------------------------------------------------------------


class AccountConnectedData(EventData):
    account_id: str = Field(description="The account's id in Herald (a ULID).")
    platform: str = Field(description="The platform, e.g. `x`, `linkedin` or `sandbox`.")
    platform_account_id: str = Field(description="The account's id on the platform.")
    name: str = Field(description="Display name on the platform.")
    handle: str | None = Field(None, description="Username on the platform, where it has one.")
    connected_by: str = Field(description="Who connected it: `user:<id>` or `api_key:<id>`.")
    reconnected: bool = Field(
        description="True when an identity connected before was connected again (its account "
        "id is kept and it is active again, e.g. after `account.needs_reconnect`)."
    )


class AccountNeedsReconnectData(EventData):
    account_id: str = Field(description="The account's id in Herald (a ULID).")
    reason: str = Field(description="Why the platform refused the account's tokens, in words.")
    platform: str | None = Field(None, description="The account's platform.")
    name: str | None = Field(None, description="Display name on the platform.")
    handle: str | None = Field(None, description="Username on the platform, where it has one.")


class AccountDisconnectedData(EventData):
    account_id: str = Field(description="The account's id in Herald (a ULID), now gone.")
    platform: str = Field(description="The account's platform.")
    platform_account_id: str = Field(description="The account's id on the platform.")
    name: str = Field(description="Display name on the platform.")
    handle: str | None = Field(None, description="Username on the platform, where it has one.")
    disconnected_by: str = Field(
        description="Who disconnected it: `user:<id>`, `api_key:<id>`, or `platform:<platform>` "
        "(the platform's user asked for their data to be deleted)."
    )


# --- media ---------------------------------------------------------------------------------------


class MediaAssetReadyData(EventData):
    asset_id: str = Field(description="The asset's id (a ULID); posts attach media by it.")
    kind: Literal["image", "gif", "video", "audio"] = Field(description="What the file is.")
    name: str = Field(description="The file's name in the library.")
    content_type: str = Field(description="The type the file's bytes were identified as.")
    size_bytes: int = Field(description="The file's size in bytes.")
    width: int | None = Field(None, description="Width in pixels as displayed; null for audio.")
    height: int | None = Field(None, description="Height in pixels as displayed; null for audio.")
    duration_seconds: float | None = Field(None, description="Length of a video or audio file.")
    source_asset_id: str | None = Field(None, description="The asset it was made from, if any.")
    job_id: str | None = Field(None, description="The media job that made it, if one did.")
    created_by: str = Field(description="Who added it: `user:<id>` or `api_key:<id>`.")


class MediaJobSucceededData(EventData):
    job_id: str = Field(description="The media job's id (a ULID).")
    operation: str = Field(description="The job's operation type, e.g. `trim` or `transcode`.")
    input_asset_ids: list[str] = Field(description="The assets the job read.")
    asset_id: str = Field(description="The asset the job made (its output), now in the library.")


class MediaJobFailedData(EventData):
    job_id: str = Field(description="The media job's id (a ULID).")
    operation: str = Field(description="The job's operation type, e.g. `trim` or `transcode`.")
    error: str | None = Field(None, description="Why it failed, in the user's words.")


# --- members and workspaces ----------------------------------------------------------------------


class MemberJoinedData(EventData):
    user_id: str = Field(description="The new member's user id (a ULID).")
    role: Literal["owner", "admin", "editor", "viewer"] = Field(description="Their role.")
    invite_id: str = Field(description="The invitation they accepted.")
    invited_by: str = Field(description="Who invited them: `user:<id>`.")


class MemberRemovedData(EventData):
    user_id: str = Field(description="The former member's user id (a ULID).")
    role: Literal["owner", "admin", "editor", "viewer"] = Field(description="The role they had.")
    removed_by: str = Field(description="Who removed them: `user:<id>` (themselves if they left).")
    left: bool = Field(description="True when the member left on their own.")


class WorkspaceDeletedData(EventData):
    deleted_by: str = Field(description="Who deleted it: `user:<id>`.")


class WebhookEndpointDisabledData(EventData):
    endpoint_id: str = Field(description="The webhook endpoint Herald disabled.")
    reason: str = Field(
        description="Why: it answered 410 Gone, or no delivery to it succeeded for 5 days."
    )
    failing_since: datetime = Field(
        description="Since when its deliveries had been failing (RFC 3339, UTC)."
    )


class WebhookTestData(EventData):
    endpoint_id: str = Field(description="The endpoint the test was sent to.")
    message: str = Field(description="A note saying this is a test; nothing changed.")


# --- the engagement inbox ------------------------------------------------------------------------


class EngagementAuthorData(BaseModel):
    platform_user_id: str | None = Field(None, description="The author's id on the platform.")
    name: str | None = Field(None, description="The author's display name.")
    handle: str | None = Field(None, description="The author's username, where it has one.")
    avatar_url: str | None = Field(None, description="Link to the author's picture.")


class EngagementReceivedData(EventData):
    item_id: str = Field(description="The inbox item's id (a ULID): `GET /v1/inbox/{item_id}`.")
    account_id: str = Field(description="The Herald account it arrived for.")
    platform: str = Field(description="The platform, e.g. `instagram` or `sandbox`.")
    kind: Literal["comment", "reply", "mention"] = Field(
        description="A comment on a post, a reply to a comment, or a mention of the account."
    )
    platform_item_id: str = Field(description="The comment's or mention's id on the platform.")
    text: str = Field(description="What it says (at most 10,000 characters).")
    author: EngagementAuthorData = Field(description="Who wrote it.")
    created_at: datetime | None = Field(
        None, description="When it was written, as the platform says (RFC 3339, UTC)."
    )
    post_id: str | None = Field(
        None, description="The Herald post it is on, when it is on a post Herald published."
    )
    target_id: str | None = Field(
        None, description="That post's target (its account id), when it is on one of ours."
    )
    platform_post_id: str | None = Field(
        None, description="The platform's id of the post it is on, or that mentions the account."
    )
    parent_id: str | None = Field(None, description="The platform id of the comment it answers.")
    thread_id: str | None = Field(None, description="The platform id of its conversation's root.")
    permalink: str | None = Field(
        None, description="Public link to it, where the platform has one."
    )


# --- the catalogue -------------------------------------------------------------------------------


# Compared and hashed by identity: each type is one entry of the catalogue.
@dataclass(frozen=True, slots=True, eq=False)
class EventType:
    name: str
    description: str
    emitted_by: EmittingGroup
    recipients: str
    model: type[EventData]
    example: dict[str, Any]
    version: int = 1


WEBHOOK_ENDPOINTS = "webhook endpoints of the workspace subscribed to it"
POST_ID = "01JQ7ZK4V8X3N5R2T6W9Y0B1C2"
ACCOUNT_ID = "01JQ7ZM2D4F6H8K0N3P5R7T9V1"
OTHER_ACCOUNT_ID = "01JQ7ZM9X1Z3B5D7F9H2K4M6P8"
USER_ID = "01JQ7ZNAC3E5G7J9M1Q4S6V8X0"
ADMIN = "user:01JQ7ZP8R0T2W4Y6A9C1E3G5J7"
ASSET_ID = "01JQ7ZQ6M8P0S2V4X7Z9B1D3F5"
JOB_ID = "01JQ7ZR4H6K8N0Q3S5V7X9Z1B3"
PUBLISHED = {
    "account_id": ACCOUNT_ID,
    "platform": "x",
    "state": "published",
    "platform_post_id": "1869423503512399872",
    "url": "https://x.com/heraldapp/status/1869423503512399872",
    "error": None,
    "attempts": 1,
}
FAILED = {
    "account_id": OTHER_ACCOUNT_ID,
    "platform": "linkedin",
    "state": "failed",
    "platform_post_id": None,
    "url": None,
    "error": {
        "code": "token_revoked",
        "message": "LinkedIn no longer accepts this account's access; reconnect it.",
        "failure_class": "reauth",
    },
    "attempts": 1,
}
DECISION = {
    "post_id": POST_ID,
    "revision": 3,
    "submitted_by": f"user:{USER_ID}",
    "decided_by": ADMIN,
    "decided_at": "2025-05-01T08:12:40Z",
}
ACCOUNT = {
    "account_id": ACCOUNT_ID,
    "platform": "x",
    "platform_account_id": "1602318394812452864",
    "name": "Herald",
    "handle": "heraldapp",
}
ROLE_HOLDERS = "in-app and email: the workspace's admins and owners"
AUTHOR_AND_ADMINS = "in-app and email: the post's author, and admins and owners"
INBOX_WATCHERS = "in-app: who connected the account, and admins and owners"
ENGAGEMENT = {
    "item_id": "01JQ7ZW3B5D7F9H1K3M5P7R9T1",
    "account_id": ACCOUNT_ID,
    "platform": "instagram",
    "platform_item_id": "17858893269000001",
    "author": {
        "platform_user_id": "17841405309211844",
        "name": "Ada Baker",
        "handle": "ada.bakes",
        "avatar_url": None,
    },
    "created_at": "2025-05-02T09:14:03Z",
    "permalink": None,
}

CATALOGUE: tuple[EventType, ...] = (
    EventType(
        "post.scheduled",
        "A post was scheduled (or rescheduled) to publish at a time.",
        "publish",
        WEBHOOK_ENDPOINTS,
        PostScheduledData,
        {
            "post_id": POST_ID,
            "scheduled_at": "2025-05-02T07:30:00Z",
            "timezone": "Europe/Paris",
            "targets": [{"account_id": ACCOUNT_ID}, {"account_id": OTHER_ACCOUNT_ID}],
        },
    ),
    EventType(
        "post.published",
        "Every target of a post published.",
        "publish",
        f"{WEBHOOK_ENDPOINTS}; in-app: the post's author",
        PostSettledData,
        {"post_id": POST_ID, "status": "published", "targets": [PUBLISHED]},
    ),
    EventType(
        "post.partially_failed",
        "A post finished publishing with some targets published and some failed.",
        "publish",
        f"{WEBHOOK_ENDPOINTS}; {AUTHOR_AND_ADMINS}",
        PostSettledData,
        {"post_id": POST_ID, "status": "partially_failed", "targets": [PUBLISHED, FAILED]},
    ),
    EventType(
        "post.failed",
        "A post finished publishing with every target failed.",
        "publish",
        f"{WEBHOOK_ENDPOINTS}; {AUTHOR_AND_ADMINS}",
        PostSettledData,
        {"post_id": POST_ID, "status": "failed", "targets": [FAILED]},
    ),
    EventType(
        "post.approval_requested",
        "A post's revision was submitted for approval (approval is on for the workspace).",
        "publish",
        f"{WEBHOOK_ENDPOINTS}; {ROLE_HOLDERS}",
        PostApprovalRequestedData,
        {
            "post_id": POST_ID,
            "revision": 3,
            "submitted_by": f"user:{USER_ID}",
            "requested_at": "2025-05-02T07:30:00Z",
        },
    ),
    EventType(
        "post.approved",
        "An admin approved the post's submitted revision; it is scheduled if its time is ahead.",
        "publish",
        f"{WEBHOOK_ENDPOINTS}; in-app and email: the submitter",
        PostDecisionData,
        {**DECISION, "status": "scheduled", "comment": None},
    ),
    EventType(
        "post.rejected",
        "An admin rejected the post's submitted revision; it is a draft again.",
        "publish",
        f"{WEBHOOK_ENDPOINTS}; in-app and email: the submitter",
        PostDecisionData,
        {**DECISION, "status": "draft", "comment": "The launch date moved; hold this one."},
    ),
    EventType(
        "account.connected",
        "A social account was connected, or an account connected before was connected again.",
        "publish",
        WEBHOOK_ENDPOINTS,
        AccountConnectedData,
        {**ACCOUNT, "connected_by": f"user:{USER_ID}", "reconnected": False},
    ),
    EventType(
        "account.needs_reconnect",
        "The platform refused an account's tokens: its posts fail until it is reconnected.",
        "publish",
        f"{WEBHOOK_ENDPOINTS}; {ROLE_HOLDERS}",
        AccountNeedsReconnectData,
        {
            "account_id": ACCOUNT_ID,
            "reason": "The refresh token was revoked by the user.",
            "platform": "x",
            "name": "Herald",
            "handle": "heraldapp",
        },
    ),
    EventType(
        "account.disconnected",
        "A social account was disconnected and its tokens deleted.",
        "publish",
        WEBHOOK_ENDPOINTS,
        AccountDisconnectedData,
        {**ACCOUNT, "disconnected_by": ADMIN},
    ),
    EventType(
        "media.asset.ready",
        "A file entered the media library (upload, import, image tool or a job's output), "
        "probed and usable in posts.",
        "media",
        WEBHOOK_ENDPOINTS,
        MediaAssetReadyData,
        {
            "asset_id": ASSET_ID,
            "kind": "video",
            "name": "launch-teaser.mp4",
            "content_type": "video/mp4",
            "size_bytes": 18_342_112,
            "width": 1080,
            "height": 1920,
            "duration_seconds": 14.5,
            "source_asset_id": None,
            "job_id": None,
            "created_by": f"user:{USER_ID}",
        },
    ),
    EventType(
        "media.job.succeeded",
        "A media job finished; its output is a new asset in the library.",
        "media",
        f"{WEBHOOK_ENDPOINTS}; in-app: who started the job",
        MediaJobSucceededData,
        {
            "job_id": JOB_ID,
            "operation": "trim",
            "input_asset_ids": [ASSET_ID],
            "asset_id": "01JQ7ZSE2G4J6M8P1R3T5W7Y9A",
        },
    ),
    EventType(
        "media.job.failed",
        "A media job failed; nothing was added to the library.",
        "media",
        f"{WEBHOOK_ENDPOINTS}; in-app: who started the job",
        MediaJobFailedData,
        {
            "job_id": JOB_ID,
            "operation": "trim",
            "error": "The clip ends after the video does (14.5 seconds).",
        },
    ),
    EventType(
        "member.joined",
        "A user accepted an invitation and joined the workspace.",
        "auth",
        f"{WEBHOOK_ENDPOINTS}; {ROLE_HOLDERS}",
        MemberJoinedData,
        {
            "user_id": USER_ID,
            "role": "editor",
            "invite_id": "01JQ7ZTB8D0F2H4K6N9Q1S3V5X",
            "invited_by": ADMIN,
        },
    ),
    EventType(
        "member.removed",
        "A member was removed from the workspace, or left it.",
        "auth",
        f"{WEBHOOK_ENDPOINTS}; {ROLE_HOLDERS}",
        MemberRemovedData,
        {"user_id": USER_ID, "role": "editor", "removed_by": ADMIN, "left": False},
    ),
    EventType(
        "workspace.deleted",
        "The workspace was deleted with everything it held; no event follows.",
        "auth",
        WEBHOOK_ENDPOINTS,
        WorkspaceDeletedData,
        {"deleted_by": ADMIN},
    ),
    EventType(
        "webhook.endpoint_disabled",
        "Herald disabled a webhook endpoint: it answered 410 Gone, or failed for 5 days without "
        "a success. Nothing is sent to it until it is enabled again.",
        "webhooks",
        f"{WEBHOOK_ENDPOINTS} (not the disabled one); {ROLE_HOLDERS}",
        WebhookEndpointDisabledData,
        {
            "endpoint_id": "01JQ7ZV9K1M3P5R7T0W2Y4A6C8",
            "reason": "no successful delivery since 2025-04-26T08:12:40+00:00 (5 days of failures)",
            "failing_since": "2025-04-26T08:12:40Z",
        },
    ),
    EventType(
        "comment.received",
        "A comment on one of the workspace's accounts (or a reply to one) arrived in the inbox.",
        "webhooks",
        f"{WEBHOOK_ENDPOINTS}; {INBOX_WATCHERS}",
        EngagementReceivedData,
        {
            **ENGAGEMENT,
            "kind": "comment",
            "text": "Is the autumn roast available in whole beans?",
            "post_id": POST_ID,
            "target_id": ACCOUNT_ID,
            "platform_post_id": "17895695668004550",
            "parent_id": None,
            "thread_id": "17858893269000001",
        },
    ),
    EventType(
        "mention.received",
        "A post mentioning one of the workspace's accounts arrived in the inbox.",
        "webhooks",
        f"{WEBHOOK_ENDPOINTS}; {INBOX_WATCHERS}",
        EngagementReceivedData,
        {
            **ENGAGEMENT,
            "kind": "mention",
            "text": "Best flat white in town, thanks @acme.coffee",
            "post_id": None,
            "target_id": None,
            "platform_post_id": "17912345678901234",
            "parent_id": None,
            "thread_id": None,
        },
    ),
    EventType(
        "webhook.test",
        "A test sent on request to one endpoint (`POST /v1/webhooks/endpoints/{id}/test`).",
        "webhooks",
        "only the endpoint the test was requested for",
        WebhookTestData,
        {
            "endpoint_id": "01JQ7ZV9K1M3P5R7T0W2Y4A6C8",
            "message": "A test event from Herald; nothing changed.",
        },
    ),
)

EVENT_TYPES: dict[str, EventType] = {event.name: event for event in CATALOGUE}


def validated_data(event_type: str, data: dict[str, Any]) -> EventData:
    """The `data` of an event of `event_type`, checked against its model (ValidationError)."""
    return EVENT_TYPES[event_type].model.model_validate(data)
