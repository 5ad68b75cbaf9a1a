"""Issue 13's end-to-end check of notifications over `make dev`'s stack (`python -m infra.local` as
a real process): a post published to a sandbox account made to fail (`fail_with: permanent`,
docs/accounts.md) fails, and its author is told both ways at once: a `notification.created`
message on a real WebSocket client that joined the workspace (docs/realtime.md), and the same
notification in `GET /v1/notifications` (docs/notifications.md).

Nothing here sleeps a fixed time: each wait polls, or blocks on the socket, until a deadline.
"""

import time
from typing import Any

import httpx
from websockets.sync.client import ClientConnection

from tests.e2e.local_stack import LocalServer, sandbox_post, workspace_owner
from tests.support.realtime import RealtimeServer, receive, send

DEADLINE_SECONDS = 60
POLL_SECONDS = 0.25


def next_message_of_type(client: ClientConnection, message_type: str) -> dict[str, Any]:
    """The first message of `message_type` to arrive before the deadline (the workspace's
    domain events, pushed too, are passed over)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = receive(client, timeout=remaining)
        except TimeoutError:
            break
        if message["type"] == message_type:
            return message
    raise AssertionError(f"no {message_type} message within {DEADLINE_SECONDS} s")


def listed_notifications(api: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The caller's notifications once the list shows any, polled until the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        listed = api.get("/v1/notifications", headers=headers)
        assert listed.status_code == 200, listed.text
        items: list[dict[str, Any]] = listed.json()["items"]
        if items or time.monotonic() > deadline:
            return items
        time.sleep(POLL_SECONDS)


def test_a_failed_post_notifies_its_author_in_the_list_and_on_the_websocket(
    server: LocalServer,
) -> None:
    api = httpx.Client(base_url=server.base_url, timeout=30)
    workspace_id, author = workspace_owner(api, server, "notified.e2e@example.com", "Notified")
    token = author["Authorization"].removeprefix("Bearer ")
    post_id = sandbox_post(api, author, "This one will fail.", fail_with="permanent")

    with RealtimeServer(server.base_url).connect(token) as client:
        joined = send(client, {"action": "join", "workspace_id": workspace_id})
        assert joined == {"type": "joined", "workspace_id": workspace_id}
        published = api.post(f"/v1/posts/{post_id}/publish", headers=author)
        assert published.status_code in (200, 202), published.text
        pushed = next_message_of_type(client, "notification.created")

    assert pushed["workspace_id"] == workspace_id
    notification = pushed["data"]
    assert (notification["event_type"], notification["link"]["post_id"]) == ("post.failed", post_id)
    assert notification["read_at"] is None
    assert listed_notifications(api, author) == [notification], server.diagnostics()
    unread = api.get("/v1/notifications/unread-count", headers=author)
    assert unread.json() == {"unread": 1}
    assert api.get(f"/v1/posts/{post_id}", headers=author).json()["status"] == "failed"
