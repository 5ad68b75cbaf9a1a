"""The real-time pusher's work: a domain event from the bus, sent to every connection of the
event's workspace, once per event id. The sending itself, and its access checks, are
functions/shared/realtime_push.py (other groups push too). The protocol is docs/realtime.md.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.access import ID_PATTERN
from functions.shared.events import first_receipt
from functions.shared.observability import logger
from functions.shared.realtime_push import push_to_workspace

# Outbound test sends go to one webhook endpoint; they are not news for the dashboard.
NOT_PUSHED = frozenset({"webhook.test"})


class EventEnvelope(BaseModel):
    """The `detail` of every Herald event on the bus (the event contract of issue 13)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=64)
    version: Literal[1]
    workspace_id: str = Field(pattern=ID_PATTERN)
    occurred_at: datetime
    data: dict[str, Any]


def event_message(event: EventEnvelope) -> dict[str, Any]:
    return {
        "type": event.type,
        "id": event.id,
        "workspace_id": event.workspace_id,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }


def push_event(detail: Mapping[str, Any]) -> int:
    """Push one domain event to its workspace, once per event id (a relayed duplicate is
    dropped); how many connections got it."""
    event = EventEnvelope.model_validate(detail)
    if event.type in NOT_PUSHED:
        return 0
    if not first_receipt("realtime-pusher", event.id):
        logger.info("duplicate event not pushed again", extra={"event_id": event.id})
        return 0
    return push_to_workspace(event.workspace_id, event_message(event))
