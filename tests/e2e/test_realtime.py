"""Real-time updates on `make dev`'s port: `python -m infra.local` as a real process, a real
WebSocket client (`websockets`), and the Management API served on the same port and called with
boto3's own client, as the pusher calls it (docs/realtime.md)."""

import boto3
import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.e2e.local_stack import LocalServer, workspace_owner
from tests.support.realtime import nothing_arrives, send


def websocket_url(server: LocalServer, token: str | None) -> str:
    url = server.base_url.replace("http://", "ws://") + "/v1/realtime"
    return url if token is None else f"{url}?token={token}"


def test_a_member_joins_its_workspace_and_no_other(server: LocalServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as api:
        ada_workspace, ada = workspace_owner(api, server, "ada.rt@example.com", "Ada Studio")
        bob_workspace, _ = workspace_owner(api, server, "bob.rt@example.com", "Bob Studio")
    token = ada["Authorization"].removeprefix("Bearer ")

    for refused_token, status in ((None, 401), ("not-a-token", 401)):
        with (
            pytest.raises(InvalidStatus) as refused,
            connect(websocket_url(server, refused_token), open_timeout=10),
        ):
            pass
        assert refused.value.response.status_code == status

    with connect(websocket_url(server, token), open_timeout=10) as client:
        assert send(client, {"action": "ping"}) == {"type": "pong"}
        other = send(client, {"action": "join", "workspace_id": bob_workspace})
        assert (other["type"], other["problem"]["status"]) == ("error", 404)
        joined = send(client, {"action": "join", "workspace_id": ada_workspace})
        assert joined == {"type": "joined", "workspace_id": ada_workspace}
        left = send(client, {"action": "leave", "workspace_id": ada_workspace})
        assert left == {"type": "left", "workspace_id": ada_workspace}
        assert nothing_arrives(client)


def test_the_management_api_answers_gone_for_an_unknown_connection(server: LocalServer) -> None:
    gateway = boto3.client(
        "apigatewaymanagementapi", endpoint_url=server.base_url, region_name="us-east-1"
    )
    with pytest.raises(gateway.exceptions.GoneException):
        gateway.post_to_connection(ConnectionId="Tm9Db25uZWN0aW9uMA==", Data=b"{}")
