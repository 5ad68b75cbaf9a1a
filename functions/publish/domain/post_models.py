"""Request and response bodies of posts, preflight, scheduling, queues and templates."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from functions.publish.domain.platform_options import TargetOptions
from functions.shared.access import ID_PATTERN

AssetId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
AccountId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]
PostStatus = Literal[
    "draft",
    "pending_approval",
    "scheduled",
    "publishing",
    "published",
    "partially_failed",
    "failed",
]
TargetState = Literal[
    "scheduled",
    "pending",
    "publishing",
    "processing",
    "retry_wait",
    "unconfirmed",
    "published",
    "failed",
]
MAX_TEXT = 63_206  # the longest any platform takes (Facebook); preflight applies each one's own


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThreadPart(Strict):
    text: str = Field(max_length=MAX_TEXT)
    media: list[AssetId] = Field(default_factory=list, max_length=10)


class TargetSpec(Strict):
    account_id: AccountId
    text: str | None = Field(
        None, max_length=MAX_TEXT, description="Replaces the shared text for this target."
    )
    media: list[AssetId] | None = Field(
        None, max_length=20, description="Replaces the shared media for this target."
    )
    options: TargetOptions = Field(
        default_factory=dict,
        description="The options of the account's platform, one of the models listed (see "
        "docs/posts.md). An unknown or invalid option is refused (422); a required one still "
        "missing is a preflight problem.",
    )
    first_comment: str | None = Field(None, min_length=1, max_length=8000)
    thread: list[ThreadPart] = Field(
        default_factory=list,
        max_length=24,
        description="Further parts published as replies, in order (X and Threads).",
    )


def _unique_accounts(targets: list[TargetSpec]) -> list[TargetSpec]:
    seen = [target.account_id for target in targets]
    if len(set(seen)) != len(seen):
        raise ValueError("each account may be targeted once")
    return targets


class PostContent(Strict):
    text: str = Field("", max_length=MAX_TEXT)
    media: list[AssetId] = Field(default_factory=list, max_length=20)
    targets: list[TargetSpec] = Field(default_factory=list, max_length=25)

    @model_validator(mode="after")
    def _targets_unique(self) -> "PostContent":
        _unique_accounts(self.targets)
        return self


class PostCreate(PostContent):
    labels: list[Label] = Field(default_factory=list, max_length=20)


class PostUpdate(Strict):
    text: str | None = Field(None, max_length=MAX_TEXT)
    media: list[AssetId] | None = Field(None, max_length=20)
    targets: list[TargetSpec] | None = Field(None, max_length=25)
    labels: list[Label] | None = Field(None, max_length=20)
    revision: int | None = Field(
        None, ge=1, description="The revision the edit was made on; 409 if the post moved on."
    )

    @model_validator(mode="after")
    def _targets_unique(self) -> "PostUpdate":
        if self.targets is not None:
            _unique_accounts(self.targets)
        return self


class Fix(BaseModel):
    description: str
    media_preset: str | None = Field(None, description="A media studio preset that would fix it.")


class Problem(BaseModel):
    code: str = Field(description="Machine-readable, e.g. `text_too_long`, `media_aspect_ratio`.")
    message: str
    field: str | None = Field(None, description="Where: `text`, `media/0`, `options/title`...")
    fix: Fix | None = None


class TargetPreflight(BaseModel):
    account_id: str
    platform: str | None
    content_type: str | None
    problems: list[Problem]


class Preflight(BaseModel):
    ok: bool
    problems: list[Problem] = Field(description="Problems of the post as a whole.")
    targets: list[TargetPreflight]


class TargetError(BaseModel):
    code: str
    message: str
    failure_class: Literal["retryable", "reauth", "permanent", "preflight", "unknown"]


class TargetStatus(BaseModel):
    account_id: str
    platform: str
    state: TargetState
    attempts: int
    platform_post_id: str | None
    url: str | None
    published_at: str | None
    error: TargetError | None
    warnings: list[str]


class Approval(BaseModel):
    state: Literal["pending", "approved", "rejected"]
    revision: int
    submitted_by: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    comment: str | None = None
    requested_at: str | None = Field(None, description="When the submitter wants it published.")


class Recurrence(Strict):
    every: int = Field(ge=1, le=52)
    unit: Literal["days", "weeks"]
    until: date | None = Field(None, description="Last day an occurrence may fall on.")


class Post(BaseModel):
    id: str
    status: PostStatus
    text: str
    media: list[str]
    targets: list[TargetSpec]
    labels: list[str]
    revision: int
    scheduled_at: str | None
    timezone: str | None
    approval: Approval | None
    recurrence: Recurrence | None
    series_id: str | None
    publishing: list[TargetStatus] = Field(description="Each target's publishing state.")
    preflight: Preflight | None = Field(None, description="Set on create, update and schedule.")
    created_by: str
    created_at: str
    updated_at: str


class PostVersion(BaseModel):
    revision: int
    text: str
    media: list[str]
    targets: list[TargetSpec]
    labels: list[str]
    edited_by: str
    edited_at: str


class ScheduleRequest(Strict):
    at: datetime = Field(
        description="RFC 3339. Without an offset it is read in the workspace's timezone."
    )
    recurrence: Recurrence | None = None


class ApprovalDecision(Strict):
    comment: str | None = Field(None, max_length=2000)


class RejectDecision(Strict):
    comment: str = Field(min_length=1, max_length=2000)


class PublishingSettings(Strict):
    approval_required: bool


class QueueSlot(Strict):
    weekday: int = Field(ge=0, le=6, description="0 is Monday.")
    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, local time.")


class QueueSlots(Strict):
    slots: list[QueueSlot] = Field(max_length=100)


class QueueRequest(Strict):
    account_id: AccountId | None = Field(
        None, description="Use this account's slots instead of the workspace's."
    )


class RetryResult(BaseModel):
    post: Post
    retried: list[str] = Field(description="Accounts whose failed targets were retried.")


class BulkRow(BaseModel):
    row: int = Field(description="Line number in the file (the header is line 1).")
    status: Literal["created", "invalid"]
    post_id: str | None = None
    problems: list[Problem] = Field(default_factory=list)


class BulkReport(BaseModel):
    created: int
    invalid: int
    rows: list[BulkRow]


class TemplateCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    category: str = Field("general", min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    content: PostContent
    labels: list[Label] = Field(default_factory=list, max_length=20)


class TemplateUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    category: str | None = Field(
        None, min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$"
    )
    content: PostContent | None = None
    labels: list[Label] | None = Field(None, max_length=20)


class Template(BaseModel):
    id: str
    name: str
    category: str
    content: PostContent
    labels: list[str]
    created_by: str
    created_at: str
    updated_at: str
