"""Funnel and retention SQL over the raw tracked events, written once for DuckDB (locally, in
tests and in the function today) and Athena (Trino/Presto SQL, over the same files).

Both read a relation `tracked_events` with the columns of `EVENT_COLUMNS`: locally a DuckDB table
loaded from the event files, in Athena a Glue table over the same S3 prefix. The queries use only
ANSI SQL that DuckDB and Trino share: CTEs, joins, `GROUP BY`, `ROW_NUMBER() OVER`, `COALESCE`,
`FLOOR`, `CAST(... AS BIGINT)` and `?` parameters. Times are `ts_ms` (milliseconds since the Unix
epoch, BIGINT) so that windows are integer arithmetic: interval literals and epoch conversions are
where the dialects differ (`epoch_ms` against `from_unixtime`), so the queries use neither. Days
and weeks come from `FLOOR(ts_ms / 86400000.0)`: `/` divides integers into an integer in Trino but
into a double in DuckDB, and dividing by a double literal is the same in both. Not portable, and
kept out of these queries: how the relation is loaded (`read_json` in DuckDB; a Glue table with
partition projection on `workspace` and `dt` in Athena).

Who a visitor is: `actor`, the event's `user_id` if it has one, else its `anonymous_id` (set when
the event is stored). Events of one person before and after sign-in are two actors; stitching
identities is not done.
"""

from collections.abc import Sequence

# Column name and DuckDB type of each field of a stored event (adapters/event_files.py).
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "workspace_id": "VARCHAR",
    "name": "VARCHAR",
    "timestamp": "VARCHAR",
    "ts_ms": "BIGINT",
    "received_at": "VARCHAR",
    "actor": "VARCHAR",
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
# 1970-01-01 was a Thursday: day number + 3 puts Mondays at multiples of 7.
_WEEK_OF_TS = "CAST(FLOOR((FLOOR(ts_ms / 86400000.0) + 3) / 7.0) AS BIGINT)"


def funnel_sql(step_count: int) -> str:
    """Visitors reaching each step, per UTM source of their first step.

    A visitor enters at their first event of step 1 in the period; each later step counts if an
    event of it happens at or after the previous step's earliest match and no later than the
    window after the entry (the earliest match is kept, so later steps have the most room).
    Parameters: `funnel_parameters`.
    """
    steps = [
        # Composed from step numbers only; every value is a bound parameter.
        f"""step{number} AS (
  SELECT p.actor, p.entered_at, MIN(e.ts_ms) AS reached_at
  FROM step{number - 1} AS p
  JOIN funnel_events AS e
    ON e.actor = p.actor AND e.name = ? AND e.ts_ms >= p.reached_at
  WHERE e.ts_ms <= p.entered_at + ?
  GROUP BY p.actor, p.entered_at
)"""
        for number in range(2, step_count + 1)
    ]
    counts = ",\n  ".join(f"COUNT(step{n}.actor) AS step{n}" for n in range(1, step_count + 1))
    joins = "\n".join(
        f"LEFT JOIN step{n} ON step{n}.actor = step1.actor" for n in range(2, step_count + 1)
    )
    placeholders = ", ".join("?" for _ in range(step_count))
    return f"""WITH funnel_events AS (
  SELECT actor, name, ts_ms, event_id, utm_source
  FROM tracked_events
  WHERE workspace_id = ? AND ts_ms >= ? AND ts_ms < ? AND actor IS NOT NULL
    AND name IN ({placeholders})
),
entries AS (
  SELECT actor, ts_ms, COALESCE(utm_source, '{NO_SOURCE}') AS source,
    ROW_NUMBER() OVER (PARTITION BY actor ORDER BY ts_ms, event_id) AS position
  FROM funnel_events
  WHERE name = ? AND ts_ms < ?
),
step1 AS (
  SELECT actor, ts_ms AS entered_at, ts_ms AS reached_at, source FROM entries WHERE position = 1
),
{",\n".join(steps)}
SELECT step1.source,
  {counts}
FROM step1
{joins}
GROUP BY step1.source
ORDER BY step1.source"""


def funnel_parameters(
    workspace_id: str, start_ms: int, end_ms: int, steps: Sequence[str], window_ms: int
) -> list[object]:
    """The parameters of `funnel_sql(len(steps))`, in the order of its placeholders: visitors
    enter in `start_ms..end_ms`; their later steps may follow up to the window after the end."""
    later: list[object] = []
    for name in steps[1:]:
        later.extend((name, window_ms))
    return [workspace_id, start_ms, end_ms + window_ms, *steps, steps[0], end_ms, *later]


RETENTION_SQL = f"""WITH activity AS (
  SELECT DISTINCT actor, {_WEEK_OF_TS} AS week
  FROM tracked_events
  WHERE workspace_id = ? AND ts_ms >= ? AND ts_ms < ? AND actor IS NOT NULL
),
cohorts AS (
  SELECT actor, MIN(week) AS cohort FROM activity GROUP BY actor
)
SELECT cohorts.cohort, activity.week - cohorts.cohort AS week_offset, COUNT(*) AS actors
FROM cohorts
JOIN activity ON activity.actor = cohorts.actor
GROUP BY cohorts.cohort, activity.week - cohorts.cohort
ORDER BY cohorts.cohort, week_offset"""
"""Weekly cohorts: each actor's cohort is the Monday-based UTC week of their first event in the
period; a row per cohort and week offset counts the cohort's actors active that week.
Parameters: workspace id, period start and end (ms). The weeks are numbers (weeks since the
Monday before the Unix epoch); `week_monday` turns one into its date."""
