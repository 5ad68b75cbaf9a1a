"""Meta's data deletion requests as Herald received them, behind the confirmation code Meta
shows the user with the status URL (docs/inbox.md).

    DATADELETION#<confirmation code>   REQUEST   which app, when; no personal data

Not in a workspace's partition: the request comes from a Meta user, before Herald knows which
workspaces hold their data; the processor finds those by the user's platform id.
"""

import hashlib
from datetime import datetime, timedelta

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from functions.shared.tables import AppItem, key, utc_now

SORT_KEY = "REQUEST"
# Long enough for a user to come back to the status page; Meta sets no period.
KEPT = timedelta(days=90)
CODE_LENGTH = 24


class DataDeletionItem(Model):
    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    platform = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()

    @property
    def confirmation_code(self) -> str:
        return self.pk.removeprefix("DATADELETION#")


def record_request(platform: str, request_id: str, now: datetime | None = None) -> DataDeletionItem:
    """Record the request named `request_id` (the user and the time Meta signed it): its code
    is a digest of that name, so Meta's retry of one request finds the same code, and the code
    reveals neither."""
    now = now or utc_now()
    code = hashlib.sha256(f"{platform}:{request_id}".encode()).hexdigest()[:CODE_LENGTH]
    item = DataDeletionItem(
        key("DATADELETION", code),
        SORT_KEY,
        platform=platform,
        requested_at=now,
        expires_at=now + KEPT,
    )
    item.save()
    return item


def find_request(confirmation_code: str) -> DataDeletionItem | None:
    try:
        return DataDeletionItem.get(key("DATADELETION", confirmation_code), SORT_KEY)
    except DoesNotExist:
        return None
