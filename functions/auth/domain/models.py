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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "maya.chen@example.com",
                    "password": "Harbor-lantern-47-plum",
                    "name": "Maya Chen",
                    "timezone": "Europe/Paris",
                    "locale": "en",
                }
            ]
        }
    )

    email: EmailAddress
    password: Password
    name: Name
    timezone: TimeZone = "UTC"
    locale: Locale = "en"


class Accepted(BaseModel):
    detail: str = Field(
        description="What happens next, e.g. that an email is on its way if the address has an "
        "account."
    )


class LoginRequest(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "maya.chen@example.com", "password": "Harbor-lantern-47-plum"}]
        }
    )

    email: EmailAddress
    password: Password


class RefreshRequest(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"refresh_token": "hr_3q9yKx2VbT7mWn4LcP8sRf1HdZ6gJe0AuYoBiXkMtQw"}]
        }
    )

    refresh_token: OpaqueToken


class TokenRequest(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"token": "k4Fz8QmW2xNcR7vTyB1pLs9DhJ3gUe6AoKiXnMtQwEs"}]}
    )

    token: OpaqueToken


class EmailRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "maya.chen@example.com"}]})

    email: EmailAddress


class PasswordChange(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "current_password": "Harbor-lantern-47-plum",
                    "new_password": "Quiet-meadow-93-copper",
                }
            ]
        }
    )

    current_password: Password
    new_password: Password


class PasswordResetConfirm(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "k4Fz8QmW2xNcR7vTyB1pLs9DhJ3gUe6AoKiXnMtQwEs",
                    "new_password": "Quiet-meadow-93-copper",
                }
            ]
        }
    )

    token: OpaqueToken
    new_password: Password


class NotificationPreferences(Body):
    """Account-wide email switches: one turned off stops those emails in every workspace; turned
    on, each workspace's `/v1/notifications/preferences` decide (docs/notifications.md)."""

    post_published: bool = Field(
        True, description="Emails about published posts (`post.published`), in any workspace."
    )
    post_failed: bool = Field(
        True,
        description="Emails about posts that failed on some or every target (`post.failed`, "
        "`post.partially_failed`), in any workspace.",
    )
    account_needs_reconnect: bool = Field(
        True,
        description="Emails about connected accounts that must be reconnected "
        "(`account.needs_reconnect`), in any workspace.",
    )
    weekly_report: bool = Field(
        False,
        description="Kept for the weekly summary email, which analytics will send; no email "
        "reads it yet.",
    )


class User(BaseModel):
    id: str = Field(description="The user's id (a ULID).")
    email: str = Field(description="Sign-in address, lower-cased.")
    email_verified: bool = Field(
        description="Whether the address was confirmed with the emailed link."
    )
    name: str = Field(description="Display name.")
    timezone: str = Field(
        description="IANA time zone the dashboard shows times in, e.g. Europe/Paris."
    )
    locale: str = Field(description="Language of emails and the dashboard, e.g. `en` or `fr-CA`.")
    theme: Literal["light", "dark", "system"] = Field(description="Dashboard colour theme.")
    notifications: NotificationPreferences = Field(description="Which emails the user receives.")
    avatar_url: str | None = Field(description="Short-lived download URL of the avatar.")
    default_workspace_id: str | None = Field(
        description="The workspace the dashboard opens; null until the user belongs to one."
    )
    created_at: datetime = Field(description="When the account was created (RFC 3339).")


class ProfileUpdate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Maya Chen",
                    "timezone": "America/New_York",
                    "theme": "dark",
                    "notifications": {
                        "post_published": False,
                        "post_failed": True,
                        "account_needs_reconnect": True,
                        "weekly_report": True,
                    },
                }
            ]
        }
    )

    name: Name | None = None
    timezone: TimeZone | None = None
    locale: Locale | None = None
    theme: Literal["light", "dark", "system"] | None = None
    notifications: NotificationPreferences | None = None


class Tokens(BaseModel):
    access_token: str = Field(description="ES256 JWT to send as `Authorization: Bearer <token>`.")
    token_type: Literal["Bearer"] = Field("Bearer", description="Always `Bearer`.")
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(description="Opaque; use once with POST /v1/auth/refresh.")
    user: User = Field(description="The signed-in user.")


