"""The raw event files in S3, as Firehose delivers them, and DuckDB over them: the engine of
funnels and retention locally and in tests (in AWS, Athena reads the same files:
adapters/athena.py).

Layout (the Firehose stream's dynamic partitioning, infra/analytics_tracking.py):
`events/workspace=<workspace id>/dt=<UTC day>/<stream>-<version>-<time>-<uuid>.parquet`, each
object a Parquet file that Firehose's record format conversion wrote from the JSON records, typed
by the Glue table (in local mode, infra/local/moto_quirks.py converts the same way). A query
lists the prefixes of its workspace's days only (never the bucket), downloads those objects to
/tmp under the same `workspace=/dt=` folders and runs the SQL of domain/queries.py in an
in-memory DuckDB (one per process) over a view that reads the files with Hive partitioning.
"""

import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from functions.analytics.domain.queries import EVENTS_RELATION
from functions.shared import aws
from functions.shared.problems import ValidationFailed
from functions.shared.settings import get_settings

if TYPE_CHECKING:
    import duckdb

EVENTS_PREFIX = "events/"
# What one query may read: /tmp holds 512 MB, and the API answers within 29 seconds.
MAX_OBJECTS = 20_000
MAX_BYTES = 400 * 1024**2
_PARALLEL_DOWNLOADS = 16
DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    # Trino divides integers into an integer; the SQL of domain/queries.py is written for that.
    "integer_division": True,
    # Every query reads files downloaded anew under a new folder: caching their bytes in memory
    # (DuckDB's default) would only hold memory the next query cannot use.
    "enable_external_file_cache": False,
}


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
        files = [
            Path(folder) / key.removeprefix(EVENTS_PREFIX).rpartition("/")[0] / f"{index}.parquet"
            for index, (key, _) in enumerate(objects)
        ]
        for file in files:
            file.parent.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=_PARALLEL_DOWNLOADS) as pool:
            for done in [
                pool.submit(aws.s3().download_file, bucket, object_key, str(file))
                for (object_key, _), file in zip(objects, files, strict=True)
            ]:
                done.result()
        return run_sql([str(file) for file in files], sql, parameters)


def run_sql(files: Sequence[str], sql: str, parameters: Sequence[object]) -> list[tuple[Any, ...]]:
    """`sql` over the Parquet `files` (in `workspace=<ws>/dt=<day>/` folders) as the relation
    `tracked_events`."""
    with _database().cursor() as connection:
        open_events(connection, files)
        return connection.execute(sql, list(parameters)).fetchall()


@cache
def _database() -> "duckdb.DuckDBPyConnection":
    """The process's in-memory DuckDB, made once: making one costs about 15 ms (its catalog),
    a connection to it nothing. It holds no data; each query's connection has its own view."""
    import duckdb

    return duckdb.connect(config=DUCKDB_CONFIG)


def open_events(connection: Any, files: Sequence[str]) -> None:
    """`tracked_events`, a view over the files: their columns and the folders' `workspace` and
    `dt`, as text (as in the Glue table), so that DuckDB skips the files of other partitions.
    Temporary, so the connection's own: queries in other threads have theirs."""
    # A view cannot take parameters; the paths are this process's own (a temporary folder and
    # the workspace and day of a listed key), quoted as SQL text.
    paths = ", ".join("'" + file.replace("'", "''") + "'" for file in files)
    connection.execute(
        f"CREATE TEMPORARY VIEW {EVENTS_RELATION} AS SELECT * FROM read_parquet([{paths}], "
        "hive_partitioning = true, hive_types_autocast = false)"
    )
