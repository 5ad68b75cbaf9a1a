"""Domain events on Herald's EventBridge bus (`source` herald.<group>, `detail-type` the event)."""

import json
from typing import Any

from functions.shared import aws
from functions.shared.problems import ServiceUnavailable
from functions.shared.settings import get_settings


def publish_event(group: str, detail_type: str, detail: dict[str, Any]) -> None:
    response = aws.events().put_events(
        Entries=[
            {
                "Source": f"herald.{group}",
                "DetailType": detail_type,
                "Detail": json.dumps(detail, separators=(",", ":"), default=str),
                "EventBusName": get_settings().event_bus_name,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        raise ServiceUnavailable(f"The {detail_type} event could not be published; try again.")
