"""Items of the publish group: social accounts and the OAuth logins that connect them.

WS#<workspace>   ACCOUNT#<account>   a connected social account, its tokens sealed by KMS
"""

from typing import Self

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection

from functions.shared.identity_items import FindableItem
from functions.shared.tables import key

REFRESH_SHARDS = 8
# One sparse index serves all work that falls due at a time: `due_bucket` names the kind of work
# and a shard, `due_at` orders it (see docs/access-patterns.md).
DUE_INDEX = "by-due"
DUE_INDEX_PROJECTION = ["workspace_id", "account_id", "post_id"]


class TokenExpiryIndex(GlobalSecondaryIndex["SocialAccountItem"]):  # type: ignore[no-untyped-call]
    """Accounts by when their token expires, in the `TOKENS#<shard>` buckets of the table's
    `by-due` index (sparse: only accounts with a refreshable token carry a bucket)."""

    class Meta:
        index_name = DUE_INDEX
        projection = IncludeProjection(DUE_INDEX_PROJECTION)

    token_refresh_bucket = UnicodeAttribute(hash_key=True, attr_name="due_bucket")
    token_expires_at = UTCDateTimeAttribute(range_key=True, attr_name="due_at")


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
    token_expires_at = UTCDateTimeAttribute(null=True, attr_name="due_at")
    token_refresh_bucket = UnicodeAttribute(null=True, attr_name="due_bucket")
    by_token_expiry = TokenExpiryIndex()
    connected_by = UnicodeAttribute()
    # The Meta user (app-scoped id) who connected a Page or Instagram account: Meta's app
    # callbacks name that person (functions/shared/platform_links.py, META_USER).
    platform_user_id = UnicodeAttribute(null=True)
    last_checked_at = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    options = JSONAttribute(null=True)

    @staticmethod
    def keys(workspace_id: str, account_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("ACCOUNT", account_id)

    @classmethod
    def find(cls, workspace_id: str, account_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, account_id))

    @staticmethod
    def refresh_bucket(account_id: str) -> str:
        return key("TOKENS", str(int(account_id[-4:], 36) % REFRESH_SHARDS))


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
