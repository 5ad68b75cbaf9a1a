"""The application table's PynamoDB base model and its conditional-write convention.

Herald keeps one application table (single-table design, see docs/access-patterns.md). Each
item type subclasses `AppItem`, keeping its `Meta`, and chooses key shapes whose partition key
starts with the workspace id. `version` makes every save and update conditional on the version
that was read, so two writers can never silently overwrite each other.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite
from ulid import ULID

from functions.shared.aws import MAX_POOL_CONNECTIONS
from functions.shared.pagination import PageRequest, decode_cursor, encode_cursor
from functions.shared.problems import Conflict
from functions.shared.settings import get_settings

KEY_SEPARATOR = "#"
# DynamoDB's TransactWriteItems takes at most this many actions.
MAX_TRANSACTION_ITEMS = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# One filtered list request reads at most this many pages while filters leave it short.
MAX_PAGES_PER_FILTERED_LIST = 5


def utc_now() -> datetime:
    return datetime.now(UTC)


class AppItem(Model):
    class Meta:
        table_name = get_settings().table_name
        region = get_settings().region
        max_pool_connections = MAX_POOL_CONNECTIONS

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    version = VersionAttribute()
    created_at = UTCDateTimeAttribute(default_for_new=utc_now)
    updated_at = UTCDateTimeAttribute(default=utc_now)
    expires_at = TTLAttribute(null=True)


class CounterItem(Model):
    """A counter bumped atomically; unversioned, since concurrent increments must all land."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    hits = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


def key(*parts: str) -> str:
    """Join key parts, refusing parts that would blur the boundary between them."""
    if not parts or any(not part or KEY_SEPARATOR in part for part in parts):
        raise ValueError(f"key parts must be non-empty and free of {KEY_SEPARATOR!r}: {parts!r}")
    return KEY_SEPARATOR.join(parts)


def condition_failed(error: PutError | UpdateError | DeleteError | TransactWriteError) -> bool:
    """Whether the write failed on its condition (rather than on throttling, a conflict...)."""
    if isinstance(error, TransactWriteError):
        return any(
            reason is not None and reason.code == "ConditionalCheckFailed"
            for reason in error.cancellation_reasons
        )
    return error.cause_response_code == "ConditionalCheckFailedException"


@contextmanager
def conflict_on_condition_failure(detail: str) -> Iterator[None]:
    """Turn a failed write condition (stale version, item exists) into a 409 problem."""
    try:
        yield
    except (PutError, UpdateError, TransactWriteError) as error:
        if condition_failed(error):
            raise Conflict(detail) from None
        raise


@cache
def _transaction_connection() -> Connection:
    """One per process, as each model keeps its own: a new Connection is a new botocore session
    and client, which costs about 100 ms of CPU (the service model read and parsed again)."""
    return Connection(region=get_settings().region, max_pool_connections=MAX_POOL_CONNECTIONS)


def transaction() -> TransactWrite:
    """A DynamoDB transaction in the application table's region: all or nothing, at most
    `MAX_TRANSACTION_ITEMS` items."""
    return TransactWrite(connection=_transaction_connection())


def query_page[M: AppItem](
    model: type[M],
    partition: str,
    sort_prefix: str,
    page: PageRequest,
    *,
    newest_first: bool = False,
    filter_condition: Condition | None = None,
) -> tuple[list[M], str | None]:
    """One page of a partition's items whose sort key starts with `sort_prefix` (consistent).

    A `filter_condition` is applied after the page is read, so a page may hold fewer than
    `limit` items while `next_cursor` goes on."""
    result = model.query(
        partition,
        model.sk.startswith(sort_prefix),
        filter_condition=filter_condition,
        limit=page.limit,
        last_evaluated_key=decode_cursor(
            page.cursor, partition_attribute="PK", partition=partition
        ),
        scan_index_forward=not newest_first,
        consistent_read=True,
    )
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


def ulid_sort_key_bound(prefix: str, moment: datetime, *, upper: bool) -> str:
    """The first `<prefix>#<ulid>` sort key at or after `moment` (or the last at or before it,
    `upper`), for items whose ULID was minted when they were made (ULIDs hold milliseconds)."""
    # Clamped at 1970, where ULID time starts: no item is older, so the answer is the same.
    microseconds = max(0, (moment - _EPOCH) // timedelta(microseconds=1))
    milliseconds = microseconds // 1000 if upper else -(-microseconds // 1000)
    randomness = b"\xff" * 10 if upper else bytes(10)
    return key(prefix, str(ULID.from_bytes(milliseconds.to_bytes(6, "big") + randomness)))


def filtered_query_page[M: AppItem](
    model: type[M],
    partition: str,
    range_condition: Condition,
    page: PageRequest,
    *,
    filter_condition: Condition | None,
    newest_first: bool = True,
) -> tuple[list[M], str | None]:
    """One page of a partition's items in a sort-key range that pass `filter_condition`
    (consistent), reading at most MAX_PAGES_PER_FILTERED_LIST pages: filters may leave a page
    short, and `next_cursor` then says there is more."""
    start = decode_cursor(page.cursor, partition_attribute="PK", partition=partition)
    found: list[M] = []
    for _ in range(MAX_PAGES_PER_FILTERED_LIST):
        # DynamoDB's Limit counts items read before filtering: never read more than still fit.
        result = model.query(
            partition,
            range_condition,
            filter_condition=filter_condition,
            scan_index_forward=not newest_first,
            consistent_read=True,
            last_evaluated_key=start,
            page_size=page.limit - len(found),
        )
        raw_page = next(result.page_iter)
        found += [model.from_raw_data(raw) for raw in raw_page.get("Items", [])]
        start = result.page_iter.last_evaluated_key
        if start is None or len(found) >= page.limit:
            break
    return found, encode_cursor(start)
