"""Items only the identity group reads and writes (the shared ones are in identity_items).

Key shapes (see docs/access-patterns.md):
  USER#<user>          PROFILE              the user
  USER#<user>          SESSION#<session>    a signed-in device (shared SessionItem)
  USER#<user>          WS#<workspace>       the user's side of a membership, with the role
  EMAIL#<email>        EMAIL                makes an address unique, finds its user
  REFRESH#<digest>     REFRESH              one refresh token of a session's family
  TOKEN#<digest>       <purpose>            a one-time email token (verify, reset)
  SLUG#<slug>          SLUG                 makes a workspace slug unique, finds its workspace
  WS#<workspace>       INVITE#<invite>      an invitation; INVITE#<digest> INVITE finds it by token
  WS#<workspace>       APIKEY#<key>         an API key's record; APIKEY#<digest> APIKEY finds it
  LIMIT#<what>#<who>   <window>             a rate-limit counter (TTL)
  LOCKOUT#<email>      LOCKOUT              failed sign-ins of one address (TTL)
"""

from typing import Self

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from functions.shared.identity_items import FindableItem
from functions.shared.tables import key


class UserItem(FindableItem):
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    email_verified = BooleanAttribute(default=False)
    password_hash = UnicodeAttribute()
    name = UnicodeAttribute()
    timezone = UnicodeAttribute(default="UTC")
    locale = UnicodeAttribute(default="en")
    theme = UnicodeAttribute(default="system")
    notifications = JSONAttribute(null=True)
    avatar_key = UnicodeAttribute(null=True)
    default_workspace_id = UnicodeAttribute(null=True)
    password_changed_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(user_id: str) -> tuple[str, str]:
        return key("USER", user_id), "PROFILE"

    @classmethod
    def find(cls, user_id: str) -> Self | None:
        return cls.find_key(*cls.keys(user_id))


class EmailItem(FindableItem):
    user_id = UnicodeAttribute()

    @staticmethod
    def keys(email: str) -> tuple[str, str]:
        return key("EMAIL", email), "EMAIL"

    @classmethod
    def find(cls, email: str) -> Self | None:
        return cls.find_key(*cls.keys(email))


class WorkspaceSlugItem(FindableItem):
    """Holds a slug for one workspace; written and released in the workspace's own transactions."""

    workspace_id = UnicodeAttribute()

    @staticmethod
    def keys(slug: str) -> tuple[str, str]:
        return key("SLUG", slug), "SLUG"


class UserWorkspaceItem(FindableItem):
    workspace_id = UnicodeAttribute()
    role = UnicodeAttribute()

    @staticmethod
    def keys(user_id: str, workspace_id: str) -> tuple[str, str]:
        return key("USER", user_id), key("WS", workspace_id)


class RefreshTokenItem(FindableItem):
    """`rotated_at` set means a newer token replaced this one; presenting it again is reuse."""

    user_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    rotated_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(secret_digest: str) -> tuple[str, str]:
        return key("REFRESH", secret_digest), "REFRESH"

    @classmethod
    def find(cls, secret_digest: str) -> Self | None:
        return cls.find_key(*cls.keys(secret_digest))


class OneTimeTokenItem(FindableItem):
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    valid_until = UTCDateTimeAttribute()

    @staticmethod
    def keys(secret_digest: str, purpose: str) -> tuple[str, str]:
        return key("TOKEN", secret_digest), purpose


class InviteItem(FindableItem):
    invite_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    email = UnicodeAttribute()
    role = UnicodeAttribute()
    invited_by = UnicodeAttribute()
    token_digest = UnicodeAttribute()
    valid_until = UTCDateTimeAttribute()

    @staticmethod
    def keys(workspace_id: str, invite_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("INVITE", invite_id)


class InviteLookupItem(FindableItem):
    workspace_id = UnicodeAttribute()
    invite_id = UnicodeAttribute()

    @staticmethod
    def keys(secret_digest: str) -> tuple[str, str]:
        return key("INVITE", secret_digest), "INVITE"


class ApiKeyItem(FindableItem):
    key_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    scopes = UnicodeSetAttribute()
    hint = UnicodeAttribute()  # the first characters of the key, to recognise it in lists
    secret_digest = UnicodeAttribute()
    created_by = UnicodeAttribute()
    valid_until = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(workspace_id: str, key_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("APIKEY", key_id)
