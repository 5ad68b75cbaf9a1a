"""Funnel and retention SQL over the raw tracked events, written once for DuckDB (locally and in
tests) and Athena (Trino SQL, in AWS), over the same Parquet files.

Both read a relation `tracked_events` with the columns of `EVENT_COLUMNS` and the two partition
columns `workspace` and `dt` (UTC day, `YYYY-MM-DD`) that the Firehose prefix
`events/workspace=<ws>/dt=<day>/` names: in Athena a Glue table with partition projection over
the prefix (infra/analytics_engine.py), in DuckDB a view over the downloaded files read with Hive
partitioning (adapters/event_files.py). Every query filters on `workspace` and a `dt` range, which
is what makes Athena read that workspace's days only (projection cannot list partitions; the
`workspace` column is `injected`, so a query without it is refused).

The queries use only SQL that DuckDB and Trino share: CTEs, joins, `GROUP BY`, `MIN`, `CASE`,
`COALESCE` and `?` parameters. Times are `ts_ms` (milliseconds since the Unix epoch, BIGINT) so
that windows are integer arithmetic, avoiding interval literals and epoch conversions (`epoch_ms`
against `from_unixtime`). The one dialect difference is `/` of two integers: Trino divides into an
integer, DuckDB into a double, so DuckDB runs with `integer_division` set
(event_files.DUCKDB_CONFIG); day and week numbers are then `ts_ms / 86400000` in both.

Who a visitor is: `actor`, the event's `user_id` if it has one, else its `anonymous_id` (set when
the event is stored). Events of one person before and after sign-in are two actors; stitching
identities is not done. The queries group and join visitors by `actor_key`, a 64-bit hash of
the workspace and the actor stored with the event (`actor_key()`): the engines hash and compare
an integer several times faster than a text of up to 128 characters (bench/analytics.py (c)).
Two actors of a workspace would count as one only if their keys collided: with a million
visitors, a chance of about 3 in 10^8.
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

# The relation both engines read: a DuckDB view, the Glue table's name in Athena.
EVENTS_RELATION = "tracked_events"
# Column name and DuckDB type of each field of a stored event (adapters/event_files.py).
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "workspace_id": "VARCHAR",
    "name": "VARCHAR",
    "timestamp": "VARCHAR",
    "ts_ms": "BIGINT",
    "received_at": "VARCHAR",
    "actor": "VARCHAR",
    "actor_key": "BIGINT",
    "anonymous_id": "VARCHAR",
    "user_id": "VARCHAR",
    "session_id": "VARCHAR",
    "properties": "VARCHAR",
    "page_url": "VARCHAR",
    "page_path": "VARCHAR",
    "referrer": "VARCHAR",
    "referrer_host": "VARCHAR",
    "utm_source": "VARCHAR",
    "utm_medium": "VARCHAR",
    "utm_campaign": "VARCHAR",
    "utm_term": "VARCHAR",
    "utm_content": "VARCHAR",
    "revenue": "VARCHAR",
    "currency": "VARCHAR",
}

NO_SOURCE = "(none)"
MS_PER_DAY = 86_400_000
# The partitions of the workspace's days: every query starts with it (see the docstring).
_PARTITIONS = "workspace = ? AND dt >= ? AND dt <= ? AND ts_ms >= ? AND ts_ms < ?"


def actor_key(workspace_id: str, actor: str | None) -> int | None:
    """The visitor's integer key: the first 8 bytes of BLAKE2b over workspace and actor, signed (a
    Parquet and Glue BIGINT)."""
    if actor is None:
        return None
    digest = hashlib.blake2b(f"{workspace_id}\n{actor}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _partition_parameters(workspace_id: str, start_ms: int, end_ms: int) -> list[object]:
    """Workspace, first and last UTC day, and the `start_ms..end_ms` (end excluded) of them."""
    first, last = (
        datetime.fromtimestamp(moment / 1000, UTC).date().isoformat()
        for moment in (start_ms, end_ms - 1)
    )
    return [workspace_id, first, last, start_ms, end_ms]


def _step_codes(steps: Sequence[str]) -> list[int]:
    """Each step's event name as a number: its position among the steps' distinct names (a name
    may come back later in a funnel)."""
    distinct = list(dict.fromkeys(steps))
    return [distinct.index(name) + 1 for name in steps]


_FIRST_STEP = """step1 AS (
  SELECT actor_key, entered_at, entered_at AS reached_at FROM entries
)"""
_FIRST_STEP_BY_SOURCE = f"""step1 AS (
  SELECT entries.actor_key, entries.entered_at, entries.entered_at AS reached_at,
    COALESCE(MIN(e.utm_source), '{NO_SOURCE}') AS source
  FROM entries
  JOIN funnel_events AS e
    ON e.actor_key = entries.actor_key AND e.ts_ms = entries.entered_at AND e.name_code = 1
  GROUP BY entries.actor_key, entries.entered_at
)"""


def funnel_sql(steps: Sequence[str], *, by_source: bool) -> str:
    """Visitors reaching each step: one row, or with `by_source` a row per UTM source of their
    first step.

    A visitor enters at their first event of step 1 in the period; their source is the UTM source
    of that event (several step-1 events at that same millisecond: the first of their sources in
    text order, `(none)` only if none has one), looked up only when asked for: it joins the entries
    back to the step-1 events. Each later step counts if an event of it happens at or after the
    previous step's earliest match and no later than the window after the entry (the earliest
    match is kept, so later steps have the most room).
    How it stays fast (bench/analytics.py (c)): each event's name becomes a small number once, so
    the events kept between steps hold no text but the source; the steps filter those numbers, which
    the engine merges into one filter at the scan; visitors enter through a `MIN` per visitor,
    which only hashes them, where `ROW_NUMBER() OVER (PARTITION BY actor_key ...)` would sort
    every step-1 event by visitor; no event id is read (a unique text per event, as costly to read
    as the rest of the query).
    Parameters: `funnel_parameters`.
    """
    codes = _step_codes(steps)
    # Composed from step numbers and name codes only; every value is a bound parameter.
    name_codes = " ".join(f"WHEN ? THEN {code}" for code in sorted(set(codes)))
    later = [
        f"""step{number} AS (
  SELECT p.actor_key, p.entered_at, MIN(e.ts_ms) AS reached_at
  FROM step{number - 1} AS p
  JOIN funnel_events AS e
    ON e.actor_key = p.actor_key AND e.name_code = {code} AND e.ts_ms >= p.reached_at
  WHERE e.ts_ms <= p.entered_at + ?
  GROUP BY p.actor_key, p.entered_at
)"""
        for number, code in enumerate(codes[1:], start=2)
    ]
    counts = ",\n  ".join(f"COUNT(step{n}.actor_key) AS step{n}" for n in range(1, len(steps) + 1))
    joins = "\n".join(
        f"LEFT JOIN step{n} ON step{n}.actor_key = step1.actor_key"
        for n in range(2, len(steps) + 1)
    )
    source_column = "utm_source, " if by_source else ""
    return f"""WITH funnel_events AS (
  SELECT actor_key, ts_ms, {source_column}CASE name {name_codes} END AS name_code
  FROM tracked_events
  WHERE {_PARTITIONS} AND actor_key IS NOT NULL
),
entries AS (
  SELECT actor_key, MIN(ts_ms) AS entered_at
  FROM funnel_events
  WHERE name_code = 1 AND ts_ms < ?
  GROUP BY actor_key
),
{_FIRST_STEP_BY_SOURCE if by_source else _FIRST_STEP},
{",\n".join(later)}
SELECT {"step1.source" if by_source else "NULL AS source"},
  {counts}
