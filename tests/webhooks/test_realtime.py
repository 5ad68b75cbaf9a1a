"""Real-time updates over a real WebSocket (docs/realtime.md): who may connect and join, what
each connection receives, and what is forgotten when.

The server is the local gateway under uvicorn; the client is the `websockets` library; events
reach the pusher as an EventBridge rule delivers them, and the pusher sends through boto3's
API Gateway Management API client, which answers 410 `GoneException` for a connection that is
gone (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html).
"""

from datetime import timedelta

import pytest
from websockets.exceptions import InvalidStatus

from functions.shared.connection_items import (
    ConnectionItem,
    WorkspaceConnectionItem,
    find_connection,
    join_workspace,
    open_connection,
)
from functions.shared.realtime_push import push_to_user
from functions.shared.tables import key, utc_now
from functions.webhooks.workers import notifier, realtime_pusher
from tests.support.auth_world import Account, Herald
from tests.support.events import lambda_context
from tests.support.realtime import (
    RealtimeServer,
    bus_event,
    eventually,
    nothing_arrives,
    receive,
    send,
)

PUSHER = lambda_context("herald-test-realtime-pusher")
PUBLISHED = {"post_id": "01JTESTPOSTPOSTPOSTPOSTPOS", "status": "published"}


def connection_items_of(workspace_id: str) -> list[WorkspaceConnectionItem]:
    return list(
        WorkspaceConnectionItem.query(
            key("WS", workspace_id), WorkspaceConnectionItem.sk.startswith("CONN#")
        )
    )


def owner_with_workspace(herald: Herald, name: str) -> tuple[Account, str]:
    owner = herald.sign_up(name)
    workspace_id: str = herald.create_workspace(owner, f"{name.title()} Studio")["id"]
    return owner, workspace_id


def refused_status(realtime: RealtimeServer, token: str | None, **kwargs: object) -> int:
    with pytest.raises(InvalidStatus) as refused, realtime.connect(token, **kwargs):
        pass
    return refused.value.response.status_code


def test_connecting_needs_a_valid_user_token(herald: Herald, realtime: RealtimeServer) -> None:
    owner, workspace_id = owner_with_workspace(herald, "ada")
    api_key = herald.create_api_key(owner, workspace_id, ["posts:read"])

    assert refused_status(realtime, None) == 401
    assert refused_status(realtime, "not-a-token") == 401
    assert refused_status(realtime, owner.access_token + "x") == 401
    assert refused_status(realtime, api_key) == 403
    with realtime.connect(additional_headers={"Authorization": owner.headers["Authorization"]}):
        pass
    with realtime.connect(owner.access_token) as client:
        assert send(client, {"action": "ping"}) == {"type": "pong"}


def test_joining_a_workspace_of_someone_else_is_refused_as_not_found(
    herald: Herald, realtime: RealtimeServer
) -> None:
    ada, ada_workspace = owner_with_workspace(herald, "ada")
    _, bob_workspace = owner_with_workspace(herald, "bob")
    before = connection_items_of(bob_workspace)

    with realtime.connect(ada.access_token) as client:
        refused = send(client, {"action": "join", "workspace_id": bob_workspace})
        joined = send(client, {"action": "join", "workspace_id": ada_workspace})

    assert refused == {
        "type": "error",
        "action": "join",
        "problem": {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": f"Workspace {bob_workspace} was not found.",
        },
    }
    assert joined == {"type": "joined", "workspace_id": ada_workspace}
    assert connection_items_of(bob_workspace) == before == []


def test_a_post_event_reaches_the_members_of_its_workspace_only(
    herald: Herald, realtime: RealtimeServer
) -> None:
    ada, ada_workspace = owner_with_workspace(herald, "ada")
    bob, bob_workspace = owner_with_workspace(herald, "bob")
    editor = herald.sign_up("eve")
    herald.add_member(ada, ada_workspace, editor, "editor")
    event = bus_event("post.published", ada_workspace, PUBLISHED)

    with (
        realtime.connect(ada.access_token) as ada_client,
        realtime.connect(editor.access_token) as editor_client,
        realtime.connect(bob.access_token) as bob_client,
    ):
        for client, workspace_id in (
            (ada_client, ada_workspace),
            (editor_client, ada_workspace),
            (bob_client, bob_workspace),
        ):
            assert (
                send(client, {"action": "join", "workspace_id": workspace_id})["type"] == "joined"
            )
        result = realtime_pusher.handler(event, PUSHER)

        expected = {
            "type": "post.published",
            "id": event["detail"]["id"],
            "workspace_id": ada_workspace,
            "occurred_at": event["detail"]["occurred_at"],
            "data": PUBLISHED,
        }
        assert receive(ada_client) == expected
        assert receive(editor_client) == expected
        assert nothing_arrives(bob_client)
    assert result == {"delivered": 2}


def test_a_relayed_duplicate_is_pushed_once(herald: Herald, realtime: RealtimeServer) -> None:
    ada, workspace_id = owner_with_workspace(herald, "ada")
    event = bus_event("media.job.succeeded", workspace_id, {"job_id": "01JJOB"})

    with realtime.connect(ada.access_token) as client:
        send(client, {"action": "join", "workspace_id": workspace_id})
        assert realtime_pusher.handler(event, PUSHER) == {"delivered": 1}
        assert realtime_pusher.handler(event, PUSHER) == {"delivered": 0}
        assert receive(client)["id"] == event["detail"]["id"]
        assert nothing_arrives(client)


