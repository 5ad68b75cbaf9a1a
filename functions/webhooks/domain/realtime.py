"""Pushing real-time messages to the WebSocket connections that joined a workspace.

`push_to_workspace` and `push_to_user` are what other code calls (the notifier pushes each new
notification to its user); `push_event` is the pusher's: a domain event from the bus, sent to
every connection of the event's workspace. The protocol is docs/realtime.md.

Access was checked when the connection joined, and is checked again at each push, cheaply: the
workspace's members are one query of the partition the connections are listed from, and the
connections' sessions one batch read. A connection whose user is no longer a member, or whose
session has ended (logout, password change), loses the join and receives nothing; one the
gateway answers 410 Gone for is forgotten.
"""

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.access import ID_PATTERN
from functions.shared.events import first_receipt
from functions.shared.identity_items import MembershipItem, SessionItem
from functions.shared.observability import logger
from functions.shared.tables import key
from functions.webhooks.adapters import connection_gateway
from functions.webhooks.adapters.connections import (
    JoinedConnection,
    close_connection,
    forget_joins,
    joined_connections,
)

# Sends run in parallel, so one slow connection does not hold up the others for long.
MAX_PARALLEL_SENDS = 16
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


def push_to_workspace(workspace_id: str, message: Mapping[str, Any]) -> int:
    """Send `message` to every member's connection that joined the workspace; how many got it."""
    return _push(workspace_id, joined_connections(workspace_id), message)


def push_to_user(workspace_id: str, user_id: str, message: Mapping[str, Any]) -> int:
    """Send `message` to the user's connections that joined the workspace; how many got it."""
    return _push(workspace_id, joined_connections(workspace_id, user_id), message)


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


def _push(workspace_id: str, joins: Sequence[JoinedConnection], message: Mapping[str, Any]) -> int:
    if not joins:
        return 0
    allowed = _still_allowed(workspace_id, joins)
    refused = [join for join in joins if join not in allowed]
    if refused:
        forget_joins(refused)
    if not allowed:
        return 0
    data = json.dumps(message, separators=(",", ":")).encode()
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_SENDS, len(allowed))) as pool:
        ids = [join.connection_id for join in allowed]
        sent = list(pool.map(connection_gateway.send, ids, [data] * len(ids)))
    for join, delivered in zip(allowed, sent, strict=True):
        if not delivered:
            close_connection(join.connection_id)
    return sum(sent)


def _still_allowed(workspace_id: str, joins: Sequence[JoinedConnection]) -> list[JoinedConnection]:
    """The joins whose user is still a member, through a session still live."""
    members = {
        item.user_id
        for item in MembershipItem.query(
            key("WS", workspace_id),
            MembershipItem.sk.startswith("MEMBER#"),
            consistent_read=True,
        )
    }
    sessions = {(join.user_id, join.session_id) for join in joins if join.user_id in members}
    live = {
        (item.user_id, item.session_id)
        for item in SessionItem.batch_get(
            [SessionItem.keys(user_id, session_id) for user_id, session_id in sessions],
            consistent_read=True,
        )
        if item.revoked_at is None
    }
    return [join for join in joins if (join.user_id, join.session_id) in live]
