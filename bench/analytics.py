"""Event tracking figures, measured locally in one process.

(a) ingestion: events per second through the analytics function (`POST /v1/analytics/events`,
    100-event batches from a write key: validation, the Firehose put, which moto delivers to S3
    at once, and the rollup updates), against moto in-process, so DynamoDB, Firehose and S3 answer
    without a network; in AWS each batch adds the round trips of ~2 + distinct (day, value) and
    (day, visitor or session) writes, made 8 at a time.
(b) a 365-day overview of platform metrics: the median latency of `GET /v1/analytics/overview`
    through the function (an API key's request), over 365 days of day rollups and daily account
    numbers for a few accounts seeded in moto, plus the 365 days before them that the previous
    period reads: one query of the rollups, one of the accounts, one per account of its days.
(c) a 3-step funnel over 1,000,000 generated events: the SQL of
    functions/analytics/domain/queries.py in DuckDB, the funnel alone and split by UTM source
    (`breakdown`), against a plain Python pass over the same events (tests/analytics/reference.py,
    which splits by source as it goes); the results must be equal. The goal is DuckDB at least
    20x faster. The events are Parquet files per day, as Firehose's record format
    conversion writes them; each DuckDB run reads them anew, as a query does, while the Python
    pass gets the events already parsed in memory (in its favour).

Usage: `python bench/analytics.py [--batches N] [--accounts N] [--runs N] [--events N]
[--only a|b|c]`.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.emulator_clock import EmulatorClock  # noqa: E402
from bench.moto_environment import use_moto_environment  # noqa: E402

use_moto_environment()

from fastapi.testclient import TestClient  # noqa: E402
from moto import mock_aws  # noqa: E402

from functions.shared.access import WorkspaceAccess  # noqa: E402
from functions.shared.tables import AppItem  # noqa: E402


def _workspace() -> WorkspaceAccess:
    """A workspace and its owner's access, made through the domain (no sign-up needed)."""
    from ulid import ULID

    from functions.shared.access import Role
    from functions.shared.auth import UserPrincipal
    from functions.shared.identity_items import WorkspaceItem

    workspace_id, user_id = str(ULID()), str(ULID())
    WorkspaceItem(
        *WorkspaceItem.keys(workspace_id),
        workspace_id=workspace_id,
        name="Bench",
        slug="bench",
        timezone="UTC",
        created_by=user_id,
    ).save()
    return WorkspaceAccess(
        principal=UserPrincipal(user_id=user_id, session_id=str(ULID()), claims={}),
        workspace_id=workspace_id,
        role=Role.OWNER,
    )


def _write_key() -> tuple[str, str]:
    """A workspace and a write key of it."""
    from functions.analytics.domain.keys import create_key
    from functions.analytics.domain.models import TrackingKeyCreate

    owner = _workspace()
    body = TrackingKeyCreate(
        name="Bench site", kind="write", allowed_origins=["https://shop.example"]
    )
    return owner.workspace_id, create_key(owner, body).key


