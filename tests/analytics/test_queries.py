"""The funnel and retention SQL (functions/analytics/domain/queries.py), run by DuckDB over event
files like those Firehose writes (Parquet, under `workspace=/dt=` folders), equal a reference
computed in plain Python (reference.py) on generated events: ties, windows, out-of-order steps,
several sources and weeks, and another workspace's events beside them."""

import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from functions.analytics.adapters.event_files import run_sql
from functions.analytics.domain.queries import (
    RETENTION_SQL,
    actor_key,
    funnel_parameters,
    funnel_sql,
    retention_parameters,
)
from infra.local.moto_quirks import records_to_parquet
from tests.analytics import reference

WORKSPACE = "01J9Z3K4QH6V7W8X9Y0Z1A2B3C"
START_MS = 1_900_000_000_000  # 2030-03-17T17:46:40Z
DAY_MS = 86_400_000
NAMES = ("page_view", "signup", "activate", "purchase", "other")
SOURCES = ("herald", "newsletter", None)


def generated_events(seed: int, count: int, span_ms: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 (reproducible test data)
    events = []
    for number in range(count):
        events.append(
            {
                "event_id": f"{number:010d}",
                "workspace_id": WORKSPACE if rng.random() > 0.05 else "01J9Z3K4QH6V7W8X9Y0Z1A2B3D",
                "name": rng.choice(NAMES),
                # Coarse times make ties between steps common.
                "ts_ms": START_MS + rng.randrange(0, span_ms, 60_000),
                "actor": rng.choice([f"visitor-{rng.randrange(40)}", None])
                if rng.random() < 0.1
                else f"visitor-{rng.randrange(40)}",
                "utm_source": rng.choice(SOURCES),
            }
        )
    return events


def write_files(folder: Path, events: list[dict[str, Any]]) -> list[str]:
    """The events as Firehose delivers them: per workspace and UTC day, a Parquet file."""
    partitions: dict[Path, list[bytes]] = {}
    for event in events:
        day = datetime.fromtimestamp(event["ts_ms"] / 1000, UTC).date().isoformat()
        partition = folder / f"workspace={event['workspace_id']}" / f"dt={day}"
        # The visitor's key, as ingestion stores it with every event.
        record = {**event, "actor_key": actor_key(event["workspace_id"], event["actor"])}
        partitions.setdefault(partition, []).append(json.dumps(record).encode() + b"\n")
    paths = []
    for partition, records in partitions.items():
        partition.mkdir(parents=True)
        path = partition / "part.parquet"
        path.write_bytes(records_to_parquet(records))
        paths.append(str(path))
    return paths


def own(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["workspace_id"] == WORKSPACE]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("steps", "window_ms"),
    [
        (["page_view", "signup"], 3_600_000),
        (["page_view", "signup", "purchase"], 2 * DAY_MS),
        (["signup", "activate", "purchase", "page_view"], 3 * DAY_MS),
        # A name may come back later in a funnel.
        (["page_view", "signup", "page_view", "purchase"], 2 * DAY_MS),
    ],
)
def test_funnel_sql_equals_the_python_reference(
    tmp_path: Path, seed: int, steps: list[str], window_ms: int
) -> None:
    events = generated_events(seed, 4000, 10 * DAY_MS)
    end_ms = START_MS + 7 * DAY_MS
    files = write_files(tmp_path, events)
    parameters = funnel_parameters(WORKSPACE, START_MS + DAY_MS, end_ms, steps, window_ms)
    rows = run_sql(files, funnel_sql(steps, by_source=True), parameters)
    by_sql = {source: list(counts) for source, *counts in rows}
    expected = reference.funnel(own(events), steps, START_MS + DAY_MS, end_ms, window_ms)
    assert by_sql == expected
    assert sum(counts[0] for counts in expected.values()) > 20  # the data exercises the funnel
    assert any(counts[-1] for counts in expected.values())
    # Without the split by source, one row of the totals.
    totals = [sum(counts[step] for counts in expected.values()) for step in range(len(steps))]
    assert run_sql(files, funnel_sql(steps, by_source=False), parameters) == [(None, *totals)]


