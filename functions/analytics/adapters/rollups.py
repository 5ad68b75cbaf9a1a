"""Dashboard counters of tracked events, kept up to date on write (docs/analytics.md#rollups).

Per workspace and UTC day, in the workspace's partition:

- `TRAFFIC#<day>`: `events`, `pageviews`, `sessions`, `visitors`, each bumped with `ADD`;
- `TRAFFICTOP#<dimension>#<day>`: one number attribute per value (`v:<value>`, e.g. `v:/pricing`)
  and `distinct`, the number of value attributes. A value is added only while `distinct` is under
  MAX_VALUES_PER_DAY (a conditional `ADD`), later ones count under `(other)`: the item stays
  far below DynamoDB's 400 KB whatever the traffic;
- `TRAFFICSEEN#<day>#<session or visitor>#<digest>`: that a session or visitor was counted that
  day. Bumping it returns its previous count, so only its first event of the day counts it: exact
  distinct counts for one conditional write per distinct visitor and session in a batch, removed by
  TTL two days after the day.

Every write is a single UpdateItem with `ADD`: concurrent batches on any number of instances all
land, and nothing reads before writing. Reports read O(days) items by key; nothing scans.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from functions.shared import aws
from functions.shared.settings import get_settings
from functions.shared.tables import key

DIMENSIONS = ("page", "event", "referrer", "utm_source", "revenue")
MAX_VALUES_PER_DAY = 500
MAX_VALUE_LENGTH = 200
OTHER = "(other)"
DAY_TOTALS = ("events", "pageviews", "sessions", "visitors")
SEEN_KEPT = timedelta(days=2)
_VALUE_PREFIX = "v:"
_PARALLEL_WRITES = 8
_BATCH_GET_KEYS = 100


@dataclass(slots=True)
class DayIncrements:
    """What one batch adds to one day."""

    totals: Counter[str] = field(default_factory=Counter)
    values: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)  # (session or visitor, id)

    def add_value(self, dimension: str, value: str, amount: Decimal = Decimal(1)) -> None:
        counts = self.values.setdefault(dimension, {})
        value = value[:MAX_VALUE_LENGTH]
        counts[value] = counts.get(value, Decimal(0)) + amount


def _partition(workspace_id: str) -> dict[str, str]:
    return {"S": key("WS", workspace_id)}


def _totals_key(workspace_id: str, day: date) -> dict[str, dict[str, str]]:
    return {"PK": _partition(workspace_id), "SK": {"S": key("TRAFFIC", day.isoformat())}}


def _values_key(workspace_id: str, dimension: str, day: date) -> dict[str, dict[str, str]]:
    return {
        "PK": _partition(workspace_id),
        "SK": {"S": key("TRAFFICTOP", dimension, day.isoformat())},
    }


def _number(amount: Decimal | int) -> dict[str, str]:
    return {"N": str(amount)}


def _first_sighting(workspace_id: str, day: date, kind: str, identifier: str) -> bool:
    """Whether this is the first time `identifier` is counted as a `kind` on `day`."""
    fingerprint = hashlib.sha256(identifier.encode()).hexdigest()[:32]
    expires = datetime.combine(day, time(), tzinfo=UTC) + timedelta(days=1) + SEEN_KEPT
    answer = aws.dynamodb().update_item(
        TableName=get_settings().table_name,
        Key={
            "PK": _partition(workspace_id),
            "SK": {"S": key("TRAFFICSEEN", day.isoformat(), kind, fingerprint)},
        },
        UpdateExpression="ADD hits :one SET expires_at = :expires",
        ExpressionAttributeValues={
            ":one": _number(1),
            ":expires": _number(int(expires.timestamp())),
        },
        ReturnValues="UPDATED_OLD",
    )
    return "hits" not in answer.get("Attributes", {})


def _add_totals(workspace_id: str, day: date, totals: Mapping[str, int]) -> None:
    names = [name for name in DAY_TOTALS if totals.get(name)]
    if not names:
        return
    aws.dynamodb().update_item(
        TableName=get_settings().table_name,
        Key=_totals_key(workspace_id, day),
        UpdateExpression="ADD " + ", ".join(f"#{name} :{name}" for name in names),
        ExpressionAttributeNames={f"#{name}": name for name in names},
        ExpressionAttributeValues={f":{name}": _number(totals[name]) for name in names},
    )


def _add_to_existing(item_key: dict[str, Any], counts: Mapping[str, Decimal]) -> bool:
    """Add every count in one update if each value is already there; False if one is not."""
    names = {f"#v{i}": _VALUE_PREFIX + value for i, value in enumerate(counts)}
    amounts = {f":v{i}": _number(amount) for i, amount in enumerate(counts.values())}
    try:
        aws.dynamodb().update_item(
            TableName=get_settings().table_name,
            Key=item_key,
            UpdateExpression="ADD "
            + ", ".join(f"{n} {a}" for n, a in zip(names, amounts, strict=True)),
            ConditionExpression=" AND ".join(f"attribute_exists({name})" for name in names),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=amounts,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _add_new_value(item_key: dict[str, Any], value: str, amount: Decimal) -> bool:
    """Add a value not yet in the item while there is room; False when full or already there."""
    try:
        aws.dynamodb().update_item(
            TableName=get_settings().table_name,
            Key=item_key,
            UpdateExpression="ADD #value :amount, #distinct :one",
            ConditionExpression="attribute_not_exists(#value) AND "
            "(attribute_not_exists(#distinct) OR #distinct < :most)",
            ExpressionAttributeNames={"#value": _VALUE_PREFIX + value, "#distinct": "distinct"},
            ExpressionAttributeValues={
                ":amount": _number(amount),
                ":one": _number(1),
                ":most": _number(MAX_VALUES_PER_DAY),
            },
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _add_values(item_key: dict[str, Any], counts: Mapping[str, Decimal]) -> None:
    if _add_to_existing(item_key, counts):
        return
    for value, amount in counts.items():
        # Tried as an existing value again after a refusal: another batch may have just added it.
        if not (
            _add_new_value(item_key, value, amount) or _add_to_existing(item_key, {value: amount})
        ):
            _add_to_other(item_key, amount)


def _add_to_other(item_key: dict[str, Any], amount: Decimal) -> None:
    """`(other)` is one attribute beyond the bound, so it is added unconditionally."""
    aws.dynamodb().update_item(
        TableName=get_settings().table_name,
        Key=item_key,
        UpdateExpression="ADD #value :amount",
        ExpressionAttributeNames={"#value": _VALUE_PREFIX + OTHER},
        ExpressionAttributeValues={":amount": _number(amount)},
    )


def record(workspace_id: str, days: Mapping[date, DayIncrements]) -> None:
    """Apply one batch's increments: sightings and dimension values side by side, then each day's
    totals with the sessions and visitors seen for the first time."""
    with ThreadPoolExecutor(max_workers=_PARALLEL_WRITES) as pool:
        sightings = {
            (day, kind, identifier): pool.submit(
                _first_sighting, workspace_id, day, kind, identifier
            )
            for day, increments in days.items()
            for kind, identifier in increments.seen
        }
        values = [
            pool.submit(_add_values, _values_key(workspace_id, dimension, day), counts)
            for day, increments in days.items()
            for dimension, counts in increments.values.items()
        ]
        totals = {day: Counter(increments.totals) for day, increments in days.items()}
        for (day, kind, _), first in sightings.items():
            if first.result():
                totals[day]["sessions" if kind == "session" else "visitors"] += 1
        for finished in [
            pool.submit(_add_totals, workspace_id, day, counts) for day, counts in totals.items()
        ] + values:
            finished.result()


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _batch_get(keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    table = get_settings().table_name
    for start in range(0, len(keys), _BATCH_GET_KEYS):
        pending: dict[str, Any] = {
            table: {"Keys": keys[start : start + _BATCH_GET_KEYS], "ConsistentRead": True}
        }
        while pending:
            answer = aws.dynamodb().batch_get_item(RequestItems=pending)
            yield from answer["Responses"].get(table, [])
            pending = answer.get("UnprocessedKeys") or {}


def read_totals(workspace_id: str, days: Iterable[date]) -> dict[str, dict[str, int]]:
    """Each day's totals that exist, by ISO day."""
    found = _batch_get([_totals_key(workspace_id, day) for day in days])
    return {
        item["SK"]["S"].split("#", 1)[1]: {
            name: int(item[name]["N"]) for name in DAY_TOTALS if name in item
        }
        for item in found
    }


def read_values(
    workspace_id: str, dimension: str, days: Iterable[date]
) -> dict[str, dict[str, Decimal]]:
    """Each day's counts per value of one dimension, by ISO day."""
    found = _batch_get([_values_key(workspace_id, dimension, day) for day in days])
    return {
        item["SK"]["S"].rsplit("#", 1)[1]: {
            name.removeprefix(_VALUE_PREFIX): Decimal(value["N"])
            for name, value in item.items()
            if name.startswith(_VALUE_PREFIX)
        }
        for item in found
    }