def ingestion(batches: int) -> None:
    from functions.analytics.app import app
    from infra.local.moto_quirks import partition_firehose_deliveries
    from tests.analytics.tracking_world import create_event_store

    with mock_aws():
        AppItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        partition_firehose_deliveries()
        create_event_store()
        _, key = _write_key()
        headers = {"X-Herald-Write-Key": key, "Origin": "https://shop.example"}
        now = datetime.now(UTC)
        with TestClient(app) as client:

            def batch(number: int) -> dict[str, object]:
                return {
                    "events": [
                        {
                            "name": "page_view" if index % 4 else "signup",
                            "timestamp": (now - timedelta(seconds=index)).isoformat(),
                            # 10 visitors, each in one session, per batch (a server key's
                            # batch; a browser's holds one visitor).
                            "anonymous_id": f"visitor-{(number * 10 + index % 10) % 300}",
                            "session_id": f"session-{(number * 10 + index % 10) % 300}",
                            "page_url": f"https://shop.example/p/{index % 25}",
                            "referrer": "https://t.co/abc",
                            "utm": {"source": ("herald", "newsletter")[index % 2]},
                            "properties": {"plan": "pro", "index": index},
                        }
                        for index in range(100)
                    ]
                }

            bodies = [batch(number) for number in range(batches + 3)]
            for body in bodies[:3]:  # warm-up: imports, first clients, first items
                assert (
                    client.post("/v1/analytics/events", json=body, headers=headers).status_code
                    == 202
                )
            samples = []
            for body in bodies[3:]:
                started = time.perf_counter()
                answer = client.post("/v1/analytics/events", json=body, headers=headers)
                samples.append(time.perf_counter() - started)
                assert answer.status_code == 202, answer.text
    median = statistics.median(samples)
    print(
        f"(a) ingestion, {batches} batches of 100 events (10 visitors and sessions, 25 pages, "
        "2 sources each) through the function, moto in-process:"
    )
    print(
        f"    median {median * 1000:.1f} ms per batch = {100 / median:,.0f} events/s; "
        f"overall {100 * batches / sum(samples):,.0f} events/s"
    )


def overview(accounts: int, runs: int) -> None:
    from ulid import ULID

    from functions.analytics.app import app
    from functions.auth.domain.api_keys import create_api_key
    from functions.auth.domain.models import ApiKeyCreate
    from functions.shared.account_metrics import AccountDayItem, AccountMetricsScheduleItem
    from functions.shared.post_metrics import MetricsDayItem

    with mock_aws():
        AppItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        owner = _workspace()
        workspace_id = owner.workspace_id
        key = create_api_key(owner, ApiKeyCreate(name="Bench", scopes=["analytics:read"])).key
        last = datetime.now(UTC).date()
        first = last - timedelta(days=364)
        days = [first - timedelta(days=365 - n) for n in range(2 * 365)]
        rng = random.Random(7)  # noqa: S311 (made-up numbers, the same each run)
        for index in range(accounts):
            account_id, platform = str(ULID()), ("x", "instagram", "linkedin", "sandbox")[index % 4]
            AccountMetricsScheduleItem(
                *AccountMetricsScheduleItem.keys(workspace_id, account_id),
                workspace_id=workspace_id,
                account_id=account_id,
                platform=platform,
            ).save()
            with MetricsDayItem.batch_write() as rollups, AccountDayItem.batch_write() as daily:
                for number, day in enumerate(days):
                    on = day.isoformat()
                    rollups.save(
                        MetricsDayItem(
                            *MetricsDayItem.keys(workspace_id, on, account_id),
                            account_id=account_id,
                            platform=platform,
                            posts=rng.randint(0, 3),
                            impressions=rng.randint(0, 5000),
                            likes=rng.randint(0, 200),
                            comments=rng.randint(0, 40),
                            shares=rng.randint(0, 20),
                        )
                    )
                    daily.save(
                        AccountDayItem(
                            *AccountDayItem.keys(workspace_id, account_id, on),
                            account_id=account_id,
                            platform=platform,
                            taken_at=datetime.combine(day, datetime.min.time(), UTC),
                            metrics={"followers": 1000 + 3 * number, "following": 100},
                        )
                    )
        params = {"from": first.isoformat(), "to": last.isoformat()}
        headers = {"Authorization": f"Bearer {key}"}
        with TestClient(app) as client, EmulatorClock() as emulator:
            samples, own, requests = [], [], []
            for run in range(runs + 2):
                emulator.reset()
                started = time.perf_counter()
                answer = client.get("/v1/analytics/overview", params=params, headers=headers)
                elapsed = time.perf_counter() - started
                if run >= 2:  # the first two warm imports and clients up
                    samples.append(elapsed)
                    own.append(elapsed - emulator.seconds)
                    requests.append(emulator.requests)
                assert answer.status_code == 200, answer.text
        growth = answer.json()["current"]["followers"]["growth"]
    print(
        f"(b) 365-day overview through the function, {accounts} accounts (365 days of rollups "
        f"and account days each, and 365 before), moto in-process, {runs} runs:"
    )
    print(f"    median {statistics.median(samples) * 1000:.0f} ms (follower growth {growth:,})")
    print(
        f"    of which Herald's own work {statistics.median(own) * 1000:.0f} ms; the rest is moto "
        f"answering {statistics.median(requests):.0f} DynamoDB requests (it reads the whole "
        "partition on every query; DynamoDB answers a query in milliseconds)"
    )


