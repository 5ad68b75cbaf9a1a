"""The publish group's events of the catalogue: approval requests and decisions, accounts
connected and disconnected, each sent once its change is saved, with the catalogue's data."""

from typing import Any

from tests.publish.studio import Studio
from tests.support.event_bus import bus_listener, catalogued, received


def approval_required(studio: Studio) -> None:
    response = studio.client.put(
        "/v1/posts/settings", json={"approval_required": True}, headers=studio.headers
    )
    assert response.status_code == 200, response.text


def submitted_post(studio: Studio, editor: dict[str, str], sandbox: str) -> dict[str, Any]:
    created = studio.client.post(
        "/v1/posts",
        json={"text": "Autumn blend", "targets": [{"account_id": sandbox}]},
        headers=editor,
    ).json()
    submitted = studio.client.post(f"/v1/posts/{created['id']}/submit", headers=editor)
    post: dict[str, Any] = submitted.json()
    assert post["status"] == "pending_approval"
    return post


def test_a_submission_and_its_rejection_are_announced(studio: Studio) -> None:
    approval_required(studio)
    editor = studio.as_member("editor")
    sandbox = studio.sandbox()
    events = bus_listener("post.approval_requested", "post.approved", "post.rejected")

    post = submitted_post(studio, editor, sandbox)
    post_id, submitter = post["id"], post["approval"]["submitted_by"]
    rejected = studio.client.post(
        f"/v1/posts/{post_id}/reject", json={"comment": "Not this week"}, headers=studio.headers
    )
    assert rejected.status_code == 200, rejected.text

    sent = sorted(received(events), key=lambda event: event["detail-type"])
    assert [event["detail-type"] for event in sent] == ["post.approval_requested", "post.rejected"]
    assert catalogued(sent[0]) == {
        "post_id": post_id,
        "revision": 1,
        "submitted_by": submitter,
        "requested_at": None,
    }
    decision = catalogued(sent[1])
    assert decision == {
        "post_id": post_id,
        "revision": 1,
        "status": "draft",
        "submitted_by": submitter,
        "decided_by": f"user:{studio.owner.user_id}",
        "decided_at": rejected.json()["approval"]["decided_at"].replace("+00:00", "Z"),
        "comment": "Not this week",
    }
    assert sent[0]["source"] == sent[1]["source"] == "herald.publish"


def test_an_approval_is_announced_with_the_status_it_leaves(studio: Studio) -> None:
    approval_required(studio)
    editor = studio.as_member("editor")
    post_id = submitted_post(studio, editor, studio.sandbox())["id"]
    events = bus_listener("post.approved")

    approved = studio.client.post(
        f"/v1/posts/{post_id}/approve", json={"comment": "Go"}, headers=studio.headers
    )

    assert approved.json()["status"] == "draft"  # submitted without a time: a draft again
    [event] = received(events)
    assert catalogued(event)["status"] == "draft"
    assert catalogued(event)["comment"] == "Go"


def test_connecting_and_disconnecting_an_account_are_announced(studio: Studio) -> None:
    events = bus_listener("account.connected", "account.disconnected")

    account_id = studio.sandbox("Roastery")
    gone = studio.client.delete(f"/v1/accounts/{account_id}", headers=studio.headers)
    assert gone.status_code == 204, gone.text

    sent = {event["detail-type"]: catalogued(event) for event in received(events)}
    identity = {
        "account_id": account_id,
        "platform": "sandbox",
        "platform_account_id": f"sandbox-{account_id}",
        "name": "Roastery",
        "handle": None,
    }
    assert sent == {
        "account.connected": {
            **identity,
            "connected_by": f"user:{studio.owner.user_id}",
            "reconnected": False,
        },
        "account.disconnected": {**identity, "disconnected_by": f"user:{studio.owner.user_id}"},
    }
