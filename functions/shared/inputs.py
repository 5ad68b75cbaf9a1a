"""Input types every group's request models and query parameters share, so that one rule holds at
every edge (docs/api-conventions.md, "Input"):

- `SingleLine`: names, labels, titles and the like. Control characters (C0, DEL, C1) and the
  Unicode line and paragraph separators are refused, so a stored value can never break a line
  where it is shown or sent on (an email header, a CSV cell, a log line).
- `Rfc3339DateTime`: a time as RFC 3339 text, the offset optional (where a route gives a time
  without one a meaning, such as the workspace's time zone). Pydantic alone also takes Unix
  timestamps, bare dates and times without seconds, so `{"at": 1900000000}` meant 2030.
- `Rfc3339Date`: a calendar date as RFC 3339 `full-date` text.
"""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints, TypeAdapter, WithJsonSchema
from pydantic_core import PydanticCustomError

_LINE_BREAKING = r"\u0000-\u001f\u007f-\u009f\u2028\u2029"
# ECMA-262 (the OpenAPI document) and pydantic-core (the check) read this pattern alike.
SINGLE_LINE_PATTERN = f"^[^{_LINE_BREAKING}]*$"
# For text that reaches a single-line place without passing SingleLine (an email header made of
# stored names): its runs of such characters.
LINE_BREAKING_RUNS = re.compile(f"[{_LINE_BREAKING}]+")
SINGLE_LINE_DETAIL = "must be a single line without control characters"

# RFC 3339 section 5.6 `date-time`, with `time-offset` optional. ABNF strings are
# case-insensitive, so `t` and `z` are allowed as well.
_DATE_TIME_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?", re.ASCII
)
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
DATE_TIME_EXAMPLE = "2030-03-01T09:00:00+01:00"


def _date_time_text(value: Any) -> Any:
    """Lets RFC 3339 text through to pydantic's parser; datetimes built in code pass as they are."""
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_TIME_TEXT.fullmatch(value)):
        return value
    raise PydanticCustomError(
        "rfc3339_date_time",
        "must be an RFC 3339 date-time such as {example}",
        {"example": DATE_TIME_EXAMPLE},
    )


def _representable(value: datetime) -> datetime:
    """A time whose offset takes it past year 1 or 9999 in UTC cannot be compared or stored."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError(
                "date_time_out_of_range", "must fall between the years 1 and 9999 in UTC"
            ) from None
    return value


def _full_date_text(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _FULL_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError(
        "rfc3339_date", "must be an RFC 3339 full-date such as {example}", {"example": "2030-03-01"}
    )


# A plain pattern, not a validator function: pydantic then merges it with each field's own
# `strip_whitespace` and lengths (constraints after a validator function lose their messages and
# their order). The HTTP edge words its mismatch as SINGLE_LINE_DETAIL.
SingleLine = Annotated[str, StringConstraints(pattern=SINGLE_LINE_PATTERN)]
Rfc3339DateTime = Annotated[
    datetime,
    BeforeValidator(_date_time_text),
    AfterValidator(_representable),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": [DATE_TIME_EXAMPLE]}),
]
Rfc3339Date = Annotated[
    date,
    BeforeValidator(_full_date_text),
    WithJsonSchema({"type": "string", "format": "date"}),
]

_DATE_TIME_ADAPTER = TypeAdapter(Rfc3339DateTime)


def parse_date_time(text: str) -> datetime:
    """`text` read as `Rfc3339DateTime`, for input that arrives outside a model (a CSV cell);
    pydantic's ValidationError, a ValueError, when it is not one."""
    return _DATE_TIME_ADAPTER.validate_python(text)
