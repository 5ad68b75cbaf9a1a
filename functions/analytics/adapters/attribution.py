"""Site events attributed to the post that brought them, counted on write
(docs/analytics.md#attribution), in the post's `ATTRIBUTION#<post>` item
(`functions.shared.tracked_links.PostAttributionItem`):

- `e:<platform>:<event name>`: how many such events arrived;
- `r:<platform>:<currency>`: their revenue (refunds negative);
- `distinct`: how many event attributes there are, at most MAX_EVENT_NAMES, so that the item
  stays small whatever names a site sends; events of further names are not attributed.

Every write is conditional on the post having tracked links on that platform (`platforms`), so an
event naming an unknown post, another workspace's post or a platform the post was not on is
never counted, and no item is created by an event.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from functions.shared import aws
from functions.shared.settings import get_settings
from functions.shared.tables import key

MAX_EVENT_NAMES = 100
EVENT_PREFIX = "e:"
REVENUE_PREFIX = "r:"


@dataclass(slots=True)
class Attributed:
    """What one batch attributes to one post on one platform, per event name."""

    counts: dict[str, int] = field(default_factory=dict)
    revenue: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # name -> currency


def _key(workspace_id: str, post_id: str) -> dict[str, Any]:
    return {"PK": {"S": key("WS", workspace_id)}, "SK": {"S": key("ATTRIBUTION", post_id)}}


def _add(
    item_key: dict[str, Any],
    platform: str,
    name: str,
    count: int,
    revenue: Mapping[str, Decimal],
    *,
    new: bool,
) -> bool:
    names = {"#event": f"{EVENT_PREFIX}{platform}:{name}", "#platforms": "platforms"}
    values: dict[str, Any] = {":count": {"N": str(count)}, ":platform": {"S": platform}}
    adds = ["#event :count"]
    for index, (currency, amount) in enumerate(revenue.items()):
        names[f"#r{index}"] = f"{REVENUE_PREFIX}{platform}:{currency}"
        values[f":r{index}"] = {"N": str(amount)}
        adds.append(f"#r{index} :r{index}")
    condition = "contains(#platforms, :platform) AND "
    if new:
        names["#distinct"] = "distinct"
        values[":one"] = {"N": "1"}
        values[":most"] = {"N": str(MAX_EVENT_NAMES)}
        adds.append("#distinct :one")
        condition += (
            "attribute_not_exists(#event) AND "
            "(attribute_not_exists(#distinct) OR #distinct < :most)"
        )
    else:
        condition += "attribute_exists(#event)"
    try:
        aws.dynamodb().update_item(
            TableName=get_settings().table_name,
            Key=item_key,
            UpdateExpression="ADD " + ", ".join(adds),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    return True


def record(workspace_id: str, attributed: Mapping[tuple[str, str], Attributed]) -> None:
    """Add each (post, platform)'s events: to an existing name, else as a new one, else (another
    batch added the name meanwhile) to it again; a name beyond the bound is dropped."""
    for (post_id, platform), events in attributed.items():
        item_key = _key(workspace_id, post_id)
        for name, count in events.counts.items():
            revenue = events.revenue.get(name, {})
            for new in (False, True, False):
                if _add(item_key, platform, name, count, revenue, new=new):
                    break


def read(workspace_id: str, post_id: str) -> dict[str, Any] | None:
    """The post's attribution item's attributes as numbers and sets, or None without one."""
    answer = aws.dynamodb().get_item(
        TableName=get_settings().table_name, Key=_key(workspace_id, post_id), ConsistentRead=True
    )
    item = answer.get("Item")
    if item is None:
        return None
    found: dict[str, Any] = {"platforms": set(item.get("platforms", {}).get("SS", []))}
    for name, value in item.items():
        if name.startswith((EVENT_PREFIX, REVENUE_PREFIX)):
            found[name] = Decimal(value["N"])
    return found