def test_funnel_steps_count_in_order_within_the_window(tmp_path: Path) -> None:
    def at(name: str, minutes: int, actor: str, number: int) -> dict[str, Any]:
        return {
            "event_id": str(number),
            "workspace_id": WORKSPACE,
            "name": name,
            "ts_ms": START_MS + minutes * 60_000,
            "actor": actor,
            "utm_source": "herald",
        }

    events = [
        at("view", 0, "in-order", 1),
        at("buy", 5, "in-order", 2),
        at("buy", 0, "wrong-order", 3),
        at("view", 5, "wrong-order", 4),
        at("view", 0, "too-slow", 5),
        at("buy", 61, "too-slow", 6),
        at("view", 0, "same-moment", 7),
        at("buy", 0, "same-moment", 8),
    ]
    rows = run_sql(
        write_files(tmp_path, events),
        funnel_sql(["view", "buy"], by_source=True),
        funnel_parameters(WORKSPACE, START_MS, START_MS + DAY_MS, ["view", "buy"], 3_600_000),
    )
    assert rows == [("herald", 4, 2)]


def test_a_visitor_entering_with_several_events_at_once_gets_the_first_of_their_sources(
    tmp_path: Path,
) -> None:
    def view(actor: str, source: str | None, minutes: int = 0) -> dict[str, Any]:
        return {
            "workspace_id": WORKSPACE,
            "name": "view",
            "ts_ms": START_MS + minutes * 60_000,
            "actor": actor,
            "utm_source": source,
        }

    events = [
        view("sourced", None),
        view("sourced", "newsletter"),
        view("sourced", "herald"),
        view("sourced", "ads", minutes=1),  # after the entry: not the entry's source
        view("unsourced", None),
        view("unsourced", None),
        view("unsourced", "herald", minutes=1),
    ]
    for number, event in enumerate(events):
        event["event_id"] = str(number)
    rows = run_sql(
        write_files(tmp_path, events),
        funnel_sql(["view", "buy"], by_source=True),
        funnel_parameters(WORKSPACE, START_MS, START_MS + DAY_MS, ["view", "buy"], 3_600_000),
    )
    assert rows == [("(none)", 1, 0), ("herald", 1, 0)]
    assert reference.funnel(events, ["view", "buy"], START_MS, START_MS + DAY_MS, 3_600_000) == {
        "(none)": [1, 0],
        "herald": [1, 0],
    }


@pytest.mark.parametrize("seed", range(4))
def test_retention_sql_equals_the_python_reference(tmp_path: Path, seed: int) -> None:
    events = generated_events(seed, 3000, 60 * DAY_MS)
    end_ms = START_MS + 50 * DAY_MS
    rows = run_sql(
        write_files(tmp_path, events),
        RETENTION_SQL,
        retention_parameters(WORKSPACE, START_MS, end_ms),
    )
    by_sql: dict[int, dict[int, int]] = {}
    for cohort, offset, actors in rows:
        by_sql.setdefault(cohort, {})[offset] = actors
    expected = reference.retention(own(events), START_MS, end_ms)
    assert by_sql == expected
    assert len(expected) >= 2


def test_queries_in_parallel_threads_each_read_their_own_files(tmp_path: Path) -> None:
    """The process shares one DuckDB database; each query's view of its files is its own."""
    worlds = [generated_events(seed, 500, 10 * DAY_MS) for seed in range(4)]
    files = [write_files(tmp_path / str(n), events) for n, events in enumerate(worlds)]
    end_ms = START_MS + 10 * DAY_MS

    def retention(paths: list[str]) -> list[tuple[Any, ...]]:
        return run_sql(paths, RETENTION_SQL, retention_parameters(WORKSPACE, START_MS, end_ms))

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(retention, files * 3))
    alone = [retention(paths) for paths in files]
    assert answers == alone * 3
    assert len({tuple(rows) for rows in alone}) == 4
