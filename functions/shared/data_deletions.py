"""Meta's data deletion requests (Facebook Login and Threads apps), behind the confirmation code
Meta shows the user with the status URL (docs/inbox.md).

    DATADELETION#<confirmation code>   REQUEST   which app, when; the Herald accounts still to
                                                 delete (`WS/ACCOUNT` references, no personal
                                                 data); when the deletion completed

Not in a workspace's partition: the request comes from a Meta user, before Herald knows which
workspaces hold their data. The webhooks group records the request when Meta calls (`record`);
its processor finds the user's accounts by key and names them (`expect`); the publish group
disconnects each and crosses it off (`account_deleted`); the last one crossed off completes the
request.
"""

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from pynamodb.attributes import (
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from functions.shared.tables import AppItem, condition_failed, key, utc_now

SORT_KEY = "REQUEST"
# Long enough for a user to come back to the status page; Meta sets no period.
KEPT = timedelta(days=90)
CODE_LENGTH = 24


def account_ref(workspace_id: str, account_id: str) -> str:
    return f"{workspace_id}/{account_id}"


class DataDeletionItem(Model):
    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    platform = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    # Set once the processor has named the accounts to delete; `pending` is removed by
    # DynamoDB when its last reference is.
    expected_at = UTCDateTimeAttribute(null=True)
    pending = UnicodeSetAttribute(null=True)
    completed_at = UTCDateTimeAttribute(null=True)

    @property
    def confirmation_code(self) -> str:
        return self.pk.removeprefix("DATADELETION#")

    @classmethod
    def keys(cls, confirmation_code: str) -> tuple[str, str]:
        return key("DATADELETION", confirmation_code), SORT_KEY


def confirmation_code(platform: str, request_id: str) -> str:
    """The code of the request named `request_id` (the user and the time Meta signed it): a
    digest of that name, so Meta's retry of one request finds the same code, and the code
    reveals neither."""
    return hashlib.sha256(f"{platform}:{request_id}".encode()).hexdigest()[:CODE_LENGTH]


def record(platform: str, request_id: str, now: datetime | None = None) -> DataDeletionItem:
    """Record the request once: Meta's retry finds it as it is, its progress kept."""
    now = now or utc_now()
    code = confirmation_code(platform, request_id)
    item = DataDeletionItem(
        *DataDeletionItem.keys(code), platform=platform, requested_at=now, expires_at=now + KEPT
    )
    try:
        item.save(condition=DataDeletionItem.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
    return item


def find(code: str) -> DataDeletionItem | None:
    try:
        return DataDeletionItem.get(*DataDeletionItem.keys(code), consistent_read=True)
    except DoesNotExist:
        return None


def expect(code: str, accounts: Iterable[tuple[str, str]], now: datetime | None = None) -> None:
    """Name the (workspace, account) pairs to delete for the request, the first time only (a
    redelivery to the processor must not name again what was deleted meanwhile); with none,
    the request is complete at once."""
    now = now or utc_now()
    refs = {account_ref(workspace_id, account_id) for workspace_id, account_id in accounts}
    actions: list[Action] = [DataDeletionItem.expected_at.set(now)]
    actions.append(
        DataDeletionItem.pending.set(refs) if refs else DataDeletionItem.completed_at.set(now)
    )
    try:
        DataDeletionItem(*DataDeletionItem.keys(code)).update(
            actions=actions,
            condition=DataDeletionItem.pk.exists() & DataDeletionItem.expected_at.does_not_exist(),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def account_deleted(
    code: str, workspace_id: str, account_id: str, now: datetime | None = None
) -> None:
    """Cross the account off the request; the last one completes it."""
    item = DataDeletionItem(*DataDeletionItem.keys(code))
    try:
        item.update(
            actions=[DataDeletionItem.pending.delete({account_ref(workspace_id, account_id)})],
            condition=DataDeletionItem.pk.exists() & DataDeletionItem.expected_at.exists(),
        )
    except UpdateError as error:
        if condition_failed(error):
            return  # expired, or never expected: nothing waits for this account
        raise
    if item.pending or item.completed_at is not None:
        return
    try:
        item.update(
            actions=[DataDeletionItem.completed_at.set(now or utc_now())],
            condition=DataDeletionItem.pending.does_not_exist()
            & DataDeletionItem.completed_at.does_not_exist(),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