FROM step1
{joins}
{"GROUP BY step1.source ORDER BY step1.source" if by_source else ""}"""


def funnel_parameters(
    workspace_id: str, start_ms: int, end_ms: int, steps: Sequence[str], window_ms: int
) -> list[object]:
    """The parameters of `funnel_sql(steps)`, in the order of its placeholders: visitors enter in
    `start_ms..end_ms`; their later steps may follow up to the window after the end."""
    return [
        *dict.fromkeys(steps),
        *_partition_parameters(workspace_id, start_ms, end_ms + window_ms),
        end_ms,
        *[window_ms] * (len(steps) - 1),
    ]


RETENTION_SQL = f"""WITH activity AS (
  SELECT DISTINCT actor_key, (ts_ms / {MS_PER_DAY} + 3) / 7 AS week
  FROM tracked_events
  WHERE {_PARTITIONS} AND actor_key IS NOT NULL
),
cohorts AS (
  SELECT actor_key, MIN(week) AS cohort FROM activity GROUP BY actor_key
)
SELECT cohorts.cohort, activity.week - cohorts.cohort AS week_offset, COUNT(*) AS actors
FROM cohorts
JOIN activity ON activity.actor_key = cohorts.actor_key
GROUP BY cohorts.cohort, activity.week - cohorts.cohort
ORDER BY cohorts.cohort, week_offset"""
"""Weekly cohorts: each actor's cohort is the Monday-based UTC week of their first event in the
period; a row per cohort and week offset counts the cohort's actors active that week (1970-01-01
was a Thursday: day number + 3 puts Mondays at multiples of 7). Parameters:
`retention_parameters`. The weeks are numbers (weeks since the Monday before the Unix epoch);
`week_monday` turns one into its date."""


def retention_parameters(workspace_id: str, start_ms: int, end_ms: int) -> list[object]:
    return _partition_parameters(workspace_id, start_ms, end_ms)
