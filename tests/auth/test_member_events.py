"""Members joining and leaving are announced (`member.joined`, `member.removed`) with the event
catalogue's data, once the membership is written."""

from tests.support.auth_world import Herald
from tests.support.event_bus import bus_listener, catalogued, received


def test_a_member_joining_then_being_removed_and_another_leaving_are_announced(
    herald: Herald,
) -> None:
    owner = herald.sign_up("owner")
    workspace_id = herald.create_workspace(owner)["id"]
    editor, viewer = herald.sign_up("editor"), herald.sign_up("viewer")
    events = bus_listener("member.joined", "member.removed")

    herald.add_member(owner, workspace_id, editor, "editor")
    herald.add_member(owner, workspace_id, viewer, "viewer")
    removed = herald.client.delete(
        f"/v1/workspaces/{workspace_id}/members/{editor.user_id}", headers=owner.headers
    )
    left = herald.client.delete(
        f"/v1/workspaces/{workspace_id}/members/{viewer.user_id}", headers=viewer.headers
    )
    assert (removed.status_code, left.status_code) == (204, 204)

    sent = received(events)
    assert {event["source"] for event in sent} == {"herald.auth"}
    data = [(event["detail-type"], catalogued(event)) for event in sent]
    joined = [body for kind, body in data if kind == "member.joined"]
    gone = [body for kind, body in data if kind == "member.removed"]
    inviter = f"user:{owner.user_id}"
    assert {(body["user_id"], body["role"], body["invited_by"]) for body in joined} == {
        (editor.user_id, "editor", inviter),
        (viewer.user_id, "viewer", inviter),
    }
    assert all(body["invite_id"] for body in joined)
    assert {(body["user_id"], body["role"], body["removed_by"], body["left"]) for body in gone} == {
        (editor.user_id, "editor", inviter, False),
        (viewer.user_id, "viewer", f"user:{viewer.user_id}", True),
    }