def funnel(count: int) -> None:
    from functions.analytics.adapters.event_files import run_sql
    from functions.analytics.domain.queries import funnel_parameters, funnel_sql
    from tests.analytics import reference
    from tests.analytics.test_queries import DAY_MS, START_MS, WORKSPACE, write_files

    steps = ["page_view", "signup", "purchase"]
    rng = random.Random(2030)  # noqa: S311 (reproducible benchmark data)
    names = rng.choices(("page_view", "signup", "purchase", "other"), (60, 15, 5, 20), k=count)
    events = [
        {
            "event_id": f"{number:010d}",
            "workspace_id": WORKSPACE,
            "name": name,
            "ts_ms": START_MS + rng.randrange(30 * DAY_MS),
            # 50,000 visitors of 20 events each on average, a tenth of them from Herald's links.
            "actor": f"visitor-{rng.randrange(50_000)}",
            "utm_source": "herald" if rng.random() < 0.1 else None,
        }
        for number, name in enumerate(names)
    ]
    start, end, window = START_MS, START_MS + 28 * DAY_MS, 2 * DAY_MS
    with tempfile.TemporaryDirectory() as folder:
        # As Firehose delivers them: Parquet, a file per workspace and UTC day.
        started = time.perf_counter()
        files = write_files(Path(folder), events)
        written = time.perf_counter() - started
        size = sum(Path(file).stat().st_size for file in files)
        parameters = funnel_parameters(WORKSPACE, start, end, steps, window)
        plain, by_source = funnel_sql(steps, by_source=False), funnel_sql(steps, by_source=True)
        plain_runs, by_source_runs, python_runs = [], [], []
        for _ in range(5):
            # What the function does per query: a fresh DuckDB reading the files, then the SQL.
            started = time.perf_counter()
            totals_row = run_sql(files, plain, parameters)
            plain_runs.append(time.perf_counter() - started)
            started = time.perf_counter()
            source_rows = run_sql(files, by_source, parameters)
            by_source_runs.append(time.perf_counter() - started)
            started = time.perf_counter()
            expected = reference.funnel(events, steps, start, end, window)
            python_runs.append(time.perf_counter() - started)
        totals = [sum(c[i] for c in expected.values()) for i in range(3)]
        assert totals_row == [(None, *totals)], "DuckDB and the Python pass disagree"
        by_sql = {source: list(counts) for source, *counts in source_rows}
        assert by_sql == expected, "DuckDB and the Python pass disagree by source"
    python = statistics.median(python_runs)
    print(f"(c) 3-step funnel over {count:,} events ({totals} visitors per step, equal results):")
    print(
        f"    reading {len(files)} Parquet files ({size / 1024**2:.1f} MB, written in "
        f"{written:.1f} s) in every DuckDB run; plain Python {python * 1000:.0f} ms over the "
        "events already in memory (it splits by source in the same pass); medians of 5, interleaved"
    )
    for label, runs in (("funnel", plain_runs), ("split by UTM source", by_source_runs)):
        duck = statistics.median(runs)
        print(f"    {label:<20} DuckDB {duck * 1000:4.0f} ms: {python / duck:.1f}x (goal >= 20x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("a", "b", "c"), help="run one figure only")
    arguments = parser.parse_args()
    if arguments.only in (None, "a"):
        ingestion(arguments.batches)
    if arguments.only in (None, "b"):
        overview(arguments.accounts, arguments.runs)
    if arguments.only in (None, "c"):
        funnel(arguments.events)


if __name__ == "__main__":
    main()
