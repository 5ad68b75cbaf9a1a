"""Deleting a workspace end to end over `make dev`'s stack: each group acts on auth's
`workspace.deleted` (delivered to its function by the rules of the CDK app, infra/local/
event_rules.py), and afterwards nothing of the workspace is left in moto: no schedule, no object
under its prefix, no table item but its tombstone. Another workspace's posts, schedules and
media are untouched.

The order is documented in docs/auth.md#deleting-a-workspace.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from ulid import ULID

from tests.e2e.local_stack import LocalServer, moto_client, upload, workspace_owner
from tests.support.ffmpeg_samples import make_video

pytestmark = pytest.mark.ffmpeg

DEADLINE_SECONDS = 60


def _holdings(server: LocalServer, workspace_id: str) -> dict[str, Any]:
    """What moto holds for the workspace: schedule names, object keys, table items' keys."""
    schedules = moto_client(server, "scheduler").list_schedules(NamePrefix=f"{workspace_id}-")
    s3 = moto_client(server, "s3")
    objects = {
        (bucket["Name"], item["Key"])
        for bucket in s3.list_buckets()["Buckets"]
        for item in s3.list_objects_v2(
            Bucket=bucket["Name"], Prefix=f"workspaces/{workspace_id}/"
        ).get("Contents", [])
    }
    dynamodb = moto_client(server, "dynamodb")
    items = set()
    for table in dynamodb.list_tables()["TableNames"]:
        schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
        if [key["AttributeName"] for key in schema] != ["PK", "SK"]:
            continue  # the idempotency table, keyed by hashes of deliveries
        found = dynamodb.query(
            TableName=table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"WS#{workspace_id}"}},
            ConsistentRead=True,
        )
        items |= {item["SK"]["S"] for item in found["Items"]}
    return {
        "schedules": {schedule["Name"] for schedule in schedules["Schedules"]},
        "objects": objects,
        "items": items,
    }


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {DEADLINE_SECONDS} s")
        time.sleep(0.25)


def _fill(api: httpx.Client, headers: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A scheduled post, a recurring post, uploaded media and a job."""
    account = api.post(
        "/v1/accounts", json={"platform": "sandbox", "name": "Sandbox"}, headers=headers
    )
    assert account.status_code == 201, account.text
    targets = [{"account_id": account.json()["id"]}]
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0).isoformat()
    posts = {}
    for name, extra in (("once", {}), ("daily", {"recurrence": {"every": 1, "unit": "days"}})):
        created = api.post("/v1/posts", json={"text": name, "targets": targets}, headers=headers)
        assert created.status_code == 201, created.text
        posts[name] = created.json()["id"]
        scheduled = api.post(
            f"/v1/posts/{posts[name]}/schedule", json={"at": at, **extra}, headers=headers
        )
        assert scheduled.status_code == 200, scheduled.text
    api.headers.update(headers)
    try:
        clip = make_video(tmp_path / f"{ULID()}.mp4", size="320x240", seconds=2.0)
        asset = upload(api, clip)
        job = api.post(
            "/v1/media/jobs",
            json={"type": "reframe", "asset_id": asset["id"], "preset": "story", "mode": "blur"},
        )
        assert job.status_code == 202, job.text
    finally:
        for name in headers:
            api.headers.pop(name, None)
    return {**posts, "asset": asset["id"], "job": job.json()["id"]}


def test_deleting_a_workspace_leaves_nothing_of_it_and_touches_no_other(
    server: LocalServer, tmp_path: Path
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=60) as api:
        doomed, owner = workspace_owner(
            api, server, f"doomed.{str(ULID()).lower()}@example.com", "Doomed"
        )
        kept, neighbour = workspace_owner(
            api, server, f"kept.{str(ULID()).lower()}@example.com", "Kept"
        )
        _fill(api, owner, tmp_path)
        _fill(api, neighbour, tmp_path)
        before = _holdings(server, doomed)
        assert len(before["schedules"]) == 2
        assert before["objects"]
        assert {"POST#", "ASSET#", "JOB#"} <= {sk.split("#")[0] + "#" for sk in before["items"]}
        _until(
            lambda: len(_holdings(server, kept)["objects"]) >= 2,
            "the neighbour's upload and job were not stored",
        )

        deleted = api.delete(f"/v1/workspaces/{doomed}", headers=owner)
        assert deleted.status_code == 204, deleted.text

        _until(
            lambda: (
                _holdings(server, doomed)
                == {"schedules": set(), "objects": set(), "items": {"WORKSPACE"}}
            ),
            "the deleted workspace's schedules, objects and items were not all removed",
        )
        # Its owner no longer sees it, and it answers 404 to them.
        listed = api.get("/v1/workspaces", headers=owner).json()
        assert doomed not in {workspace["id"] for workspace in listed["items"]}
        assert api.get(f"/v1/workspaces/{doomed}", headers=owner).status_code == 404
        # The neighbour's posts, schedules and media are all still there.
        theirs = _holdings(server, kept)
        assert len(theirs["schedules"]) == 2
        assert theirs["objects"]
        posts = api.get("/v1/posts", headers=neighbour).json()["items"]
        assert sorted(post["text"] for post in posts) == ["daily", "once"]
        assert len(api.get("/v1/media", headers=neighbour).json()["items"]) >= 1
