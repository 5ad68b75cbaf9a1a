"""The rollups of published posts' metrics that the engagement, top-posts, labels and best-times
reports read (docs/analytics.md, "Engagement reports"), beside the day rollup of
functions/shared/post_metrics.py. The publish group's collector writes them in the transactions
that publish a target and record its snapshots, so they move with the snapshots or not at all:

    WS#<workspace>  METRICS#POSTS#<day>#<account>  the account's posts of that day (the workspace's
                                                   timezone then): `i:<post>` what the post is
                                                   (platform, labels, local weekday and hour of
                                                   publishing), `m:<post>` its latest normalized
                                                   metrics
    WS#<workspace>  METRICS#SLOTS#<account>        the account's whole history per local weekday
                                                   and hour of publishing: `posts:<d>:<hh>`,
                                                   `impressions:<d>:<hh>`, `engagements:<d>:<hh>`
    WS#<workspace>  METRICS#LABEL#<day>#<label>    a label's posts of that day and what they
                                                   earned: `label`, `posts`, each summed metric

Post entries are attributes named by the post, not a map, so that a snapshot can set its post's
numbers without reading the item first and whether or not the item exists yet. Counts are atomic
`ADD`s of each snapshot's delta. A post's labels, weekday and hour are those it had when it was
published; later edits and timezone changes do not move it.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from boto3.dynamodb.types import TypeDeserializer
from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.shared import aws
from functions.shared.platform_links import key_part
from functions.shared.post_metrics import SUMMED, MetricsDayItem, MetricsTargetItem, engagements
from functions.shared.settings import get_settings
from functions.shared.tables import AppItem, key

_INFO = "i:"
_METRICS = "m:"
_deserializer = TypeDeserializer()


def local_slot(moment: datetime, timezone: str) -> tuple[int, int]:
    """(weekday, 0 is Monday; hour) of `moment` on the wall clock of `timezone`: the offset of
    that very instant, so a post on either side of a daylight-saving change gets its own."""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.weekday(), local.hour


def slot_name(weekday: int, hour: int) -> str:
    return f"{weekday}:{hour:02d}"


class _RollupItem(Model):
    """An item of these rollups, updated by attribute paths only (its attributes are named by
    post, slot or metric)."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")


def posts_key(workspace_id: str, day: str, account_id: str) -> tuple[str, str]:
    return key("WS", workspace_id), key("METRICS", "POSTS", day, account_id)


def slots_key(workspace_id: str, account_id: str) -> tuple[str, str]:
    return key("WS", workspace_id), key("METRICS", "SLOTS", account_id)


def label_key(workspace_id: str, day: str, label: str) -> tuple[str, str]:
    return key("WS", workspace_id), key("METRICS", "LABEL", day, key_part(label))


