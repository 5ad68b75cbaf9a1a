"""Opening a real-time connection and answering what its client sends (docs/realtime.md).

A connection opens with a user's access token (API keys cannot connect: they act for servers,
which get events through outbound webhooks) and then joins the workspaces whose events it wants,
each join checked as a workspace request is: a non-member gets 404, as over HTTP.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from functions.shared.access import ID_PATTERN, Permissions, authorize
from functions.shared.auth import ApiKeyPrincipal, UserPrincipal, principal_for
from functions.shared.connection_items import (
    Connection,
    close_connection,
    find_connection,
    join_workspace,
    leave_workspace,
    open_connection,
)
from functions.shared.identity_items import SessionItem
from functions.shared.problems import (
    BadRequest,
    FieldError,
    Forbidden,
    InvalidToken,
    Problem,
    Unauthorized,
    ValidationFailed,
    json_pointer,
)

# A client message is a few dozen bytes; API Gateway would accept up to 128 KB.
MAX_MESSAGE_BYTES = 4096
MAX_JOINED_WORKSPACES = 20
MAX_TOKEN_LENGTH = 4096


class JoinMessage(BaseModel):
    action: Literal["join"]
    workspace_id: str = Field(pattern=ID_PATTERN)


class LeaveMessage(BaseModel):
    action: Literal["leave"]
    workspace_id: str = Field(pattern=ID_PATTERN)


class PingMessage(BaseModel):
    action: Literal["ping"]


ClientMessage = Annotated[JoinMessage | LeaveMessage | PingMessage, Field(discriminator="action")]
_client_message: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


def connect(connection_id: str, token: str | None) -> Connection:
    """Open a connection for the token's user; 401 without a valid token, 403 for an API key."""
    if not token:
        raise Unauthorized("Connect with an access token: the `token` query parameter.")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("The access token is malformed.")
    principal = principal_for(token)
    if isinstance(principal, ApiKeyPrincipal):
        raise Forbidden("API keys cannot connect to real-time updates; use outbound webhooks.")
    return open_connection(connection_id, principal.user_id, principal.session_id)


def disconnect(connection_id: str) -> None:
    close_connection(connection_id)


def answer(connection_id: str, body: str) -> dict[str, Any]:
    """The reply to one client message: `joined`, `left`, `pong`, or an `error` with problem
    details (the connection stays open either way)."""
    action = None
    try:
        message = _parse(body)
        action = message.action
        if isinstance(message, PingMessage):
            return {"type": "pong"}
        connection = _live_connection(connection_id)
        if isinstance(message, JoinMessage):
            _join(connection, message.workspace_id)
            return {"type": "joined", "workspace_id": message.workspace_id}
        leave_workspace(connection, message.workspace_id)
        return {"type": "left", "workspace_id": message.workspace_id}
    except Problem as problem:
        return error_message(problem, action)


def error_message(problem: Problem, action: str | None = None) -> dict[str, Any]:
    return {
        "type": "error",
        "action": action,
        "problem": problem.details().model_dump(mode="json", exclude_none=True),
    }


def _parse(body: str) -> JoinMessage | LeaveMessage | PingMessage:
    if len(body.encode()) > MAX_MESSAGE_BYTES:
        raise BadRequest(f"A message is at most {MAX_MESSAGE_BYTES} bytes.")
    try:
        return _client_message.validate_json(body)
    except ValidationError as error:
        raise ValidationFailed(
            'Send {"action": "join" or "leave", "workspace_id": ...} or {"action": "ping"}.',
            errors=[
                FieldError(
                    pointer=json_pointer(["body", *problem["loc"]]),
                    detail=problem["msg"],
                    code=problem["type"],
                )
                for problem in error.errors(include_url=False)
            ],
        ) from None


def _live_connection(connection_id: str) -> Connection:
    """The connection, as long as it and the session that opened it are live."""
    connection = find_connection(connection_id)
    if connection is None:
        raise Unauthorized("This connection has expired; connect again.")
    session = SessionItem.find(connection.user_id, connection.session_id)
    if session is None or session.revoked_at is not None:
        raise InvalidToken("The session of this connection has ended; sign in again.")
    return connection


def _join(connection: Connection, workspace_id: str) -> None:
    principal = UserPrincipal(
        user_id=connection.user_id, session_id=connection.session_id, claims={}
    )
    authorize(principal, workspace_id, Permissions.MEMBERS)
    joined = connection.workspace_ids
    if workspace_id not in joined and len(joined) >= MAX_JOINED_WORKSPACES:
        raise BadRequest(f"A connection joins at most {MAX_JOINED_WORKSPACES} workspaces.")
    join_workspace(connection, workspace_id)
