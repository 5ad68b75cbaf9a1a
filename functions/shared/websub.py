"""YouTube WebSub subscriptions Herald asked for, so that the webhooks group confirms a hub's
verification of intent only for those (https://www.w3.org/TR/websub/#hub-verifies-intent).

    WEBSUB#<topic URL>   SUBSCRIPTION   the mode last asked for, and the lease once verified;
                                        on the `by-due` index (bucket `WEBSUB`) while a
                                        subscription is to be renewed or asked for again

The publish group records the request (`request_subscription`) before it asks Google's hub to
subscribe or unsubscribe a channel's feed; the hub then calls Herald's callback to verify, and
the webhooks group confirms only a topic and mode found here (`confirm`). Each subscription is
signed with its own secret, derived from the configured WebSub secret and the topic, so neither
group stores it and one leaked subscription secret exposes no other.
"""

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Literal

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from functions.shared.platform_credentials import platform_secret
from functions.shared.tables import AppItem, condition_failed, key, utc_now

HUB_URL = "https://pubsubhubbub.appspot.com/subscribe"
SORT_KEY = "SUBSCRIPTION"
# A request the hub never verified is forgotten after a day; a verified one a day after its
# lease ends (the publish group renews leases before then).
UNVERIFIED_TTL = timedelta(days=1)
LEASE_GRACE = timedelta(days=1)
# When a subscription falls due for the publish group's renewal: a day before its lease ends
# (half the lease, for a short one); an hour after a request the hub has not verified yet.
RENEW_BEFORE = timedelta(days=1)
ASK_AGAIN_AFTER = timedelta(hours=1)
DUE_BUCKET = "WEBSUB"
MAX_LEASE_SECONDS = 10 * 365 * 24 * 3600

Mode = Literal["subscribe", "unsubscribe"]


def channel_topic(channel_id: str) -> str:
    """The feed a channel's notifications come from
    (https://developers.google.com/youtube/v3/guides/push_notifications)."""
    return f"https://www.youtube.com/xml/feeds/videos.xml?channel_id={channel_id}"


def subscription_secret(topic: str) -> str | None:
    """The `hub.secret` of the subscription to `topic`; None when no WebSub secret is configured
    (the `websub_secret` of the `google` credentials entry)."""
    master = platform_secret("google", "websub_secret")
    if master is None:
        return None
    return hmac.new(master.encode(), topic.encode(), hashlib.sha256).hexdigest()


class WebSubDueIndex(GlobalSecondaryIndex["WebSubSubscriptionItem"]):  # type: ignore[no-untyped-call]
    """Subscriptions by when they are due, in the `WEBSUB` bucket of the table's `by-due` index
    (its projection is the table's: infra/foundation.py; only the keys are read here)."""

    class Meta:
        index_name = "by-due"
        projection = KeysOnlyProjection()

    due_bucket = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class WebSubSubscriptionItem(Model):
    """Unversioned: the hub's verification updates it by condition on the mode, not on a read."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    expires_at = TTLAttribute(null=True)
    mode = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    verified_at = UTCDateTimeAttribute(null=True)
    lease_seconds = NumberAttribute(null=True)
    due_bucket = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    by_due = WebSubDueIndex()

    @classmethod
    def keys(cls, topic: str) -> tuple[str, str]:
        return key("WEBSUB", topic), SORT_KEY


def request_subscription(topic: str, mode: Mode, now: datetime | None = None) -> None:
    """Record that Herald is about to ask the hub to `mode` the topic (a renewal included)."""
    now = now or utc_now()
    pk, sk = WebSubSubscriptionItem.keys(topic)
    try:
        item = WebSubSubscriptionItem.get(pk, sk, consistent_read=True)
    except DoesNotExist:
        item = WebSubSubscriptionItem(pk, sk)
    if item.expires_at is None:
        item.expires_at = now + UNVERIFIED_TTL
    item.mode = mode
    item.requested_at = now
    # Asked for again if the hub never verifies, an unsubscription as a subscription: a
    # confirmed unsubscription forgets the topic, so it is never due again.
    item.due_bucket = DUE_BUCKET
    item.due_at = now + ASK_AGAIN_AFTER
    item.save()


def confirm(topic: str, mode: str, lease_seconds: int | None, now: datetime | None = None) -> bool:
    """Whether Herald asked to `mode` the topic; a confirmed subscription keeps its lease, a
    confirmed unsubscription forgets the topic. False for anything Herald did not ask for."""
    now = now or utc_now()
    pk, sk = WebSubSubscriptionItem.keys(topic)
    item = WebSubSubscriptionItem(pk, sk)
    asked = WebSubSubscriptionItem.mode == mode
    try:
        if mode == "unsubscribe":
            item.delete(condition=WebSubSubscriptionItem.pk.exists() & asked)
            return True
        if mode != "subscribe":
            return False
        lease = timedelta(seconds=min(max(lease_seconds or 0, 0), MAX_LEASE_SECONDS))
        item.update(
            actions=[
                WebSubSubscriptionItem.verified_at.set(now),
                WebSubSubscriptionItem.lease_seconds.set(int(lease.total_seconds())),
                WebSubSubscriptionItem.expires_at.set(now + lease + LEASE_GRACE),
                WebSubSubscriptionItem.due_at.set(now + max(lease - RENEW_BEFORE, lease / 2)),
            ],
            condition=WebSubSubscriptionItem.pk.exists() & asked,
        )
    except (UpdateError, DeleteError) as error:
        if condition_failed(error):
            return False
        raise
    return True


def due_topics(now: datetime | None = None) -> list[str]:
    """The topics whose subscription is due to be asked for again (renewed) by now."""
    limit = now or utc_now()
    return [
        entry.pk.removeprefix("WEBSUB#")
        for entry in WebSubSubscriptionItem.by_due.query(
            DUE_BUCKET, WebSubSubscriptionItem.due_at <= limit
        )
    ]
