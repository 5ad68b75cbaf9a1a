"""The raw event files in S3, as Firehose delivers them, and DuckDB over them.

Layout (the Firehose stream's dynamic partitioning, infra/analytics_tracking.py):
`events/workspace=<workspace id>/dt=<UTC day>/<stream>-<version>-<time>-<uuid>`, each object
newline-delimited JSON, one event per line. A query lists the prefixes of its workspace's days
only (never the bucket), downloads those objects to /tmp and runs the SQL of domain/queries.py
in an in-memory DuckDB.
"""

import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from functions.analytics.domain.queries import EVENT_COLUMNS
from functions.shared import aws
from functions.shared.problems import ValidationFailed
from functions.shared.settings import get_settings

EVENTS_PREFIX = "events/"
# What one query may read: /tmp holds 512 MB, and the API answers within 29 seconds.
MAX_OBJECTS = 20_000
MAX_BYTES = 400 * 1024**2
_PARALLEL_DOWNLOADS = 16


def partition_prefix(workspace_id: str, day: date) -> str:
    return f"{EVENTS_PREFIX}workspace={workspace_id}/dt={day.isoformat()}/"


def _objects(workspace_id: str, days: Iterable[date]) -> list[tuple[str, int]]:
    bucket = get_settings().analytics_bucket
    paginator = aws.s3().get_paginator("list_objects_v2")
    found: list[tuple[str, int]] = []
    total = 0
    for day in days:
        for page in paginator.paginate(Bucket=bucket, Prefix=partition_prefix(workspace_id, day)):
            for entry in page.get("Contents", []):
                found.append((entry["Key"], entry["Size"]))
                total += entry["Size"]
                if len(found) > MAX_OBJECTS or total > MAX_BYTES:
                    raise ValidationFailed(
                        "The period holds more events than one query reads; choose a shorter one."
                    )
    return found


def query(
    workspace_id: str, days: Sequence[date], sql: str, parameters: Sequence[object]
) -> list[tuple[Any, ...]]:
    """Rows of `sql` over the workspace's events of `days` (none without events)."""
    objects = _objects(workspace_id, days)
    if not objects:
        return []
    bucket = get_settings().analytics_bucket
    with tempfile.TemporaryDirectory(prefix="herald-events-") as folder:
        files = [str(Path(folder) / f"{index}.jsonl") for index in range(len(objects))]
        with ThreadPoolExecutor(max_workers=_PARALLEL_DOWNLOADS) as pool:
            for done in [
                pool.submit(aws.s3().download_file, bucket, object_key, file)
                for (object_key, _), file in zip(objects, files, strict=True)
            ]:
                done.result()
        return run_sql(files, sql, parameters)


def run_sql(files: Sequence[str], sql: str, parameters: Sequence[object]) -> list[tuple[Any, ...]]:
    """`sql` over the newline-delimited JSON `files` loaded as the table `tracked_events`."""
    import duckdb

    with duckdb.connect() as connection:
        load_events(connection, files)
        return connection.execute(sql, list(parameters)).fetchall()


def load_events(connection: Any, files: Sequence[str]) -> None:
    """`tracked_events` from the files, every column typed (a field absent from a file is null)."""
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in EVENT_COLUMNS.items())
    connection.execute(
        "CREATE TABLE tracked_events AS SELECT * FROM read_json(?, "
        f"format = 'newline_delimited', columns = {{{columns}}})",
        [list(files)],
    )