class Session(BaseModel):
    id: str = Field(
        description="The session's id (a ULID); end it with DELETE /v1/auth/sessions/{session_id}."
    )
    user_agent: str | None = Field(
        description="User-Agent of the device that signed in, if it sent one."
    )
    ip_address: str | None = Field(description="IP address the session signed in from.")
    created_at: datetime = Field(description="When the session signed in (RFC 3339).")
    last_used_at: datetime = Field(
        description="When the session last refreshed its tokens (RFC 3339)."
    )
    current: bool = Field(description="Whether this is the session making the request.")


class Jwks(BaseModel):
    keys: list[dict[str, str]] = Field(
        description="Public keys (JWK, RFC 7517); an access token's `kid` names the one that "
        "verifies it."
    )


AvatarContentType = Literal["image/jpeg", "image/png", "image/webp"]


class AvatarUploadRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"content_type": "image/png"}]})

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Acme Coffee",
                    "slug": "acme-coffee",
                    "timezone": "Europe/Paris",
                    "logo_url": "https://cdn.acme-coffee.example/logo.png",
                }
            ]
        }
    )

    name: Name
    slug: Slug | None = None
    timezone: TimeZone = "UTC"
    logo_url: Annotated[str, StringConstraints(pattern=r"^https://", max_length=2048)] | None = None


class WorkspaceUpdate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Acme Coffee Roasters", "timezone": "Europe/Berlin"}]
        }
    )

    name: Name | None = None
    slug: Slug | None = None
    timezone: TimeZone | None = None
    logo_url: Annotated[str, StringConstraints(pattern=r"^https://", max_length=2048)] | None = None


class Workspace(BaseModel):
    id: str = Field(description="The workspace's id (a ULID); send it as `X-Workspace-Id`.")
    name: str = Field(description="Display name.")
    slug: str = Field(description="URL-friendly short name.")
    timezone: str = Field(description="IANA time zone that times without an offset are read in.")
    logo_url: str | None = Field(description="HTTPS URL of the logo, if set.")
    role: Role | None = Field(description="The caller's role; null for an API key.")
    default: bool = Field(description="Whether this is the caller's default workspace.")
    created_at: datetime = Field(description="When the workspace was created (RFC 3339).")


class Member(BaseModel):
    user_id: str = Field(description="The member's user id (a ULID).")
    email: str = Field(description="The member's sign-in address.")
    name: str = Field(description="The member's display name.")
    role: Role = Field(description="What the member may do in this workspace.")
    joined_at: datetime = Field(description="When the member joined (RFC 3339).")


class MemberUpdate(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "admin"}]})

    role: Role


class InviteCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "sam.okafor@example.com", "role": "editor"}]}
    )

    email: EmailAddress
    role: Role = Role.EDITOR


class Invite(BaseModel):
    id: str = Field(description="The invite's id (a ULID).")
    email: str = Field(description="Address the invite was sent to.")
    role: Role = Field(description="Role the invitee gets on accepting.")
    invited_by: str = Field(description="User id of the admin who sent it.")
    created_at: datetime = Field(description="When it was sent (RFC 3339).")
    expires_at: datetime = Field(description="When the emailed link stops working (RFC 3339).")


class ApiKeyCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Nightly CMS sync",
                    "scopes": ["posts:read", "posts:write", "media:write"],
                    "expires_at": "2027-01-31T23:59:59Z",
                }
            ]
        }
    )

    name: Name
    scopes: Annotated[list[Scope], Field(min_length=1)]
    expires_at: Rfc3339DateTime | None = Field(None, description="Optional expiry (RFC 3339).")


class ApiKey(BaseModel):
    id: str = Field(
        description="The key's id (a ULID); revoke it with DELETE .../api-keys/{key_id}."
    )
    name: str = Field(description="What the key is for, as given at creation.")
    scopes: list[Scope] = Field(description="What the key may do.")
    hint: str = Field(description="The key's first characters, to recognise it.")
    created_by: str = Field(description="User id of the admin who created it.")
    created_at: datetime = Field(description="When it was created (RFC 3339).")
    expires_at: datetime | None = Field(
        description="When it stops working (RFC 3339); null if it does not expire."
    )


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The secret key. Shown only in this response: store it now.")


class Activity(BaseModel):
    id: str = Field(description="The entry's id (a ULID, so entries sort by time).")
    actor: str = Field(description="Who acted: `user:<id>` or `api_key:<id>`.")
    action: str = Field(
        description="What happened, as `<resource>.<verb>`, e.g. `member.role_changed`."
    )
    target: str | None = Field(
        description="What it happened to, as `<resource>:<id>`, if anything."
    )
    details: dict[str, object] | None = Field(
        description="Further facts of the action (for example the old and new role)."
    )
    at: datetime = Field(description="When it happened (RFC 3339).")
