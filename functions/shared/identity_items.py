"""Identity items every function group reads to authorise a request.

The auth group writes them; the others only read them through `functions.shared.auth` and
`functions.shared.access`. Reads are strongly consistent, so a revoked session, a removed member,
a revoked API key or a deleted workspace loses access on its very next request.
"""

from typing import Self

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute

from functions.shared.tables import AppItem, key


class FindableItem(AppItem):
    @classmethod
    def find_key(cls, pk: str, sk: str) -> Self | None:
        try:
            return cls.get(pk, sk, consistent_read=True)
        except cls.DoesNotExist:
            return None


class WorkspaceItem(FindableItem):
    """A workspace (the dashboard's brand). `deleted_at` set means it is gone for every caller."""

    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    timezone = UnicodeAttribute()
    logo_url = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    deleted_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(workspace_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), "WORKSPACE"

    @classmethod
    def find(cls, workspace_id: str) -> Self | None:
        found = cls.find_key(*cls.keys(workspace_id))
        return found if found is not None and found.deleted_at is None else None


class MembershipItem(FindableItem):
    """A user's role in a workspace, in the workspace's partition."""

    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str, user_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("MEMBER", user_id)

    @classmethod
    def find(cls, workspace_id: str, user_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, user_id))


class SessionItem(FindableItem):
    """One signed-in device: a refresh-token family. Revoking it ends its access tokens too."""

    user_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    user_agent = UnicodeAttribute(null=True)
    ip_address = UnicodeAttribute(null=True)
    last_used_at = UTCDateTimeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(user_id: str, session_id: str) -> tuple[str, str]:
        return key("USER", user_id), key("SESSION", session_id)

    @classmethod
    def find(cls, user_id: str, session_id: str) -> Self | None:
        return cls.find_key(*cls.keys(user_id, session_id))


class ApiKeyLookupItem(FindableItem):
    """Finds an API key by the digest of its secret; deleted when the key is revoked."""

    key_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    scopes = UnicodeSetAttribute(null=True)
    valid_until = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(secret_digest: str) -> tuple[str, str]:
        return key("APIKEY", secret_digest), "APIKEY"

    @classmethod
    def find(cls, secret_digest: str) -> Self | None:
        return cls.find_key(*cls.keys(secret_digest))
