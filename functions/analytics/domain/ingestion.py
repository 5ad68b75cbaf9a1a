"""A batch of tracked events: refused whole if an event is out of bounds, else stored raw (through
Firehose, to S3) and counted in the day rollups."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from ulid import ULID

from functions.analytics.adapters import attribution, event_stream, rollups
from functions.analytics.domain.keys import Sender
from functions.analytics.domain.models import BatchAccepted, EventBatch, TrackedEvent
from functions.analytics.domain.queries import NO_SOURCE, actor_key
from functions.shared.access import ID_PATTERN
from functions.shared.problems import FieldError, ValidationFailed
from functions.shared.tables import utc_now

PAGEVIEW = "page_view"
# The redirect of a tracked link records this event; the link itself counts its clicks.
LINK_CLICK = "link_click"
# A site event is attributed to a post when it arrives with the UTM parameters of the post's
# tracked links (docs/analytics.md#tracked-links).
HERALD_CAMPAIGN = "herald"
SOCIAL_MEDIUM = "social"
_POST_ID = re.compile(ID_PATTERN)
# Clocks of browsers drift; events from further ahead are refused rather than counted on a day
# that has not come. Older than the oldest day a dashboard shows for certain is refused too.
MAX_AHEAD = timedelta(hours=1)
MAX_AGE = timedelta(days=30)


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def _check_times(batch: EventBatch, now: datetime) -> None:
    errors = [
        FieldError(
            pointer=f"/body/events/{index}/timestamp",
            detail="must be within the last 30 days and at most an hour ahead",
            code="timestamp_out_of_range",
        )
        for index, event in enumerate(batch.events)
        if not now - MAX_AGE <= event.timestamp <= now + MAX_AHEAD
    ]
    if errors:
        raise ValidationFailed(
            f"{len(errors)} event(s) have a timestamp out of range; nothing was stored.",
            errors=errors,
        )


def stored_record(workspace_id: str, event: TrackedEvent, received_at: datetime) -> dict[str, Any]:
    """The event as one line of the raw event files (columns: domain/queries.py)."""
    utm = event.utm
    page = urlsplit(event.page_url) if event.page_url else None
    actor = event.user_id or event.anonymous_id
    return {
        "event_id": str(ULID()),
        "workspace_id": workspace_id,
        "name": event.name,
        "timestamp": _utc_text(event.timestamp),
        "ts_ms": int(event.timestamp.timestamp() * 1000),
        "received_at": _utc_text(received_at),
        "actor": actor,
        "actor_key": actor_key(workspace_id, actor),
        "anonymous_id": event.anonymous_id,
        "user_id": event.user_id,
        "session_id": event.session_id,
        "properties": event.properties,
        "page_url": event.page_url,
        "page_path": (page.path or "/") if page else None,
        "referrer": event.referrer,
        "referrer_host": urlsplit(event.referrer).hostname if event.referrer else None,
        "utm_source": utm.source if utm else None,
        "utm_medium": utm.medium if utm else None,
        "utm_campaign": utm.campaign if utm else None,
        "utm_term": utm.term if utm else None,
        "utm_content": utm.content if utm else None,
        "revenue": str(event.revenue) if event.revenue is not None else None,
        "currency": event.currency,
    }


def increments(records: list[dict[str, Any]]) -> dict[date, rollups.DayIncrements]:
    """What the batch adds to each UTC day's rollups."""
    days: dict[date, rollups.DayIncrements] = {}
    for record in records:
        day = date.fromisoformat(record["timestamp"][:10])
        counts = days.setdefault(day, rollups.DayIncrements())
        counts.totals["events"] += 1
        counts.add_value("event", record["name"])
        if record["name"] == PAGEVIEW:
            counts.totals["pageviews"] += 1
            if record["page_path"]:
                counts.add_value("page", record["page_path"])
        if record["referrer_host"]:
            counts.add_value("referrer", record["referrer_host"])
        source = record["utm_source"] or NO_SOURCE
        if record["utm_source"]:
            counts.add_value("utm_source", source)
        if record["revenue"] is not None:
            amount = Decimal(record["revenue"])
            counts.add_value("revenue", f"{record['currency']}:{source}", amount)
        counts.seen.add(("visitor", record["actor"]))
        if record["session_id"]:
            counts.seen.add(("session", record["session_id"]))
    return days


def attributed(
    records: list[dict[str, Any]],
) -> dict[tuple[str, str], attribution.Attributed]:
    """What the batch attributes to posts, by (post id, platform)."""
    found: dict[tuple[str, str], attribution.Attributed] = {}
    for record in records:
        post_id, platform = record["utm_content"], record["utm_source"]
        if (
            record["name"] == LINK_CLICK
            or record["utm_campaign"] != HERALD_CAMPAIGN
            or record["utm_medium"] != SOCIAL_MEDIUM
            or not platform
            or not _POST_ID.match(post_id or "")
        ):
            continue
        events = found.setdefault((post_id, platform), attribution.Attributed())
        events.counts[record["name"]] = events.counts.get(record["name"], 0) + 1
        if record["revenue"] is not None:
            revenue = events.revenue.setdefault(record["name"], {})
            currency = record["currency"]
            revenue[currency] = revenue.get(currency, Decimal(0)) + Decimal(record["revenue"])
    return found


def store(workspace_id: str, events: list[TrackedEvent], now: datetime) -> int:
    """Store checked events raw, count them in the rollups and attribute them to posts."""
    records = [stored_record(workspace_id, event, now) for event in events]
    event_stream.put(records)
    rollups.record(workspace_id, increments(records))
    attribution.record(workspace_id, attributed(records))
    return len(records)


def ingest(sender: Sender, batch: EventBatch) -> BatchAccepted:
    now = utc_now()
    _check_times(batch, now)
    return BatchAccepted(accepted=store(sender.workspace_id, batch.events, now))
