"""Pushing real-time messages to the WebSocket connections that joined a workspace.

Any group's code pushes through here: the real-time pusher (each domain event), the notifier (each
new notification, to its user), the AI strategist (an answer's chunks as the model writes them).
The protocol is docs/realtime.md.

Access was checked when the connection joined, and is checked again for each push, cheaply: the
workspace's members are one query of the partition the connections are listed from, and the
connections' sessions one batch read. A connection whose user is no longer a member, or whose
session has ended (logout, password change), loses the join and receives nothing; one the
gateway answers 410 Gone for is forgotten. A stream of many messages checks once, at its start
(`user_audience`), then sends each message to the connections found (`Audience.send`).
"""

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from functions.shared import connection_gateway
from functions.shared.connection_items import (
    JoinedConnection,
    close_connection,
    forget_joins,
    joined_connections,
)
from functions.shared.identity_items import MembershipItem, SessionItem
from functions.shared.tables import key

# Sends run in parallel, so one slow connection does not hold up the others for long.
MAX_PARALLEL_SENDS = 16


@dataclass
class Audience:
    """Connections allowed to receive a workspace's messages, checked once; those the gateway
    says are gone are dropped (and forgotten) as sends find them."""

    connection_ids: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.connection_ids)

    def send(self, message: Mapping[str, Any]) -> int:
        """Send `message` to every connection still there; how many got it."""
        if not self.connection_ids:
            return 0
        data = json.dumps(message, separators=(",", ":")).encode()
        ids = self.connection_ids
        # A stream sends many small messages, mostly to one connection: no pool for one.
        if len(ids) == 1:
            sent = [connection_gateway.send(ids[0], data)]
        else:
            with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_SENDS, len(ids))) as pool:
                sent = list(pool.map(connection_gateway.send, ids, [data] * len(ids)))
        for connection_id, delivered in zip(ids, sent, strict=True):
            if not delivered:
                close_connection(connection_id)
        self.connection_ids = [
            connection_id for connection_id, delivered in zip(ids, sent, strict=True) if delivered
        ]
        return sum(sent)


def push_to_workspace(workspace_id: str, message: Mapping[str, Any]) -> int:
    """Send `message` to every member's connection that joined the workspace; how many got it."""
    return _audience(workspace_id, joined_connections(workspace_id)).send(message)


def push_to_user(workspace_id: str, user_id: str, message: Mapping[str, Any]) -> int:
    """Send `message` to the user's connections that joined the workspace; how many got it."""
    return user_audience(workspace_id, user_id).send(message)


def user_audience(workspace_id: str, user_id: str) -> Audience:
    """The user's connections that joined the workspace and may still receive its messages."""
    return _audience(workspace_id, joined_connections(workspace_id, user_id))


def _audience(workspace_id: str, joins: Sequence[JoinedConnection]) -> Audience:
    if not joins:
        return Audience()
    allowed = _still_allowed(workspace_id, joins)
    refused = [join for join in joins if join not in allowed]
    if refused:
        forget_joins(refused)
    return Audience([join.connection_id for join in allowed])


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
