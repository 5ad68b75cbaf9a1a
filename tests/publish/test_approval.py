"""Approval: a workspace setting; editors submit, admins approve or reject with a comment, a post
waiting for approval never publishes, and an edit after approval needs approval again."""

import json
from datetime import UTC, datetime, timedelta

from tests.publish.posts_world import (
    activity_actions,
    problem,
    sandbox_published,
    schedule_exists,
    table_keys,
)
from tests.publish.studio import Studio, run_worker


def in_minutes(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


def require_approval(studio: Studio, required: bool = True) -> None:
    response = studio.client.put(
        "/v1/posts/settings", json={"approval_required": required}, headers=studio.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["approval_required"] is required


def test_only_admins_change_the_setting_and_it_can_be_changed_again(studio: Studio) -> None:
    editor = studio.as_member("editor")
    default = studio.client.get("/v1/posts/settings", headers=editor)
    refused = studio.client.put(
        "/v1/posts/settings", json={"approval_required": True}, headers=editor
    )

    assert default.json() == {"approval_required": False, "tracked_links": False}
    assert problem(refused, 403)["detail"] == "This needs the admin role or above; yours is editor."
    require_approval(studio)
    require_approval(studio, False)
    require_approval(studio)
    assert studio.client.get("/v1/posts/settings", headers=editor).json() == {
        "approval_required": True,
        "tracked_links": False,
    }
    assert activity_actions(studio)[:3] == ["publishing.settings_changed"] * 3


def test_an_editor_s_schedule_waits_for_an_admin_who_approves_it(studio: Studio) -> None:
    require_approval(studio)
    editor = studio.as_member("editor")
    sandbox = studio.sandbox()
    created = studio.client.post(
        "/v1/posts",
        json={"text": "New roast", "targets": [{"account_id": sandbox}]},
        headers=editor,
    ).json()
    at = in_minutes(45)

    submitted = studio.client.post(
        f"/v1/posts/{created['id']}/schedule", json={"at": at}, headers=editor
    )
    assert submitted.status_code == 200, submitted.text
    waiting = submitted.json()
    assert waiting["status"] == "pending_approval"
    assert waiting["approval"]["state"] == "pending"
    assert waiting["approval"]["revision"] == 1
    assert waiting["approval"]["requested_at"] == datetime.fromisoformat(at).isoformat()
    assert not schedule_exists(created["id"])
    assert table_keys(studio.workspace_id, "CAL#") == []
    # The editor cannot approve their own post.
    own = studio.client.post(f"/v1/posts/{created['id']}/approve", headers=editor)
    assert problem(own, 403)["detail"] == "This needs the admin role or above; yours is editor."

    approved = studio.client.post(
        f"/v1/posts/{created['id']}/approve", json={"comment": "Lovely"}, headers=studio.headers
    )
    assert approved.status_code == 200, approved.text
    post = approved.json()
    assert post["status"] == "scheduled"
    assert post["scheduled_at"] == datetime.fromisoformat(at).isoformat()
    assert post["approval"]["state"] == "approved"
    assert post["approval"]["comment"] == "Lovely"
    assert post["approval"]["decided_by"] == f"user:{studio.owner.user_id}"
    assert schedule_exists(created["id"])
    assert activity_actions(studio)[:2] == ["post.approved", "post.submitted"]

    assert studio.fire(created["id"])["result"]["outcome"] == "published"
    assert sandbox_published(studio, sandbox) == ["New roast"]


def test_a_rejected_post_goes_back_to_its_author_with_the_comment(studio: Studio) -> None:
    require_approval(studio)
    editor = studio.as_member("editor")
    sandbox = studio.sandbox()
    created = studio.client.post(
        "/v1/posts", json={"text": "Hot take", "targets": [{"account_id": sandbox}]}, headers=editor
    ).json()
    submitted = studio.client.post(f"/v1/posts/{created['id']}/submit", headers=editor)
    assert submitted.json()["status"] == "pending_approval"

    bare = studio.client.post(f"/v1/posts/{created['id']}/reject", headers=studio.headers)
    assert problem(bare, 422)["errors"][0]["pointer"] == "/body"
    rejected = studio.client.post(
        f"/v1/posts/{created['id']}/reject",
        json={"comment": "Too spicy for the brand"},
        headers=studio.headers,
    )

    assert rejected.status_code == 200, rejected.text
    post = rejected.json()
    assert post["status"] == "draft"
    assert post["approval"]["state"] == "rejected"
    assert post["approval"]["comment"] == "Too spicy for the brand"
    again = studio.client.post(f"/v1/posts/{created['id']}/approve", headers=studio.headers)
    assert problem(again, 409)["detail"] == f"Post {created['id']} is not waiting for approval."
    assert activity_actions(studio)[:2] == ["post.rejected", "post.submitted"]


def test_an_edit_after_approval_unschedules_the_post_until_it_is_approved_again(
    studio: Studio,
) -> None:
    require_approval(studio)
    editor = studio.as_member("editor")
    sandbox = studio.sandbox()
    created = studio.create(text="Approved words", targets=[{"account_id": sandbox}])
    at = in_minutes(30)
    # An admin's own schedule is its approval.
    scheduled = studio.schedule(created["id"], at)
    assert scheduled["status"] == "scheduled"
    assert scheduled["approval"]["state"] == "approved"
    approved_firing = json.loads(studio.stored_schedule(created["id"])["Target"]["Input"])

    edited = studio.client.patch(
        f"/v1/posts/{created['id']}", json={"text": "Words nobody approved"}, headers=editor
    )

    assert edited.status_code == 200, edited.text
    post = edited.json()
    assert post["status"] == "pending_approval"
    assert post["revision"] == 2
    assert post["approval"]["state"] == "pending"
    assert post["approval"]["revision"] == 2
    assert not schedule_exists(created["id"])
    assert table_keys(studio.workspace_id, "CAL#") == []
    # The approved revision's firing, delivered anyway (late, or a schedule left behind), publishes
    # nothing: the post waits for approval.
    report = run_worker(approved_firing)
    assert report["result"] == {"outcome": "stale", "targets": {}}
    assert sandbox_published(studio, sandbox) == []
    assert studio.post(created["id"])["status"] == "pending_approval"

    # Approving the new revision puts it back on its requested time.
    approved = studio.client.post(f"/v1/posts/{created['id']}/approve", headers=studio.headers)
    assert approved.json()["status"] == "scheduled"
    assert approved.json()["approval"]["revision"] == 2
    assert studio.fire(created["id"])["result"]["outcome"] == "published"
    assert sandbox_published(studio, sandbox) == ["Words nobody approved"]


def test_a_schedule_that_fires_for_an_unapproved_revision_publishes_nothing(
    studio: Studio,
) -> None:
    sandbox = studio.sandbox()
    created = studio.create(
        text="Scheduled before approval existed", targets=[{"account_id": sandbox}]
    )
    studio.schedule(created["id"], in_minutes(30))
    # Approval is turned on after the post was scheduled: its revision was never approved.
    require_approval(studio)

    report = studio.fire(created["id"])

    assert report["result"] == {"outcome": "gated", "targets": {}}
    assert sandbox_published(studio, sandbox) == []
    post = studio.post(created["id"])
    assert post["status"] == "pending_approval"
    assert post["publishing"] == []
    assert post["approval"]["requested_at"] == post["scheduled_at"]

    # An admin's approval arms it again for the time it was meant for.
    approved = studio.client.post(f"/v1/posts/{created['id']}/approve", headers=studio.headers)
    assert approved.json()["status"] == "scheduled"
    assert approved.json()["scheduled_at"] == post["scheduled_at"]
    assert studio.fire(created["id"])["result"]["outcome"] == "published"
    assert sandbox_published(studio, sandbox) == ["Scheduled before approval existed"]


def test_a_label_change_does_not_withdraw_an_approval(studio: Studio) -> None:
    require_approval(studio)
    sandbox = studio.sandbox()
    created = studio.create(text="Labels are ours", targets=[{"account_id": sandbox}])
    studio.schedule(created["id"], in_minutes(30))

    relabelled = studio.client.patch(
        f"/v1/posts/{created['id']}", json={"labels": ["spring"]}, headers=studio.headers
    )

    assert relabelled.status_code == 200, relabelled.text
    post = relabelled.json()
    assert (post["status"], post["revision"], post["labels"]) == ("scheduled", 2, ["spring"])
    assert post["approval"]["state"] == "approved"
    assert studio.fire(created["id"])["result"]["outcome"] == "published"
    assert sandbox_published(studio, sandbox) == ["Labels are ours"]


def test_editing_a_post_that_waits_for_approval_keeps_its_requested_time(studio: Studio) -> None:
    require_approval(studio)
    editor = studio.as_member("editor")
    sandbox = studio.sandbox()
    created = studio.client.post(
        "/v1/posts",
        json={"text": "First words", "targets": [{"account_id": sandbox}]},
        headers=editor,
    ).json()
    at = in_minutes(60)
    studio.client.post(f"/v1/posts/{created['id']}/schedule", json={"at": at}, headers=editor)

    edited = studio.client.patch(
        f"/v1/posts/{created['id']}", json={"text": "Second words"}, headers=editor
    ).json()
    approved = studio.client.post(f"/v1/posts/{created['id']}/approve", headers=studio.headers)

    assert edited["status"] == "pending_approval"
    assert edited["approval"]["revision"] == 2
    assert edited["approval"]["requested_at"] == datetime.fromisoformat(at).isoformat()
    assert approved.json()["status"] == "scheduled"
    assert approved.json()["scheduled_at"] == datetime.fromisoformat(at).isoformat()


def test_a_draft_edited_after_its_approval_needs_a_new_one_before_it_is_scheduled(
    studio: Studio,
) -> None:
    require_approval(studio)
    editor = studio.as_member("editor")
    sandbox = studio.sandbox()
    created = studio.client.post(
        "/v1/posts",
        json={"text": "Draft one", "targets": [{"account_id": sandbox}]},
        headers=editor,
    ).json()
    studio.client.post(f"/v1/posts/{created['id']}/submit", headers=editor)
    # Approved without a requested time: it stays a draft its editor may schedule.
    approved = studio.client.post(f"/v1/posts/{created['id']}/approve", headers=studio.headers)
    assert (approved.json()["status"], approved.json()["approval"]["state"]) == (
        "draft",
        "approved",
    )

    studio.client.patch(f"/v1/posts/{created['id']}", json={"text": "Draft two"}, headers=editor)
    scheduled = studio.client.post(
        f"/v1/posts/{created['id']}/schedule", json={"at": in_minutes(30)}, headers=editor
    ).json()

    assert scheduled["status"] == "pending_approval"
    editor_id = studio.herald.client.get("/v1/me", headers=editor).json()["id"]
    assert scheduled["approval"]["state"] == "pending"
    assert scheduled["approval"]["revision"] == 2
    assert scheduled["approval"]["submitted_by"] == f"user:{editor_id}"
    assert not schedule_exists(created["id"])
