"""A tracking world for tests: a workspace with its owner, the analytics app over HTTP, and the
tracked events' bucket and Firehose stream in moto, configured as infra/analytics_tracking.py
configures them and delivering as Firehose does (infra/local/moto_quirks.py)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.auth_world import Account, Herald
from tests.support.event_store import create_event_store, open_event_store, stored_objects

# Re-exported for the tests and bench/analytics.py, which import them from here.
__all__ = ["create_event_store", "stored_objects"]

SITE = "https://shop.example"


def event(name: str = "page_view", **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "anonymous_id": "anon-1",
        "session_id": "session-1",
        **fields,
    }


@dataclass
class Tracking:
    herald: Herald
    client: TestClient
    owner: Account
    workspace_id: str
    headers: dict[str, str]

    def as_member(self, role: str) -> dict[str, str]:
        member = self.herald.sign_up(role)
        self.herald.add_member(self.owner, self.workspace_id, member, role)
        return member.headers | {"X-Workspace-Id": self.workspace_id}

    def create_key(
        self, kind: str = "write", headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": f"{kind} key", "kind": kind}
        if kind == "write":
            body["allowed_origins"] = [SITE]
        response = self.client.post(
            "/v1/analytics/keys", json=body, headers=headers or self.headers
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def send(self, write_key: str, events: list[dict[str, Any]], origin: str = SITE) -> Any:
        return self.client.post(
            "/v1/analytics/events",
            json={"events": events},
            headers={"X-Herald-Write-Key": write_key, "Origin": origin},
        )

    def traffic(self, first: str, last: str) -> dict[str, Any]:
        response = self.client.get(
            "/v1/analytics/traffic", params={"from": first, "to": last}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


@pytest.fixture
def tracking(cloud: None, herald: Herald) -> Iterator[Tracking]:
    from functions.analytics.app import app

    open_event_store()
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    with TestClient(app) as client:
        yield Tracking(
            herald=herald,
            client=client,
            owner=owner,
            workspace_id=workspace["id"],
            headers=owner.headers | {"X-Workspace-Id": workspace["id"]},
        )
