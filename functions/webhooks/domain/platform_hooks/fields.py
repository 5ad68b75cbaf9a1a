"""Reading platform payloads defensively: a field of the wrong type reads as absent, and every
string is bounded, so no payload can make a parser fail or an inbox item overflow."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

MAX_TEXT = 8000  # longer than any platform allows a comment (X's long posts: 4,000 here)
MAX_NAME = 300
MAX_ID = 300
MAX_URL = 2048


def mapping(value: Any, *path: str) -> Mapping[str, Any]:
    """The object at `path` inside `value`, or an empty one."""
    for name in path:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def items(value: Any, name: str) -> Sequence[Any]:
    found = value.get(name) if isinstance(value, Mapping) else None
    return found if isinstance(found, list) else []


def text(value: Any, name: str, limit: int = MAX_TEXT) -> str | None:
    found = value.get(name) if isinstance(value, Mapping) else None
    if isinstance(found, bool) or not isinstance(found, str | int):
        return None
    return str(found)[:limit] or None


def identifier(value: Any, name: str) -> str | None:
    return text(value, name, MAX_ID)


def epoch_seconds(value: Any) -> datetime | None:
    """Unix seconds (or milliseconds, told apart by size) as an aware UTC time."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = value / 1000 if value > 10**11 else value
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def iso_time(value: Any) -> datetime | None:
    """An ISO 8601 time (`2024-08-07T10:33:16+0000` included), as aware UTC; None if not one."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
