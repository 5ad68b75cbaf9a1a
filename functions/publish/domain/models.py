"""Request and response bodies of the publish group."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.inputs import SingleLine

FailureClass = Literal["retryable", "reauth", "permanent"]


class SandboxAccountCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"platform": "sandbox", "name": "Sandbox (failing)", "fail_with": "retryable"}
            ]
        },
    )

    platform: Literal["sandbox"]
    name: SingleLine = Field("Sandbox", min_length=1, max_length=100)
    fail_with: FailureClass | None = Field(
        None, description="Make every call fail in this class, to try error paths."
    )


class Account(BaseModel):
    id: str = Field(description="The account's id in Herald (a ULID); posts target it by this id.")
    platform: str = Field(description="The platform, e.g. `x`, `linkedin` or `sandbox`.")
    platform_account_id: str = Field(description="The account's id on the platform.")
    name: str = Field(description="Display name on the platform.")
    handle: str | None = Field(
        description="Username on the platform (without `@`), where it has one."
    )
    avatar_url: str | None = Field(description="Profile picture URL on the platform, if known.")
    kind: str = Field(
        description="What the account is on its platform, e.g. `person`, `organization`, `page` "
        "or `channel`."
    )
    status: Literal["active", "needs_reconnect"] = Field(
        description="`needs_reconnect` when the platform refused its tokens: connect it again to "
        "publish."
    )
    token_expires_at: str | None = Field(
        description="When the platform's access token expires (RFC 3339); Herald refreshes it "
        "before then where the platform allows."
    )
    last_checked_at: str | None = Field(
        description="When the account was last checked against the platform (RFC 3339)."
    )
    last_error: str | None = Field(description="Why the last check or refresh failed, if it did.")
    connected_at: str = Field(description="When the account was connected (RFC 3339).")


class CheckResult(BaseModel):
    account: Account = Field(description="The account, with its status after the check.")
    healthy: bool = Field(description="Whether the platform accepted the account's tokens.")
    detail: str = Field(description="What the check found, in words.")


class ConnectStart(BaseModel):
    authorization_url: str = Field(description="Send the user's browser here.")
    expires_in: int = Field(description="Seconds the login may take before it must restart.")


class Candidate(BaseModel):
    platform_account_id: str = Field(
        description="The identity's id on the platform; choose it by this id."
    )
    name: str = Field(description="Display name on the platform.")
    handle: str | None = Field(description="Username on the platform, where it has one.")
    avatar_url: str | None = Field(description="Profile picture URL on the platform, if known.")
    kind: str = Field(description="What the identity is, e.g. `person`, `organization` or `page`.")


class Selection(BaseModel):
    id: str = Field(
        description="The selection's id (a ULID); choose with POST "
        "/v1/accounts/selections/{selection_id}."
    )
    platform: str = Field(description="The platform the login was on.")
    candidates: list[Candidate] = Field(
        description="The identities the login may publish as (the member, the pages or "
        "organizations it manages)."
    )
    expires_at: str = Field(
        description="When the selection expires and the login must restart (RFC 3339)."
    )


class SelectionChoice(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"platform_account_ids": ["104857362910485", "183920475610293"]}]
        },
    )

    platform_account_ids: list[str] = Field(min_length=1, max_length=50)


class SandboxCommentAuthor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SingleLine = Field(min_length=1, max_length=100, description="Display name.")
    handle: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.]{1,50}$", description="Username, without the @."
    )


class SandboxCommentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "comment",
                    "post_id": "01JB8ZA1B2C3D4E5F6G7H8J9KA",
                    "text": "Is the autumn roast available in whole beans?",
                    "author": {"name": "Ada Baker", "handle": "ada.bakes"},
                }
            ]
        },
    )

    kind: Literal["comment", "reply", "mention"] = Field(
        "comment",
        description="A comment on one of the account's sandbox posts, a reply to a comment "
        "on it (`reply_to`), or a mention of the account in someone else's post.",
    )
    text: str = Field(min_length=1, max_length=2000, description="What it says.")
    post_id: str | None = Field(
        None,
        pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$",
        description="The Herald post (published by this account) a comment or reply is on; "
        "required for those, not allowed for a mention.",
    )
    reply_to: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="A reply's parent: the platform id of a comment on the same post "
        "(`platform_item_id` of an earlier answer).",
    )
    author: SandboxCommentAuthor = Field(
        default_factory=lambda: SandboxCommentAuthor(name="Sandbox Fan", handle="sandbox_fan"),
        description="Who writes it (someone on the sandbox platform).",
    )


class SandboxCommentSent(BaseModel):
    event_id: str = Field(description="The sandbox webhook's event id.")
    platform_item_id: str = Field(description="The comment's or mention's id on the sandbox.")
    accepted: bool = Field(description="Herald's webhook endpoint verified and queued it.")
