"""The analytics group's items in the application table (docs/access-patterns.md, "Analytics").

Tracking keys are found by the digest of their secret, as API keys are (`functions.shared.auth`),
through their lookup items (`functions.shared.tracking_keys`).
Rollups are counters bumped with atomic `ADD` updates through the low-level client, since their
attribute names (a page path, an event name) are data, which PynamoDB models cannot declare.
"""

from typing import Self

from pynamodb.attributes import ListAttribute, UnicodeAttribute

from functions.shared.identity_items import FindableItem
from functions.shared.tables import key


class TrackingKeyItem(FindableItem):
    key_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()  # write, server
    allowed_origins = ListAttribute(of=UnicodeAttribute, default=list)
    hint = UnicodeAttribute()
    secret_digest = UnicodeAttribute()
    created_by = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str, key_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("TRACKKEY", key_id)

    @classmethod
    def find(cls, workspace_id: str, key_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, key_id))

    @classmethod
    def count_of_workspace(cls, workspace_id: str) -> int:
        return int(
            cls.count(key("WS", workspace_id), cls.sk.startswith("TRACKKEY#"), consistent_read=True)
        )


class EventQueryItem(FindableItem):
    """A funnel or retention query of a workspace: its request, and either the engine's execution
    (Athena) or, for an engine that answered at once (DuckDB), the rows. Expires with the
    Athena results it points to (`expires_at`)."""

    query_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # funnel, retention
    request = UnicodeAttribute()  # the request's JSON
    execution_id = UnicodeAttribute(null=True)
    rows = UnicodeAttribute(null=True)  # JSON list of rows

    @staticmethod
    def keys(workspace_id: str, query_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("EVENTQUERY", query_id)

    @classmethod
    def find(cls, workspace_id: str, query_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, query_id))
