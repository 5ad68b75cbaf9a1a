"""The engagement inbox's items in the application table (docs/inbox.md).

    WS#<workspace>   INBOX#<item id>                              a comment, reply or mention
    WS#<workspace>   INBOXKEY#<platform>#<platform item id>       guards its uniqueness

(A platform id that is long or holds `#` is digested in a key: `platform_links.key_part`.)

The item id is a ULID taken when Herald first records the item, so a workspace's inbox reads
newest first from its partition. The guard, written in the same transaction, makes a second
arrival of the same platform item (a platform's retry, or a poll finding what a webhook
brought) a no-op, whatever path it came by.

Every inbox item also carries `folded_text` (its text casefolded, for text search) and
`thread_key` (`WS#<workspace>#THREAD#<platform>#<root>`, the root being the platform's thread
id, else the item's own id), set whenever it is written: the table's `by-thread` index finds
a conversation's items by it. The inbox API keeps:

    WS#<workspace>   INBOXACTION#<item id>#<action key>   a reply, hide, unhide or delete,
                                                         claimed before the platform call (TTL)
    WS#<workspace>   SAVEDREPLY#<saved reply id>          a saved reply
    WS#<workspace>   SETTINGS#INBOX_AI                    the inbox assistant's settings
"""

from datetime import datetime
from typing import Any, Self

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from functions.shared.engagement import Engagement, EngagementAuthor
from functions.shared.identity_items import FindableItem
from functions.shared.platform_links import key_part
from functions.shared.tables import key

INBOX_STATUSES = ("new", "read", "replied", "hidden", "deleted")
THREAD_INDEX = "by-thread"


def thread_key(workspace_id: str, platform: str, root_platform_id: str) -> str:
    return key("WS", workspace_id, "THREAD", platform, key_part(root_platform_id))


class ThreadIndex(GlobalSecondaryIndex["InboxItem"]):  # type: ignore[no-untyped-call]
    """A conversation's items, in the order Herald received them."""

    class Meta:
        index_name = THREAD_INDEX
        projection = AllProjection()

    thread_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, attr_name="SK")


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
    status_before_hiding = UnicodeAttribute(null=True)  # what unhide restores
    thread_key = UnicodeAttribute(null=True)
    folded_text = UnicodeAttribute(null=True)  # the text casefolded, for "text contains"
    # The inbox assistant's (inbox_assistant.py): its label, and a reply drafted for approval.
    label = UnicodeAttribute(null=True)  # question, complaint, praise, spam, abusive
    label_confidence = NumberAttribute(null=True)
    labelled_at = UTCDateTimeAttribute(null=True)
    reply_draft = UnicodeAttribute(null=True)
    reply_draft_at = UTCDateTimeAttribute(null=True)
    by_thread = ThreadIndex()

    @staticmethod
    def keys(workspace_id: str, item_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("INBOX", item_id)

    @classmethod
    def of_engagement(
        cls,
        workspace_id: str,
        account_id: str,
        engagement: Engagement,
        *,
        item_id: str,
        received_at: datetime,
        status: str = "new",
        post_id: str | None = None,
        target_id: str | None = None,
    ) -> Self:
        author = engagement.author
        return cls(
            *cls.keys(workspace_id, item_id),
            item_id=item_id,
            workspace_id=workspace_id,
            account_id=account_id,
            platform=engagement.platform,
            platform_item_id=engagement.platform_item_id,
            kind=engagement.kind,
            text=engagement.text,
            author_id=author.platform_user_id,
            author_name=author.name,
            author_handle=author.handle,
            author_avatar_url=author.avatar_url,
            created_at=engagement.created_at,
            received_at=received_at,
            platform_post_id=engagement.platform_post_id,
            post_id=post_id,
            target_id=target_id,
            parent_id=engagement.parent_id,
            thread_id=engagement.thread_id,
            permalink=engagement.permalink,
            status=status,
        )

    def engagement(self, platform_account_id: str) -> Engagement:
        """The item as the platform adapters take it."""
        return Engagement(
            platform=self.platform,
            platform_account_id=platform_account_id,
            platform_item_id=self.platform_item_id,
            kind=self.kind,  # type: ignore[arg-type]
            text=self.text,
            author=EngagementAuthor(
                platform_user_id=self.author_id,
                name=self.author_name,
                handle=self.author_handle,
                avatar_url=self.author_avatar_url,
            ),
            created_at=self.created_at,
            platform_post_id=self.platform_post_id,
            parent_id=self.parent_id,
            thread_id=self.thread_id,
            permalink=self.permalink,
        )

    @property
    def thread_root(self) -> str:
        return self.thread_id or self.platform_item_id

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        # Whoever writes an item (the inbound processor, a reply), it lands on the thread index
        # and can be found by its text whatever the case.
        self.thread_key = thread_key(self.workspace_id, self.platform, self.thread_root)
        self.folded_text = self.text.casefold()
        return super().serialize(null_check)

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


class InboxActionItem(FindableItem):
    """A reply, hide, unhide or delete of an inbox item, claimed (`pending`) before the platform
    is called and kept with its answer (`done`), so that a retried request answers what the
    first one did instead of calling the platform again. `unconfirmed`: the call was made but
    its outcome is unknown (it may have happened), so it is never made again by a retry."""

    workspace_id = UnicodeAttribute()
    item_id = UnicodeAttribute()
    action = UnicodeAttribute()  # reply, hide, unhide, delete
    request_digest = UnicodeAttribute()  # what was asked, to refuse a reused Idempotency-Key
    state = UnicodeAttribute(default="pending")  # pending, done, unconfirmed
    result = JSONAttribute(null=True)  # the answer: the item (and the reply) as returned

    @staticmethod
    def keys(workspace_id: str, item_id: str, action_key: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("INBOXACTION", item_id, action_key)

    @classmethod
    def find(cls, workspace_id: str, item_id: str, action_key: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, item_id, action_key))


class SavedReplyItem(FindableItem):
    saved_reply_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    title = UnicodeAttribute()
    text = UnicodeAttribute()
    created_by = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str, saved_reply_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("SAVEDREPLY", saved_reply_id)

    @classmethod
    def find(cls, workspace_id: str, saved_reply_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, saved_reply_id))


class InboxAiSettingsItem(FindableItem):
    """What the inbox assistant does by itself when an item arrives (all off by default)."""

    classify_on_arrival = BooleanAttribute(default=False)
    hide_spam = BooleanAttribute(default=False)
    hide_abusive = BooleanAttribute(default=False)
    min_confidence = NumberAttribute(default=0.8)
    draft_replies = BooleanAttribute(default=False)
    send_drafts_unreviewed = BooleanAttribute(default=False)
    updated_by = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("SETTINGS", "INBOX_AI")

    @classmethod
    def find(cls, workspace_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id))
