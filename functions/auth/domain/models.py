"""Request and response bodies of the identity group."""

import re
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from functions.shared.access import Role, Scope
from functions.shared.inputs import Rfc3339DateTime, SingleLine

# Deliberately simple (RFC 5321 lengths, one @, a dot in the domain): deliverability is proven by
# the verification email, not by a regular expression.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


def _timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError("is not an IANA time zone name (for example Europe/Paris)")
    return value


def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


EmailAddress = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone)]
Name = Annotated[SingleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Password = Annotated[str, StringConstraints(max_length=1024)]
OpaqueToken = Annotated[str, StringConstraints(min_length=10, max_length=200)]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(Body):
    email: EmailAddress
    password: Password
    name: Name
    timezone: TimeZone = "UTC"
    locale: Locale = "en"


class Accepted(BaseModel):
    detail: str


class LoginRequest(Body):
    email: EmailAddress
    password: Password


class RefreshRequest(Body):
    refresh_token: OpaqueToken


class TokenRequest(Body):
    token: OpaqueToken


class EmailRequest(Body):
    email: EmailAddress


class PasswordChange(Body):
    current_password: Password
    new_password: Password


class PasswordResetConfirm(Body):
    token: OpaqueToken
    new_password: Password


class NotificationPreferences(Body):
    post_published: bool = True
    post_failed: bool = True
    account_needs_reconnect: bool = True
    weekly_report: bool = False


class User(BaseModel):
    id: str
    email: str
    email_verified: bool
    name: str
    timezone: str
    locale: str
    theme: Literal["light", "dark", "system"]
    notifications: NotificationPreferences
    avatar_url: str | None = Field(description="Short-lived download URL of the avatar.")
    default_workspace_id: str | None
    created_at: datetime


class ProfileUpdate(Body):
    name: Name | None = None
    timezone: TimeZone | None = None
    locale: Locale | None = None
    theme: Literal["light", "dark", "system"] | None = None
    notifications: NotificationPreferences | None = None


class Tokens(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (the token scheme, not a secret)
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(description="Opaque; use once with POST /v1/auth/refresh.")
    user: User


class Session(BaseModel):
    id: str
    user_agent: str | None
    ip_address: str | None
    created_at: datetime
    last_used_at: datetime
    current: bool = Field(description="Whether this is the session making the request.")


class Jwks(BaseModel):
    keys: list[dict[str, str]]


AvatarContentType = Literal["image/jpeg", "image/png", "image/webp"]


class AvatarUploadRequest(Body):
    content_type: AvatarContentType = Field(
        description="The type of the file to upload; the upload must declare exactly this type."
    )


class AvatarUpload(BaseModel):
    upload_id: str = Field(description="Complete with POST /v1/me/avatar/{upload_id}/complete.")
    url: str = Field(description="POST a multipart form here: `fields`, then the file as `file`.")
    fields: dict[str, str] = Field(description="Form fields to send as they are, before the file.")
    max_bytes: int = Field(description="The largest file the upload accepts.")
    content_type: AvatarContentType = Field(description="The Content-Type the upload must carry.")
    expires_in: int = Field(description="Seconds until the upload form expires.")


class WorkspaceCreate(Body):
    name: Name
    slug: Slug | None = None
    timezone: TimeZone = "UTC"
    logo_url: Annotated[str, StringConstraints(pattern=r"^https://", max_length=2048)] | None = None


class WorkspaceUpdate(Body):
    name: Name | None = None
    slug: Slug | None = None
    timezone: TimeZone | None = None
    logo_url: Annotated[str, StringConstraints(pattern=r"^https://", max_length=2048)] | None = None


class Workspace(BaseModel):
    id: str
    name: str
    slug: str
    timezone: str
    logo_url: str | None
    role: Role | None = Field(description="The caller's role; null for an API key.")
    default: bool = Field(description="Whether this is the caller's default workspace.")
    created_at: datetime


class Member(BaseModel):
    user_id: str
    email: str
    name: str
    role: Role
    joined_at: datetime


class MemberUpdate(Body):
    role: Role


class InviteCreate(Body):
    email: EmailAddress
    role: Role = Role.EDITOR


class Invite(BaseModel):
    id: str
    email: str
    role: Role
    invited_by: str
    created_at: datetime
    expires_at: datetime


class ApiKeyCreate(Body):
    name: Name
    scopes: Annotated[list[Scope], Field(min_length=1)]
    expires_at: Rfc3339DateTime | None = Field(None, description="Optional expiry (RFC 3339).")


class ApiKey(BaseModel):
    id: str
    name: str
    scopes: list[Scope]
    hint: str = Field(description="The key's first characters, to recognise it.")
    created_by: str
    created_at: datetime
    expires_at: datetime | None


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The secret key. Shown only in this response: store it now.")


class Activity(BaseModel):
    id: str
    actor: str
    action: str
    target: str | None
    details: dict[str, object] | None
    at: datetime
