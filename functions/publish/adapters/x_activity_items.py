"""Items of X's Account Activity: the app's webhook and each X user's subscription to it.

XWEBHOOK#<client id>   URL#<callback URL>   the webhook X registered for this app and callback
                                            (one per app and environment, never per account)
XACTIVITY#<X user id>  SUBSCRIPTION         the user's subscription: its state and the Herald
                                            accounts (`<workspace>/<account>`) that link the
                                            user; on the `by-due` index (bucket `XACTIVITY`)
                                            while a subscription or unsubscription is to be
                                            tried again
XACTIVITYWS#<ws>       ACCOUNT#<account>    the X user a workspace's account is listed for: what
                                            deleting the workspace finds its subscriptions by
                                            (outside its partition, which auth has purged when
                                            `workspace.deleted` arrives)

X subscribes a user to an app's webhook once, however many Herald workspaces connect that user:
the subscription is deleted at X only when the last Herald account linking the user goes.
"""

from typing import Literal, Self

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from functions.publish.adapters.items import DUE_INDEX
from functions.shared.identity_items import FindableItem
from functions.shared.tables import AppItem, key, utc_now

DUE_BUCKET = "XACTIVITY"
State = Literal["pending", "subscribed", "unsubscribing"]


class XWebhookItem(FindableItem):
    webhook_id = UnicodeAttribute()
    url = UnicodeAttribute()
    # When Herald last asked X whether the webhook is still valid (at most hourly).
    checked_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(client_id: str, url: str) -> tuple[str, str]:
        return key("XWEBHOOK", client_id), key("URL", url)


class XActivityDueIndex(GlobalSecondaryIndex["XActivityItem"]):  # type: ignore[no-untyped-call]
    """Subscriptions to try again, in the `XACTIVITY` bucket of the table's `by-due` index (only
    the keys are read here)."""

    class Meta:
        index_name = DUE_INDEX
        projection = KeysOnlyProjection()

    due_bucket = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class XActivityItem(Model):
    """Unversioned: connects and disconnects in several workspaces add and remove their account
    atomically (set ADD/DELETE), without a read first."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    user_id = UnicodeAttribute()
    state = UnicodeAttribute(default="pending")
    accounts = UnicodeSetAttribute(null=True)
    webhook_id = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(default=utc_now)
    due_bucket = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    by_due = XActivityDueIndex()

    @staticmethod
    def keys(user_id: str) -> tuple[str, str]:
        return key("XACTIVITY", user_id), "SUBSCRIPTION"

    @classmethod
    def find(cls, user_id: str) -> Self | None:
        try:
            return cls.get(*cls.keys(user_id), consistent_read=True)
        except cls.DoesNotExist:
            return None

    @staticmethod
    def account_ref(workspace_id: str, account_id: str) -> str:
        return f"{workspace_id}/{account_id}"


class XActivityAccountItem(Model):
    """Written before the account joins its user's entry and deleted after it leaves, so that
    every entry listing a workspace's account is found from the workspace id."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    account_id = UnicodeAttribute()
    user_id = UnicodeAttribute()

    @staticmethod
    def partition(workspace_id: str) -> str:
        return key("XACTIVITYWS", workspace_id)

    @classmethod
    def of(cls, workspace_id: str, account_id: str, user_id: str) -> Self:
        return cls(
            cls.partition(workspace_id),
            key("ACCOUNT", account_id),
            account_id=account_id,
            user_id=user_id,
        )

    @classmethod
    def of_workspace(cls, workspace_id: str, limit: int | None = None) -> list[Self]:
        return list(cls.query(cls.partition(workspace_id), consistent_read=True, limit=limit))