def test_after_leaving_a_workspace_its_events_no_longer_arrive(
    herald: Herald, realtime: RealtimeServer
) -> None:
    ada, workspace_id = owner_with_workspace(herald, "ada")

    with realtime.connect(ada.access_token) as client:
        send(client, {"action": "join", "workspace_id": workspace_id})
        assert send(client, {"action": "leave", "workspace_id": workspace_id}) == {
            "type": "left",
            "workspace_id": workspace_id,
        }
        realtime_pusher.handler(bus_event("post.failed", workspace_id, {}), PUSHER)
        assert nothing_arrives(client)
    assert connection_items_of(workspace_id) == []


def test_a_removed_member_or_an_ended_session_receives_nothing_more(
    herald: Herald, realtime: RealtimeServer
) -> None:
    ada, workspace_id = owner_with_workspace(herald, "ada")
    eve, leaver = herald.sign_up("eve"), herald.sign_up("leo")
    herald.add_member(ada, workspace_id, eve, "viewer")
    herald.add_member(ada, workspace_id, leaver, "viewer")

    with (
        realtime.connect(eve.access_token) as eve_client,
        realtime.connect(leaver.access_token) as leaver_client,
    ):
        for client in (eve_client, leaver_client):
            send(client, {"action": "join", "workspace_id": workspace_id})
        logout = herald.client.post("/v1/auth/logout", headers=eve.headers)
        assert logout.status_code == 204
        removed = herald.client.delete(
            f"/v1/workspaces/{workspace_id}/members/{leaver.user_id}", headers=ada.headers
        )
        assert removed.status_code == 204
        event = bus_event("post.approval_requested", workspace_id, {})

        assert realtime_pusher.handler(event, PUSHER) == {"delivered": 0}
        assert nothing_arrives(eve_client)
        assert nothing_arrives(leaver_client)
        assert connection_items_of(workspace_id) == []


def test_a_connection_the_gateway_says_is_gone_is_dropped(
    herald: Herald, realtime: RealtimeServer
) -> None:
    ada, workspace_id = owner_with_workspace(herald, "ada")
    session_id = herald.client.get("/v1/auth/sessions", headers=ada.headers).json()[0]["id"]
    # A connection the table still lists but the gateway no longer has (the client vanished
    # without a close, so no $disconnect ran).
    vanished = open_connection("GoneGoneGone0Q=", ada.user_id, session_id)
    join_workspace(vanished, workspace_id)

    with realtime.connect(ada.access_token) as client:
        send(client, {"action": "join", "workspace_id": workspace_id})
        delivered = push_to_user(
            workspace_id, ada.user_id, {"type": "notification.created", "data": {}}
        )
        assert receive(client) == {"type": "notification.created", "data": {}}

    assert delivered == 1
    assert find_connection("GoneGoneGone0Q=") is None
    assert eventually(lambda: connection_items_of(workspace_id) == [])


def test_connection_items_expire_with_the_connection_and_go_on_disconnect(
    herald: Herald, realtime: RealtimeServer
) -> None:
    ada, workspace_id = owner_with_workspace(herald, "ada")

    with realtime.connect(ada.access_token) as client:
        send(client, {"action": "join", "workspace_id": workspace_id})
        (joined,) = connection_items_of(workspace_id)
        connection = ConnectionItem.get(*ConnectionItem.keys(joined.connection_id))
        for item in (joined, connection):
            assert (
                timedelta(hours=2) - timedelta(minutes=1)
                < item.expires_at - utc_now()
                <= timedelta(hours=2)
            )
        assert connection.workspace_ids == {workspace_id}

    # `$disconnect` runs after the client closed and removes the joins, then the connection.
    assert eventually(
        lambda: (
            connection_items_of(workspace_id) == []
            and find_connection(joined.connection_id) is None
        )
    )


@pytest.mark.parametrize(
    ("message", "status"),
    [
        ("not json", 422),
        ('{"action": "join"}', 422),
        ('{"action": "join", "workspace_id": "../../etc"}', 422),
        ('{"action": "subscribe"}', 422),
        ('{"action": "ping", "pad": "' + "x" * 5000 + '"}', 400),
    ],
)
def test_a_malformed_message_gets_an_error_and_the_connection_stays(
    herald: Herald, realtime: RealtimeServer, message: str, status: int
) -> None:
    ada = herald.sign_up("ada")

    with realtime.connect(ada.access_token) as client:
        client.send(message)
        reply = receive(client)
        assert reply["type"] == "error"
        assert reply["problem"]["status"] == status
        assert send(client, {"action": "ping"}) == {"type": "pong"}


def test_a_new_notification_reaches_its_recipient_s_connections_only(
    herald: Herald, realtime: RealtimeServer
) -> None:
    """The notifier hands each notification it stores to the recipient's joined connections."""
    ada, workspace_id = owner_with_workspace(herald, "ada")
    eve = herald.sign_up("eve")
    herald.add_member(ada, workspace_id, eve, "editor")
    joined = bus_event(
        "member.joined",
        workspace_id,
        {
            "user_id": eve.user_id,
            "role": "editor",
            "invite_id": "01JTESTINVITEINVITEINVITEI",
            "invited_by": f"user:{ada.user_id}",
        },
    )

    with (
        realtime.connect(ada.access_token) as ada_client,
        realtime.connect(eve.access_token) as eve_client,
    ):
        for client in (ada_client, eve_client):
            assert send(client, {"action": "join", "workspace_id": workspace_id})["type"] == (
                "joined"
            )
        notifier.handler(joined, lambda_context("herald-test-notifier"))

        message = receive(ada_client)
        assert (message["type"], message["workspace_id"]) == ("notification.created", workspace_id)
        assert (message["data"]["event_type"], message["data"]["event_id"]) == (
            "member.joined",
            joined["detail"]["id"],
        )
        assert message["data"]["read_at"] is None
        assert nothing_arrives(eve_client)  # the member who joined is not told about it
