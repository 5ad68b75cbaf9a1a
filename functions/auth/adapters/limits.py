"""Per-IP rate limits and per-address sign-in lockout, kept in DynamoDB with a TTL.

Counters are bumped atomically (an ADD update), so concurrent attempts are all counted. Lockout
is keyed by the digest of the email address, known or not, so it behaves alike for both and
reveals nothing about which addresses have accounts.
"""

from datetime import datetime, timedelta

from pynamodb.attributes import UTCDateTimeAttribute

from functions.shared.auth import digest
from functions.shared.rate_limits import count_in_window
from functions.shared.tables import CounterItem, key, utc_now


class LockoutItem(CounterItem):
    locked_until = UTCDateTimeAttribute(null=True)


def bump_window(action: str, subject: str, window: timedelta) -> tuple[int, datetime]:
    """Count one more `action` by `subject` in the current fixed window: (count, window end)."""
    return count_in_window(key("LIMIT", action, digest(subject)), (), window)


def _lockout_keys(email: str) -> tuple[str, str]:
    return key("LOCKOUT", digest(email)), "LOCKOUT"


def locked_until(email: str) -> datetime | None:
    try:
        item = LockoutItem.get(*_lockout_keys(email), consistent_read=True)
    except LockoutItem.DoesNotExist:
        return None
    return item.locked_until if item.locked_until and item.locked_until > utc_now() else None


def record_failure(email: str, *, forget_after: timedelta) -> int:
    """Count a failed sign-in for `email`; returns the consecutive failures so far."""
    item = LockoutItem(*_lockout_keys(email))
    item.update(
        actions=[LockoutItem.hits.add(1), LockoutItem.expires_at.set(utc_now() + forget_after)]
    )
    return int(item.hits)


def lock(email: str, until: datetime) -> None:
    LockoutItem(*_lockout_keys(email)).update(actions=[LockoutItem.locked_until.set(until)])


def clear_failures(email: str) -> None:
    LockoutItem(*_lockout_keys(email)).delete()
