"""The engagement inbox's items in the application table (docs/inbox.md).

    WS#<workspace>   INBOX#<item id>                              a comment, reply or mention
    WS#<workspace>   INBOXKEY#<platform>#<platform item id>       guards its uniqueness

(A platform item id that is long or holds `#` is digested in the key: `platform_links.key_part`.)

The item id is a ULID taken when Herald first records the item, so a workspace's inbox reads
newest first from its partition. The guard, written in the same transaction, makes a second
arrival of the same platform item (a platform's retry, or a poll finding what a webhook
brought) a no-op, whatever path it came by.
"""

from typing import Self

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from functions.shared.identity_items import FindableItem
from functions.shared.platform_links import key_part
from functions.shared.tables import key

INBOX_STATUSES = ("new", "read", "replied", "hidden", "deleted")


class InboxItem(FindableItem):
    item_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    account_id = UnicodeAttribute()  # the Herald account it arrived for
    platform = UnicodeAttribute()
    platform_item_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # comment, reply, mention
    text = UnicodeAttribute()
    author_id = UnicodeAttribute(null=True)
    author_name = UnicodeAttribute(null=True)
    author_handle = UnicodeAttribute(null=True)
    author_avatar_url = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)  # on the platform
    received_at = UTCDateTimeAttribute()
    platform_post_id = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)  # the Herald post and target, when it is on one of ours
    target_id = UnicodeAttribute(null=True)
    parent_id = UnicodeAttribute(null=True)  # platform ids, as the platform gives them
    thread_id = UnicodeAttribute(null=True)
    permalink = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="new")
    assignee = UnicodeAttribute(null=True)  # a member's user id

    @staticmethod
    def keys(workspace_id: str, item_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("INBOX", item_id)

    @classmethod
    def find(cls, workspace_id: str, item_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, item_id))


class InboxKeyItem(FindableItem):
    """One per platform item and workspace: which inbox item it became."""

    item_id = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str, platform: str, platform_item_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("INBOXKEY", platform, key_part(platform_item_id))

    @classmethod
    def find(cls, workspace_id: str, platform: str, platform_item_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, platform, platform_item_id))
