"""Helpers shared by the posts, scheduling, approval, queue, bulk, template and publishing tests."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from fastapi.routing import iter_route_contexts
from httpx import Response

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import ConnectedAccount, TokenSet
from functions.publish.adapters.platforms.sandbox import SandboxAdapter
from functions.publish.adapters.post_items import TargetItem
from functions.publish.adapters.schedules import post_schedule_name
from functions.shared.settings import get_settings
from tests.publish.studio import Studio

# "Now" for tests that schedule on fixed dates: before Europe/Berlin's spring-forward change
# (2027-03-28, 02:00 CET -> 03:00 CEST) and its autumn change (2027-10-31, 03:00 -> 02:00).
MARCH_1_2027 = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
# X's endpoint for creating a post (https://docs.x.com/x-api/posts/create-or-edit-post).
X_TWEETS = "https://api.x.com/2/tweets"
YT_CHANNEL = "UCchannel1"


@pytest.fixture
def march_2027() -> Iterator[None]:
    """The clock runs from 2027-03-01 10:00 UTC. List it before `studio`, so that sign-ups (and
    so their tokens) happen at that time."""
    with time_machine.travel(MARCH_1_2027, tick=True):
        yield


def later(minutes: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


def post_routes() -> set[tuple[str, str]]:
    """(method, path) of every route of posts and templates, as the publish app has them."""
    from functions.publish.app import app

    return {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        for method in route.methods or ()
        if route.path is not None and route.path.startswith(("/v1/posts", "/v1/templates"))
    }


def set_timezone(studio: Studio, timezone: str) -> None:
    """The workspace's timezone, changed through the auth app as an admin would."""
    response = studio.herald.client.patch(
        f"/v1/workspaces/{studio.workspace_id}",
        json={"timezone": timezone},
        headers=studio.owner.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == timezone


def sandbox_published(studio: Studio, account_id: str) -> list[str]:
    """The texts the sandbox platform holds for the account, oldest first (asked through the
    adapter's own listing, as reconciliation does)."""
    item = SocialAccountItem.find(studio.workspace_id, account_id)
    assert item is not None
    who = ConnectedAccount(platform_account_id=item.platform_account_id, name=item.name)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    listed = asyncio.run(SandboxAdapter().recent_posts(TokenSet("token"), who, since))
    return [post.text for post in listed]


def schedule_exists(post_id: str) -> bool:
    """Whether the post has a schedule, whichever workspace's name it starts with."""
    return any(name.endswith(post_schedule_name("", post_id)) for name in schedule_names())


def schedule_names() -> set[str]:
    scheduler = boto3.client("scheduler", region_name=get_settings().region)
    listed = scheduler.list_schedules(GroupName=get_settings().schedule_group)
    return {schedule["Name"] for schedule in listed["Schedules"]}


def table_keys(workspace_id: str, prefix: str) -> list[str]:
    """Sort keys of the workspace's items starting with `prefix` (what the table holds)."""
    table = boto3.resource("dynamodb", region_name=get_settings().region).Table(
        get_settings().table_name
    )
    found = table.query(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": f"WS#{workspace_id}", ":prefix": prefix},
        ConsistentRead=True,
    )
    return [str(item["SK"]) for item in found["Items"]]


def problem(response: Response, status: int) -> dict[str, Any]:
    """The problem details of a refused request, checked to be one."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def error_codes(body: dict[str, Any]) -> set[tuple[str, str]]:
    """(pointer, code) of each field error of a problem."""
    return {(error["pointer"], error["code"]) for error in body.get("errors", [])}


def activity_actions(studio: Studio) -> list[str]:
    """The workspace's activity, newest first."""
    response = studio.herald.client.get(
        f"/v1/workspaces/{studio.workspace_id}/activity?limit=100", headers=studio.owner.headers
    )
    assert response.status_code == 200, response.text
    return [entry["action"] for entry in response.json()["items"]]


def youtube_post(studio: Studio, video: bytes) -> tuple[str, str]:
    """A YouTube account and a scheduled post of `video` to it: (post id, account id)."""
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    asset = studio.asset(
        "video",
        "video/mp4",
        data=video,
        width=1920,
        height=1080,
        duration_seconds=30.0,
        frame_rate=30.0,
        video_codec="h264",
        audio_codec="aac",
    )
    created = studio.create(
        text="Spring menu",
        media=[asset],
        targets=[{"account_id": youtube, "options": {"title": "Spring menu"}}],
    )
    assert created["preflight"]["ok"], created["preflight"]
    studio.schedule(created["id"], later())
    return created["id"], youtube


def tiktok_processing_target(studio: Studio, account_id: str) -> TargetItem:
    """A draft post's TikTok target waiting for TikTok's processing of `publish_id` v_pub_1."""
    created = studio.create(text="Hello", targets=[{"account_id": account_id}])
    target = TargetItem(
        *TargetItem.keys(studio.workspace_id, created["id"], account_id),
        post_id=created["id"],
        workspace_id=studio.workspace_id,
        account_id=account_id,
        platform="tiktok",
        state="processing",
        progress={"platform_post_id": None, "progress": {"publish_id": "v_pub_1"}, "part": 0},
    )
    target.save()
    return target


def publish_now(studio: Studio, *accounts: str, text: str = "Metrics, please") -> str:
    post = studio.create(text=text, targets=[{"account_id": account} for account in accounts])
    started = studio.client.post(f"/v1/posts/{post['id']}/publish", headers=studio.headers)
    assert started.status_code == 202, started.text
    done = studio.wait_for(post["id"], "published", "partially_failed", "failed")
    assert done["status"] == "published", done
    post_id: str = post["id"]
    return post_id
