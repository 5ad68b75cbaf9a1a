"""What the engagement poller keeps: one item per thing it watches (docs/inbox.md, "Polling").

    WS#<workspace>   POLL#COMMENTS#<post>#<account>   comments on a published target
    WS#<workspace>   POLL#MENTIONS#<account>          mentions of an account

Each carries the platform's cursor (where the next poll starts) and sits on the table's sparse
`by-due` index under `POLLS#<shard>` until its next poll, so a run finds what is due by key.
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection

from functions.publish.adapters.items import DUE_INDEX, DUE_INDEX_PROJECTION
from functions.shared.identity_items import FindableItem
from functions.shared.tables import key


class PollDueIndex(GlobalSecondaryIndex["PollItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = DUE_INDEX
        projection = IncludeProjection(DUE_INDEX_PROJECTION)

    due_bucket = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class PollItem(FindableItem):
    workspace_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    post_id = UnicodeAttribute(null=True)  # comments only
    kind = UnicodeAttribute()  # comments, mentions
    platform = UnicodeAttribute()
    platform_post_id = UnicodeAttribute(null=True)  # comments only
    cursor = UnicodeAttribute(null=True)
    polls = NumberAttribute(default=0)  # made so far: the next wait grows with it
    due_bucket = UnicodeAttribute()
    due_at = UTCDateTimeAttribute()
    by_due = PollDueIndex()

    @staticmethod
    def comments_keys(workspace_id: str, post_id: str, account_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("POLL", "COMMENTS", post_id, account_id)

    @staticmethod
    def mentions_keys(workspace_id: str, account_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("POLL", "MENTIONS", account_id)