def _number(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _add(name: str, value: int) -> Action:
    return Path([name]).add(_number(value))


def start(write: TransactWrite, target: MetricsTargetItem, weekday: int, hour: int) -> None:
    """Add a published target (its `labels` and `slot` set) to the post, slot and label rollups,
    in the transaction that publishes it."""
    info = {
        "platform": {"S": target.platform},
        "weekday": _number(weekday),
        "hour": _number(hour),
        "published_at": {"S": target.published_at.isoformat()},
        "labels": {"L": [{"S": label} for label in sorted(target.labels or ())]},
    }
    write.update(
        _RollupItem(*posts_key(target.workspace_id, target.day, target.account_id)),
        actions=[Path([_INFO + target.post_id]).set({"M": info})],
    )
    write.update(
        _RollupItem(*slots_key(target.workspace_id, target.account_id)),
        actions=[_add(f"posts:{slot_name(weekday, hour)}", 1)],
    )
    for label in target.labels or ():
        write.update(
            _RollupItem(*label_key(target.workspace_id, target.day, label)),
            actions=[Path(["label"]).set({"S": label}), _add("posts", 1)],
        )


def record(
    write: TransactWrite,
    target: MetricsTargetItem,
    metrics: Mapping[str, int],
    delta: Mapping[str, int],
) -> None:
    """Add a snapshot to the rollups, in its transaction: the post's latest numbers, and its
    delta from the last snapshot to its slot and labels. Targets published before these rollups
    existed (no `slot`) are left out of them."""
    if target.slot is None:
        return
    latest = {name: _number(int(value)) for name, value in metrics.items()}
    write.update(
        _RollupItem(*posts_key(target.workspace_id, target.day, target.account_id)),
        actions=[Path([_METRICS + target.post_id]).set({"M": latest})],
    )
    engaged = engagements(delta)
    slot_delta = {"impressions": delta.get("impressions", 0), "engagements": engaged}
    if any(slot_delta.values()):
        write.update(
            _RollupItem(*slots_key(target.workspace_id, target.account_id)),
            actions=[_add(f"{name}:{target.slot}", n) for name, n in slot_delta.items() if n],
        )
    if delta:
        for label in target.labels or ():
            write.update(
                _RollupItem(*label_key(target.workspace_id, target.day, label)),
                actions=[_add(name, n) for name, n in delta.items()],
            )


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishedPost:
    """One post on one account, as the post rollup holds it."""

    post_id: str
    account_id: str
    day: str
    platform: str
    weekday: int
    hour: int
    published_at: datetime
    labels: tuple[str, ...]
    metrics: Mapping[str, int]


@dataclass(slots=True)
class SlotHistory:
    """An account's posts published in one local weekday and hour, and what they earned."""

    posts: int = 0
    impressions: int = 0
    engagements: int = 0


@dataclass(frozen=True, slots=True)
class LabelDay:
    label: str
    day: str
    posts: int
    metrics: Mapping[str, int]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {name: _plain(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


def _items_between(
    workspace_id: str, kind: str, first: date, last: date
) -> Iterator[dict[str, Any]]:
    """Every item `METRICS#<kind>#<day>#...` of the days `first` to `last`: one query."""
    pages = (
        aws.dynamodb()
        .get_paginator("query")
        .paginate(
            TableName=get_settings().table_name,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
            ExpressionAttributeValues={
                ":pk": {"S": key("WS", workspace_id)},
                ":low": {"S": key("METRICS", kind, first.isoformat())},
                # `$` sorts right after `#`: past every `<last>#...`, before the next day.
                ":high": {"S": key("METRICS", kind, last.isoformat()) + "$"},
            },
        )
    )
    for page in pages:
        for raw in page.get("Items", []):
            yield {name: _plain(_deserializer.deserialize(value)) for name, value in raw.items()}


def published_posts(workspace_id: str, first: date, last: date) -> Iterator[PublishedPost]:
    """Every post published on the days `first` to `last`: O(days x accounts) items."""
    for item in _items_between(workspace_id, "POSTS", first, last):
        _, _, day, account_id = item["SK"].split("#")
        for name, info in item.items():
            if not name.startswith(_INFO):
                continue
            post_id = name.removeprefix(_INFO)
            yield PublishedPost(
                post_id=post_id,
                account_id=account_id,
                day=day,
                platform=info["platform"],
                weekday=info["weekday"],
                hour=info["hour"],
                published_at=datetime.fromisoformat(info["published_at"]),
                labels=tuple(info["labels"]),
                metrics=item.get(_METRICS + post_id, {}),
            )


def label_days(workspace_id: str, first: date, last: date) -> Iterator[LabelDay]:
    """Every label's totals of each day `first` to `last`: O(days x labels used) items."""
    for item in _items_between(workspace_id, "LABEL", first, last):
        yield LabelDay(
            label=item["label"],
            day=item["SK"].split("#")[2],
            posts=item.get("posts", 0),
            metrics={name: item.get(name, 0) for name in SUMMED},
        )


def account_slots(workspace_id: str, account_id: str) -> dict[tuple[int, int], SlotHistory]:
    """The account's history per weekday and hour: one item."""
    pk, sk = slots_key(workspace_id, account_id)
    raw = aws.dynamodb().get_item(
        TableName=get_settings().table_name, Key={"PK": {"S": pk}, "SK": {"S": sk}}
    )
    item = {name: _plain(_deserializer.deserialize(v)) for name, v in raw.get("Item", {}).items()}
    found: dict[tuple[int, int], SlotHistory] = {}
    for name, value in item.items():
        measure, _, slot = name.partition(":")
        if measure not in ("posts", "impressions", "engagements") or not slot:
            continue
        weekday, hour = (int(part) for part in slot.split(":"))
        history = found.setdefault((weekday, hour), SlotHistory())
        setattr(history, measure, value)
    return found


class _AccountKey(Model):
    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    platform = UnicodeAttribute(null=True)


def account_platform(workspace_id: str, account_id: str) -> str | None:
    """The platform of the workspace's social account, None if it has no such account."""
    try:
        found = _AccountKey.get(
            key("WS", workspace_id),
            key("ACCOUNT", account_id),
            attributes_to_get=["PK", "SK", "platform"],
        )
    except _AccountKey.DoesNotExist:
        return None
    return found.platform or "unknown"


def summed(metrics: Iterable[Mapping[str, int]]) -> dict[str, int]:
    totals = dict.fromkeys(SUMMED, 0)
    for one in metrics:
        for name in SUMMED:
            totals[name] += int(one.get(name, 0))
    return totals


def day_sums(days: Iterable[MetricsDayItem]) -> tuple[int, dict[str, int]]:
    """Posts published and every summed metric over day rollups."""
    listed = list(days)
    return sum(int(day.posts or 0) for day in listed), summed(day.totals() for day in listed)
