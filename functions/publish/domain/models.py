"""Request and response bodies of the publish group."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.inputs import SingleLine

FailureClass = Literal["retryable", "reauth", "permanent"]


class SandboxAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Literal["sandbox"]
    name: SingleLine = Field("Sandbox", min_length=1, max_length=100)
    fail_with: FailureClass | None = Field(
        None, description="Make every call fail in this class, to try error paths."
    )


class Account(BaseModel):
    id: str
    platform: str
    platform_account_id: str
    name: str
    handle: str | None
    avatar_url: str | None
    kind: str
    status: Literal["active", "needs_reconnect"]
    token_expires_at: str | None
    last_checked_at: str | None
    last_error: str | None
    connected_at: str


class CheckResult(BaseModel):
    account: Account
    healthy: bool
    detail: str


class ConnectStart(BaseModel):
    authorization_url: str = Field(description="Send the user's browser here.")
    expires_in: int = Field(description="Seconds the login may take before it must restart.")


class Candidate(BaseModel):
    platform_account_id: str
    name: str
    handle: str | None
    avatar_url: str | None
    kind: str


class Selection(BaseModel):
    id: str
    platform: str
    candidates: list[Candidate]
    expires_at: str


class SelectionChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform_account_ids: list[str] = Field(min_length=1, max_length=50)
