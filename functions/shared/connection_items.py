"""Real-time WebSocket connections in the application table.

A connection is two kinds of item, both expiring (TTL) when API Gateway ends the connection at
the latest (two hours after it opened):
- `CONN#<connection>` / `CONNECTION`: who opened it (user and session) and the workspaces it
  joined, read on every message the client sends (the gateway gives only the connection id);
- `WS#<ws>` / `CONN#<user>#<connection>`: one per joined workspace, in the workspace's
  partition, so that the pusher lists a workspace's connections, or one member's, by a query.
DynamoDB deletes expired items up to a few days late, so every read here skips them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Self

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from functions.shared.tables import AppItem, key, transaction, utc_now

# API Gateway closes every WebSocket connection after two hours.
CONNECTION_LIFETIME = timedelta(hours=2)


class ExpiringItem(Model):
    """An unversioned item with a TTL: real-time items are only ever created whole, deleted, or
    have a workspace added to or removed from a set, each atomic without reading first."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    expires_at = TTLAttribute()


class ConnectionItem(ExpiringItem):
    connection_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    workspace_ids = UnicodeSetAttribute(null=True)

    @staticmethod
    def keys(connection_id: str) -> tuple[str, str]:
        return key("CONN", connection_id), "CONNECTION"


class WorkspaceConnectionItem(ExpiringItem):
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    connection_id = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str, user_id: str, connection_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("CONN", user_id, connection_id)


@dataclass(frozen=True, slots=True)
class Connection:
    connection_id: str
    user_id: str
    session_id: str
    workspace_ids: frozenset[str]
    expires_at: datetime

    @classmethod
    def of(cls, item: ConnectionItem) -> Self:
        return cls(
            connection_id=item.connection_id,
            user_id=item.user_id,
            session_id=item.session_id,
            workspace_ids=frozenset(item.workspace_ids or ()),
            expires_at=item.expires_at,
        )


@dataclass(frozen=True, slots=True)
class JoinedConnection:
    """A connection that joined a workspace, as the pusher lists them."""

    workspace_id: str
    user_id: str
    session_id: str
    connection_id: str


def open_connection(connection_id: str, user_id: str, session_id: str) -> Connection:
    item = ConnectionItem(
        *ConnectionItem.keys(connection_id),
        connection_id=connection_id,
        user_id=user_id,
        session_id=session_id,
        expires_at=utc_now() + CONNECTION_LIFETIME,
    )
    item.save()
    return Connection.of(item)


def find_connection(connection_id: str) -> Connection | None:
    """The open connection, or None once it is closed or past its lifetime."""
    try:
        item = ConnectionItem.get(*ConnectionItem.keys(connection_id), consistent_read=True)
    except DoesNotExist:
        return None
    return Connection.of(item) if item.expires_at > utc_now() else None


def _join_item(connection: Connection, workspace_id: str) -> WorkspaceConnectionItem:
    return WorkspaceConnectionItem(
        *WorkspaceConnectionItem.keys(workspace_id, connection.user_id, connection.connection_id)
    )


def join_workspace(connection: Connection, workspace_id: str) -> None:
    """Record the join on both items at once; joining again changes nothing."""
    joined = _join_item(connection, workspace_id)
    joined.workspace_id = workspace_id
    joined.user_id = connection.user_id
    joined.session_id = connection.session_id
    joined.connection_id = connection.connection_id
    joined.expires_at = connection.expires_at
    with transaction() as write:
        write.update(
            ConnectionItem(*ConnectionItem.keys(connection.connection_id)),
            actions=[ConnectionItem.workspace_ids.add({workspace_id})],
            condition=ConnectionItem.pk.exists(),
        )
        write.save(joined)


def leave_workspace(connection: Connection, workspace_id: str) -> None:
    with transaction() as write:
        write.update(
            ConnectionItem(*ConnectionItem.keys(connection.connection_id)),
            actions=[ConnectionItem.workspace_ids.delete({workspace_id})],
            condition=ConnectionItem.pk.exists(),
        )
        write.delete(_join_item(connection, workspace_id))


def close_connection(connection_id: str) -> None:
    """Forget the connection and its joins (the client left, or the gateway said it is gone)."""
    try:
        item = ConnectionItem.get(*ConnectionItem.keys(connection_id), consistent_read=True)
    except DoesNotExist:
        return
    with WorkspaceConnectionItem.batch_write() as batch:
        for workspace_id in item.workspace_ids or ():
            batch.delete(
                WorkspaceConnectionItem(
                    *WorkspaceConnectionItem.keys(workspace_id, item.user_id, connection_id)
                )
            )
    item.delete()


def forget_joins(joins: Iterable[JoinedConnection]) -> None:
    """Drop joins whose member left the workspace; their connections stay open.

    The connection item may still list the workspace: that list only says which join items to
    delete when the connection closes, and deleting one that is gone does nothing.
    """
    with WorkspaceConnectionItem.batch_write() as batch:
        for join in joins:
            batch.delete(
                WorkspaceConnectionItem(
                    *WorkspaceConnectionItem.keys(
                        join.workspace_id, join.user_id, join.connection_id
                    )
                )
            )


def joined_connections(workspace_id: str, user_id: str | None = None) -> list[JoinedConnection]:
    """The live connections that joined the workspace (only the user's, when one is named)."""
    sort_prefix = key("CONN", user_id) + "#" if user_id is not None else "CONN#"
    now = utc_now()
    return [
        JoinedConnection(
            workspace_id=item.workspace_id,
            user_id=item.user_id,
            session_id=item.session_id,
            connection_id=item.connection_id,
        )
        for item in WorkspaceConnectionItem.query(
            key("WS", workspace_id),
            WorkspaceConnectionItem.sk.startswith(sort_prefix),
            consistent_read=True,
        )
        if item.expires_at > now
    ]
