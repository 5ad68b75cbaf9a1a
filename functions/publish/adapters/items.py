"""Items of the publish group.

WS#<workspace>   ACCOUNT#<account>   a connected social account, its tokens sealed by KMS
"""

from typing import Self

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute

from functions.shared.identity_items import FindableItem
from functions.shared.tables import key


class SocialAccountItem(FindableItem):
    account_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    platform_account_id = UnicodeAttribute()
    name = UnicodeAttribute()
    handle = UnicodeAttribute(null=True)
    avatar_url = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(default="profile")
    status = UnicodeAttribute(default="active")  # active, needs_reconnect
    sealed_tokens = UnicodeAttribute()
    token_expires_at = UTCDateTimeAttribute(null=True)
    connected_by = UnicodeAttribute()
    last_checked_at = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    options = JSONAttribute(null=True)

    @staticmethod
    def keys(workspace_id: str, account_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("ACCOUNT", account_id)

    @classmethod
    def find(cls, workspace_id: str, account_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, account_id))


class OAuthStateItem(FindableItem):
    """A pending OAuth login: found by the digest of its `state`, used once, for 10 minutes."""

    user_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    code_verifier = UnicodeAttribute()
    valid_until = UTCDateTimeAttribute()

    @staticmethod
    def keys(state_digest: str) -> tuple[str, str]:
        return key("OAUTH", state_digest), "STATE"


class SelectionItem(FindableItem):
    """Identities one login exposed (pages, channels...), waiting for the user to pick."""

    selection_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    candidates = JSONAttribute()  # each with its token set sealed for this selection
    valid_until = UTCDateTimeAttribute()

    @staticmethod
    def keys(workspace_id: str, selection_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("SELECTION", selection_id)
