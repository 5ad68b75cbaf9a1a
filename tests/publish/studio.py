"""A publishing world for tests: a workspace with its owner, accounts, media, and the worker.

`Studio` drives the publish app over HTTP (TestClient) and fires schedules the way EventBridge
Scheduler would: it reads the schedule moto stored and invokes the worker's handler with the
schedule's own input, at the schedule's time (a minute before the post's), the worker's wait
for the post's time moving the test clock instead of sleeping. `worker_calls.start` (publish
now, retry) reaches the worker through infra/local's Lambda dispatcher, as in local mode.
"""

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import boto3
import pytest
import time_machine
from fastapi.testclient import TestClient
from ulid import ULID

from functions.publish.adapters import registry, token_vault
from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import TokenSet
from functions.publish.adapters.schedules import post_schedule_name
from functions.publish.domain.platforms import CREDENTIALS_ENTRY
from functions.shared.media_items import MediaAssetItem
from functions.shared.settings import get_settings
from functions.shared.storage import workspace_key
from infra.local import lambda_dispatch
from infra.local.runtime import InProcessLambdas, LocalFunction
from infra.local.scheduler import due_time
from tests.support.auth_world import Account, Herald
from tests.support.events import lambda_context

# Each OAuth platform's credentials, under the entry it signs in with (Google's for YouTube).
CREDENTIALS = {
    entry: {"client_id": f"{entry}-client", "client_secret": f"{entry}-secret"}
    for entry in {*CREDENTIALS_ENTRY, *CREDENTIALS_ENTRY.values()}
}
WORKER_NAME = "herald-local-publish-worker"


def run_worker(event: dict[str, Any]) -> dict[str, Any]:
    from functions.publish.workers.publisher import handler

    result: dict[str, Any] = handler(event, lambda_context(WORKER_NAME))
    return result


def run_worker_at(moment: datetime, event: dict[str, Any]) -> tuple[dict[str, Any], list[float]]:
    """The worker invoked at `moment` (the clock stands still there), and the seconds it slept:
    each sleep moves the clock on by as much."""
    from functions.publish.domain import publishing

    slept: list[float] = []
    with time_machine.travel(moment, tick=False) as clock:

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            clock.shift(seconds)

        with mock.patch.object(publishing, "sleep", sleep):
            return run_worker(event), slept


