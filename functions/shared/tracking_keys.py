"""The lookup of a tracking key by the digest of its secret (docs/analytics.md#keys).

The analytics group writes and reads it; it lives outside the workspace's partition, so the auth
group's workspace purge deletes it, reading `secret_digest` from each key item of the partition
(`WS#<ws>` / `TRACKKEY#<key id>`).
"""

from typing import Self

from pynamodb.attributes import ListAttribute, UnicodeAttribute

from functions.shared.identity_items import FindableItem
from functions.shared.tables import key


class TrackingKeyLookupItem(FindableItem):
    """Finds a tracking key by the digest of its secret; deleted when the key is revoked or its
    workspace deleted."""

    key_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    allowed_origins = ListAttribute(of=UnicodeAttribute, default=list)

    @staticmethod
    def keys(secret_digest: str) -> tuple[str, str]:
        return key("TRACKKEY", secret_digest), "TRACKKEY"

    @classmethod
    def find(cls, secret_digest: str) -> Self | None:
        return cls.find_key(*cls.keys(secret_digest))
