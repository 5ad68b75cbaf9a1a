"""Deleting a workspace deletes its schedules: the publish group's events function takes auth's
`workspace.deleted` from Herald's bus and deletes every schedule whose name starts with the
workspace's id (scheduled and recurring posts, targets' next steps), and no other workspace's.
A firing that arrives for a deleted workspace publishes nothing, whether its post is purged by
then or not yet.

ListSchedules' `NamePrefix` filter:
https://docs.aws.amazon.com/scheduler/latest/APIReference/API_ListSchedules.html
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.publish.adapters import schedules
from functions.publish.adapters.post_items import PostItem
from functions.publish.workers import events as publish_events
from functions.shared.identity_items import WorkspaceItem
from tests.publish.posts_world import later, sandbox_published, schedule_names, table_keys
from tests.publish.studio import Studio, run_worker
from tests.support.event_bus import bus_listener, received
from tests.support.snapshots import workspace_items


def _neighbour(studio: Studio) -> Studio:
    """Another owner's workspace, driven through the same apps."""
    owner = studio.herald.sign_up("neighbour")
    workspace_id = studio.herald.create_workspace(owner, "Neighbour Bakery")["id"]
    return Studio(
        herald=studio.herald,
        client=studio.client,
        owner=owner,
        workspace_id=workspace_id,
        headers=owner.headers | {"X-Workspace-Id": workspace_id},
    )


def _plan(studio: Studio) -> dict[str, str]:
    """A scheduled post, a recurring post and a target's pending retry: three schedules."""
    account = studio.sandbox()
    once = studio.create(text="Once", targets=[{"account_id": account}])
    studio.schedule(once["id"], later(30))
    daily = studio.create(text="Daily", targets=[{"account_id": account}])
    studio.schedule(daily["id"], later(60), recurrence={"every": 1, "unit": "days"})
    retry = schedules.target_schedule_name(studio.workspace_id, once["id"], account)
    schedules.put(
        retry,
        datetime.now(UTC) + timedelta(hours=1),
        "UTC",
        {"herald": "advance-target", "workspace_id": studio.workspace_id},
    )
    return {"once": once["id"], "daily": daily["id"], "account": account}


def _names_of(workspace_id: str) -> set[str]:
    prefix = schedules.workspace_prefix(workspace_id)
    return {name for name in schedule_names() if name.startswith(prefix)}


def _delete(studio: Studio) -> dict[str, Any]:
    """Delete the workspace through the auth API; the event the bus carried."""
    listener = bus_listener("workspace.deleted")
    response = studio.herald.client.delete(
        f"/v1/workspaces/{studio.workspace_id}", headers=studio.owner.headers
    )
    assert response.status_code == 204, response.text
    [event] = received(listener)
    return event


def test_a_deleted_workspaces_schedules_are_all_deleted_and_no_other(studio: Studio) -> None:
    neighbour = _neighbour(studio)
    _plan(studio)
    _plan(neighbour)
    assert len(_names_of(studio.workspace_id)) == 3
    theirs = _names_of(neighbour.workspace_id)
    assert len(theirs) == 3

    event = _delete(studio)
    assert (event["source"], event["detail-type"]) == ("herald.auth", "workspace.deleted")
    result = publish_events.handler(event, None)
    again = publish_events.handler(event, None)  # delivered twice: no harm

    assert result == {"schedules_deleted": 3, "x_release_started": False}
    assert again == {"schedules_deleted": 0, "x_release_started": False}
    assert _names_of(studio.workspace_id) == set()
    assert schedule_names() == theirs


def test_a_firing_after_the_workspace_was_deleted_publishes_nothing(studio: Studio) -> None:
    plan = _plan(studio)
    firing = studio.scheduler_input(schedules.post_schedule_name(studio.workspace_id, plan["once"]))

    publish_events.handler(_delete(studio), None)
    result = run_worker(firing)

    assert result["result"]["outcome"] == "stale"
    # Nothing was claimed or written: the closed workspace's tombstone is all its partition holds.
    assert [sk for _, sk in workspace_items(studio.workspace_id)] == ["WORKSPACE"]


def test_a_firing_between_closing_and_purging_publishes_nothing(studio: Studio) -> None:
    """Auth closes the workspace (`deleted_at`) before it purges the partition: a firing in
    between finds its post still scheduled, and claiming it checks the workspace is open."""
    plan = _plan(studio)
    WorkspaceItem(*WorkspaceItem.keys(studio.workspace_id)).update(
        actions=[WorkspaceItem.deleted_at.set(datetime.now(UTC))], add_version_condition=False
    )

    result = studio.fire(plan["once"])

    assert result["result"]["outcome"] == "stale"
    post = PostItem.find(studio.workspace_id, plan["once"])
    assert post is not None
    assert post.status == "scheduled"
    assert table_keys(studio.workspace_id, "TARGET#") == []
    assert sandbox_published(studio, plan["account"]) == []


def test_an_event_of_another_kind_is_refused() -> None:
    with pytest.raises(ValueError, match=r"takes no 'post\.published' event"):
        publish_events.handler({"detail-type": "post.published", "detail": {}}, None)


def test_the_schedule_names_fit_schedulers_limit() -> None:
    """Scheduler's names: 1 to 64 characters of [0-9a-zA-Z-_.] (API_CreateSchedule.html)."""
    ulid = "01JC000000000000000000000A"
    for name in (
        schedules.post_schedule_name(ulid, ulid),
        schedules.target_schedule_name(ulid, ulid, ulid),
    ):
        assert len(name) <= 64
        assert name.replace("-", "").isalnum()
