"""Wall times in a workspace's time zone: the UTC moment one means, and the next occurrence of a
recurring post (the same wall time, so 09:00 stays 09:00 across a daylight-saving change)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from functions.publish.domain.post_models import Recurrence
from functions.shared.problems import FieldError, ValidationFailed


def resolve_time(at: datetime, timezone: str, pointer: str = "/body/at") -> datetime:
    """The UTC moment meant by `at`: with an offset as given, without one in `timezone`.

    A wall time that does not exist there (skipped by a spring-forward change) is refused; one
    that exists twice (the autumn change) means its first occurrence (RFC 5545 section 3.3.5).
    """
    if at.tzinfo is not None:
        return at.astimezone(ZoneInfo("UTC"))
    zone = ZoneInfo(timezone)
    local = at.replace(tzinfo=zone, fold=0)
    try:
        round_trip = local.astimezone(ZoneInfo("UTC")).astimezone(zone)
    except OverflowError:
        raise ValidationFailed(
            f"{at.isoformat()} in {timezone} falls outside the years 1 to 9999 in UTC.",
            errors=[
                FieldError(
                    pointer=pointer,
                    detail="must fall between the years 1 and 9999 in UTC",
                    code="date_time_out_of_range",
                )
            ],
        ) from None
    if round_trip.replace(tzinfo=None) != at:
        raise ValidationFailed(
            f"{at.isoformat()} does not exist in {timezone} (the clocks skip it).",
            errors=[
                FieldError(
                    pointer=pointer,
                    detail=f"this wall time is skipped by a daylight-saving change in {timezone}",
                    code="nonexistent_time",
                )
            ],
        )
    return local.astimezone(ZoneInfo("UTC"))


def next_occurrence(previous: datetime, timezone: str, recurrence: Recurrence) -> datetime | None:
    """The same wall time `every` days or weeks later (so 09:00 stays 09:00 across a change),
    or None after `until`. An occurrence whose wall time the clocks skip is left out (RFC 5545
    section 3.3.10: such instances are ignored); one repeated is the first, as `resolve_time`."""
    zone = ZoneInfo(timezone)
    local = previous.astimezone(zone)
    step = timedelta(days=recurrence.every * (7 if recurrence.unit == "weeks" else 1))
    wall = local.replace(tzinfo=None) + step
    until: date | None = recurrence.until
    while True:
        if until is not None and wall.date() > until:
            return None
        try:
            return resolve_time(wall, timezone)
        except ValidationFailed:
            wall += step  # the wall time does not exist that day: skip the occurrence
