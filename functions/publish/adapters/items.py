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