def armed_time(schedule: dict[str, Any]) -> datetime:
    """When a stored one-time schedule fires."""
    moment = due_time(schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"])
    assert moment is not None, schedule["ScheduleExpression"]
    return moment


@dataclass
class Studio:
    herald: Herald
    client: TestClient
    owner: Account
    workspace_id: str
    headers: dict[str, str] = field(default_factory=dict)

    def as_member(self, role: str) -> dict[str, str]:
        member = self.herald.sign_up(role)
        self.herald.add_member(self.owner, self.workspace_id, member, role)
        return member.headers | {"X-Workspace-Id": self.workspace_id}

    def sandbox(self, name: str = "Sandbox", fail_with: str | None = None) -> str:
        body: dict[str, Any] = {"platform": "sandbox", "name": name}
        if fail_with:
            body["fail_with"] = fail_with
        response = self.client.post("/v1/accounts", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        account_id: str = response.json()["id"]
        return account_id

    def connect(
        self,
        platform: str,
        platform_account_id: str,
        *,
        name: str = "Brand",
        handle: str | None = "brand",
        kind: str = "profile",
        access_token: str | None = None,
    ) -> str:
        """An account as an OAuth login leaves it: its token sealed in the table."""
        account_id = str(ULID())
        tokens = TokenSet(access_token=access_token or secrets.token_urlsafe(24))
        SocialAccountItem(
            *SocialAccountItem.keys(self.workspace_id, account_id),
            account_id=account_id,
            workspace_id=self.workspace_id,
            platform=platform,
            platform_account_id=platform_account_id,
            name=name,
            handle=handle,
            kind=kind,
            sealed_tokens=token_vault.seal(
                tokens, workspace_id=self.workspace_id, account_id=account_id
            ),
            connected_by=f"user:{self.owner.user_id}",
        ).save()
        return account_id

    def asset(
        self,
        kind: str = "image",
        content_type: str = "image/jpeg",
        *,
        data: bytes = b"\xff\xd8\xff\xe0 not really a jpeg",
        workspace_id: str | None = None,
        **probed: Any,
    ) -> str:
        """A library asset with probed metadata, its bytes in the media bucket."""
        workspace = workspace_id or self.workspace_id
        asset_id = str(ULID())
        object_key = workspace_key(workspace, "media", asset_id, "original")
        boto3.client("s3", region_name=get_settings().region).put_object(
            Bucket=get_settings().media_bucket, Key=object_key, Body=data
        )
        MediaAssetItem(
            *MediaAssetItem.keys(workspace, asset_id),
            asset_id=asset_id,
            workspace_id=workspace,
            kind=kind,
            name=f"{kind}.bin",
            content_type=content_type,
            size_bytes=len(data),
            object_key=object_key,
            created_by=f"user:{self.owner.user_id}",
            **probed,
        ).save()
        return asset_id

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.client.post("/v1/posts", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def post(self, post_id: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/posts/{post_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def schedule(self, post_id: str, at: str, **extra: Any) -> dict[str, Any]:
        response = self.client.post(
            f"/v1/posts/{post_id}/schedule", json={"at": at, **extra}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        scheduled: dict[str, Any] = response.json()
        return scheduled

    def stored_schedule(self, post_id: str) -> dict[str, Any]:
        found = boto3.client("scheduler", region_name=get_settings().region).get_schedule(
            Name=post_schedule_name(self.workspace_id, post_id),
            GroupName=get_settings().schedule_group,
        )
        return dict(found)

    def scheduler_input(self, name: str) -> dict[str, Any]:
        found = boto3.client("scheduler", region_name=get_settings().region).get_schedule(
            Name=name, GroupName=get_settings().schedule_group
        )
        payload: dict[str, Any] = json.loads(found["Target"]["Input"])
        return payload

    def fire(self, post_id: str) -> dict[str, Any]:
        """Deliver the post's schedule to the worker when it is due, as EventBridge Scheduler
        does (at once for a schedule already due)."""
        schedule = self.stored_schedule(post_id)
        moment = max(armed_time(schedule), datetime.now(UTC))
        result, _ = run_worker_at(moment, json.loads(schedule["Target"]["Input"]))
        return result

    def wait_for(self, post_id: str, *statuses: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            post = self.post(post_id)
            if post["status"] in statuses or time.monotonic() > deadline:
                return post
            time.sleep(0.05)


@pytest.fixture
def studio(cloud: None, herald: Herald, monkeypatch: pytest.MonkeyPatch) -> Iterator[Studio]:
    from functions.publish.app import app

    settings = get_settings()
    region = settings.region
    boto3.client("s3", region_name=region).create_bucket(Bucket=settings.media_bucket)
    boto3.client("scheduler", region_name=region).create_schedule_group(
        Name=settings.schedule_group
    )
    boto3.client("dynamodb", region_name=region).create_table(
        TableName=settings.idempotency_table_name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setattr(registry, "platform_credentials", lambda: CREDENTIALS)
    lambdas = InProcessLambdas(
        [
            LocalFunction(
                name=WORKER_NAME,
                arn=settings.publish_worker_arn,
                handler="functions.publish.workers.publisher.handler",
                timeout_seconds=900,
            )
        ]
    )
    lambda_dispatch.install(lambdas)
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    with TestClient(app) as client:
        yield Studio(
            herald=herald,
            client=client,
            owner=owner,
            workspace_id=workspace["id"],
            headers=owner.headers | {"X-Workspace-Id": workspace["id"]},
        )
    lambda_dispatch.uninstall()
