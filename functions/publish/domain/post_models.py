"""Request and response bodies of posts, preflight, scheduling, queues and templates."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from functions.publish.domain.platform_options import TargetOptions
from functions.shared.access import ID_PATTERN
from functions.shared.best_times import MAX_SLOTS as MAX_BEST_TIMES
from functions.shared.best_times import BestTimes
from functions.shared.inputs import Rfc3339Date, Rfc3339DateTime, SingleLine

AssetId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
AccountId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Label = Annotated[SingleLine, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]
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
    text: str = Field(max_length=MAX_TEXT, description="The reply's text.")
    media: list[AssetId] = Field(
        default_factory=list,
        max_length=10,
        description="Media asset ids (ULIDs) attached to the reply.",
    )


class TargetSpec(Strict):
    account_id: AccountId = Field(description="The connected account to publish with (its ULID).")
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
    first_comment: str | None = Field(
        None,
        min_length=1,
        max_length=8000,
        description="Posted as the first comment (or reply) right after the post, where the "
        "platform allows.",
    )
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
    text: str = Field(
        "",
        max_length=MAX_TEXT,
        description="Text shared by every target unless a target replaces it.",
    )
    media: list[AssetId] = Field(
        default_factory=list,
        max_length=20,
        description="Media asset ids (ULIDs) shared by every target unless a target replaces them.",
    )
    targets: list[TargetSpec] = Field(
        default_factory=list,
        max_length=25,
        description="The accounts to publish to, each with its own options; at most one per "
        "account.",
    )

    @model_validator(mode="after")
    def _targets_unique(self) -> "PostContent":
        _unique_accounts(self.targets)
        return self


class PostCreate(PostContent):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "Our autumn roast is here: notes of fig, cocoa and orange. "
                    "Back in stock until Friday.",
                    "media": ["01JB8ZA1B2C3D4E5F6G7H8J9KA"],
                    "targets": [
                        {
                            "account_id": "01JB8Z6D3W5Y7A9C1E3G5J7K9M",
                            "first_comment": "Order at https://acme-coffee.example/autumn",
                        },
                        {
                            "account_id": "01JB8Z7F4X6Z8B0D2F4H6K8M0N",
                            "text": "Autumn roast is back: fig, cocoa, orange. Until Friday only.",
                        },
                    ],
                    "labels": ["launch", "autumn"],
                }
            ]
        }
    )

    labels: list[Label] = Field(default_factory=list, max_length=20)


class PostUpdate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "Our autumn roast is here: fig, cocoa and orange. "
                    "In stock until Sunday.",
                    "labels": ["launch"],
                    "revision": 3,
                }
            ]
        }
    )

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
    description: str = Field(description="What would fix the problem.")
    media_preset: str | None = Field(None, description="A media studio preset that would fix it.")


class Problem(BaseModel):
    code: str = Field(description="Machine-readable, e.g. `text_too_long`, `media_aspect_ratio`.")
    message: str = Field(description="What is wrong, in words.")
    field: str | None = Field(None, description="Where: `text`, `media/0`, `options/title`...")
    fix: Fix | None = Field(None, description="A fix Herald can make, if there is one.")


class TargetPreflight(BaseModel):
    account_id: str = Field(description="The target's account id.")
    platform: str | None = Field(
        description="The account's platform; null if the account is not found."
    )
    content_type: str | None = Field(
        description="The content type the target would publish as; null if none fits."
    )
    problems: list[Problem] = Field(
        description="What stops this target from publishing (an empty list when nothing does)."
    )


class Preflight(BaseModel):
    ok: bool = Field(description="Whether every target can publish as it stands.")
    problems: list[Problem] = Field(description="Problems of the post as a whole.")
    targets: list[TargetPreflight] = Field(description="Each target's problems.")


class TargetError(BaseModel):
    code: str = Field(description="Machine-readable error code, from the platform or Herald.")
    message: str = Field(description="What went wrong, in words.")
    failure_class: Literal["retryable", "reauth", "permanent", "preflight", "unknown"] = Field(
        description="`retryable` is retried by Herald; `reauth` needs the account reconnected; "
        "`permanent` and `preflight` need the post changed; `unknown` is checked against the "
        "platform before any retry."
    )


class TargetStatus(BaseModel):
    account_id: str = Field(description="The target's account id.")
    platform: str = Field(description="The account's platform.")
    state: TargetState = Field(description="Where publishing to this target stands.")
    attempts: int = Field(description="Publishing attempts made so far.")
    platform_post_id: str | None = Field(
        description="The post's id on the platform, once published."
    )
    url: str | None = Field(
        description="Public link to the published post, where the platform gives one."
    )
    published_at: str | None = Field(description="When the platform accepted the post (RFC 3339).")
    error: TargetError | None = Field(description="Why the last attempt failed, if it did.")
    warnings: list[str] = Field(
        description="What went partly wrong without failing the post (e.g. the first comment was "
        "refused)."
    )


class Approval(BaseModel):
    state: Literal["pending", "approved", "rejected"] = Field(
        description="Where the approval stands."
    )
    revision: int = Field(
        description="The revision submitted for approval; an edit needs a new approval."
    )
    submitted_by: str | None = Field(None, description="User id of who submitted it.")
    decided_by: str | None = Field(None, description="User id of who approved or rejected it.")
    decided_at: str | None = Field(None, description="When it was decided (RFC 3339).")
    comment: str | None = Field(None, description="The reviewer's comment.")
    requested_at: str | None = Field(None, description="When the submitter wants it published.")


class Recurrence(Strict):
    every: int = Field(ge=1, le=52, description="How many units between occurrences.")
    unit: Literal["days", "weeks"] = Field(description="The unit of `every`.")
    until: Rfc3339Date | None = Field(None, description="Last day an occurrence may fall on.")


class Post(BaseModel):
    id: str = Field(description="The post's id (a ULID).")
    status: PostStatus = Field(description="Where the post stands as a whole.")
    text: str = Field(description="Text shared by every target unless a target replaces it.")
    media: list[str] = Field(
        description="Media asset ids (ULIDs) shared by every target unless a target replaces them."
    )
    targets: list[TargetSpec] = Field(
        description="The accounts to publish to, each with its own options."
    )
    labels: list[str] = Field(description="Labels to filter posts by.")
    revision: int = Field(
        description="Increases with every edit; send it back with PATCH to avoid overwriting "
        "another edit."
    )
    scheduled_at: str | None = Field(
        description="When it is scheduled to publish (RFC 3339, UTC); null for a draft."
    )
    timezone: str | None = Field(description="The IANA time zone the schedule was given in.")
    approval: Approval | None = Field(description="The approval, when the workspace requires one.")
    recurrence: Recurrence | None = Field(description="How it repeats, if it does.")
    series_id: str | None = Field(
        description="The id shared by every occurrence of a recurring post."
    )
    publishing: list[TargetStatus] = Field(description="Each target's publishing state.")
    preflight: Preflight | None = Field(None, description="Set on create, update and schedule.")
    created_by: str = Field(description="Who created it: a user id, or `api_key:<id>`.")
    created_at: str = Field(description="When it was created (RFC 3339).")
    updated_at: str = Field(description="When it last changed (RFC 3339).")


class PostVersion(BaseModel):
    revision: int = Field(description="The revision this version was.")
    text: str = Field(description="Shared text at this revision.")
    media: list[str] = Field(description="Shared media asset ids at this revision.")
    targets: list[TargetSpec] = Field(description="Targets at this revision.")
    labels: list[str] = Field(description="Labels at this revision.")
    edited_by: str = Field(description="Who made this revision.")
    edited_at: str = Field(description="When it was made (RFC 3339).")


class ScheduleRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"at": "2027-03-02T09:30:00+01:00"}]})

    at: Rfc3339DateTime = Field(
        description="RFC 3339. Without an offset it is read in the workspace's timezone."
    )
    recurrence: Recurrence | None = None


class ApprovalDecision(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"comment": "Looks good; the price is right."}]}
    )

    comment: str | None = Field(None, max_length=2000)


class RejectDecision(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"comment": "The sale ends on Sunday, not Friday: please fix the date."}]
        }
    )

    comment: str = Field(min_length=1, max_length=2000)


class PublishingSettings(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"approval_required": True, "tracked_links": True}]}
    )

    approval_required: bool = Field(
        description="Whether posts need an admin's approval before they can be scheduled or "
        "published."
    )
    tracked_links: bool | None = Field(
        default=None,
        description="Whether each http(s) link of a post's text is published as a short link "
        "that counts clicks and attributes site events to the post (docs/analytics.md, "
        "Tracked links). Omitted in a change: kept as it is; always given in an answer.",
    )


class QueueSlot(Strict):
    weekday: int = Field(ge=0, le=6, description="0 is Monday.")
    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, local time.")


class QueueSlots(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slots": [
                        {"weekday": 0, "time": "09:00"},
                        {"weekday": 2, "time": "12:30"},
                        {"weekday": 4, "time": "17:45"},
                    ]
                }
            ]
        }
    )

    slots: list[QueueSlot] = Field(
        max_length=100,
        description="The weekly times queued posts go out at, in the workspace's (or account's) "
        "time zone.",
    )


class BestTimesQueueRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"account_id": "01JB8Z6D3W5Y7A9C1E3G5J7K9M", "count": 7}]}
    )

    account_id: AccountId = Field(description="The account whose history and queue it is.")
    count: int = Field(7, ge=1, le=MAX_BEST_TIMES, description="How many weekly slots.")


class BestTimesQueue(BaseModel):
    slots: list[QueueSlot] = Field(description="The account's queue slots now.")
    best_times: BestTimes = Field(description="The best times they were taken from.")


class QueueRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"account_id": "01JB8Z6D3W5Y7A9C1E3G5J7K9M"}]}
    )

    account_id: AccountId | None = Field(
        None, description="Use this account's slots instead of the workspace's."
    )


class RetryResult(BaseModel):
    post: Post = Field(description="The post, with the retried targets pending again.")
    retried: list[str] = Field(description="Accounts whose failed targets were retried.")


class BulkRow(BaseModel):
    row: int = Field(description="Line number in the file (the header is line 1).")
    status: Literal["created", "invalid"] = Field(
        description="Whether the row became a scheduled post."
    )
    post_id: str | None = Field(None, description="The created post's id.")
    problems: list[Problem] = Field(default_factory=list, description="Why the row was refused.")


class BulkReport(BaseModel):
    created: int = Field(description="Rows that became scheduled posts.")
    invalid: int = Field(description="Rows refused (nothing is created for them).")
    rows: list[BulkRow] = Field(description="Each row's outcome, in file order.")


class TemplateCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Weekly roast announcement",
                    "category": "promotion",
                    "content": {
                        "text": "This week's roast: Ethiopia Guji, "
                        "with notes of blueberry and jasmine.",
                        "media": [],
                        "targets": [{"account_id": "01JB8Z6D3W5Y7A9C1E3G5J7K9M"}],
                    },
                    "labels": ["weekly"],
                }
            ]
        }
    )

    name: SingleLine = Field(min_length=1, max_length=100)
    category: str = Field("general", min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    content: PostContent
    labels: list[Label] = Field(default_factory=list, max_length=20)


class TemplateUpdate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Weekly roast announcement (v2)", "labels": ["weekly", "roast"]}]
        }
    )

    name: SingleLine | None = Field(None, min_length=1, max_length=100)
    category: str | None = Field(
        None, min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$"
    )
    content: PostContent | None = None
    labels: list[Label] | None = Field(None, max_length=20)


class Template(BaseModel):
    id: str = Field(description="The template's id (a ULID).")
    name: str = Field(description="The template's name.")
    category: str = Field(
        description="Category to group templates by (lower-case, e.g. `promotion`)."
    )
    content: PostContent = Field(description="The post content a new post starts from.")
    labels: list[str] = Field(description="Labels the new post gets.")
    created_by: str = Field(description="Who created it.")
    created_at: str = Field(description="When it was created (RFC 3339).")
    updated_at: str = Field(description="When it last changed (RFC 3339).")
