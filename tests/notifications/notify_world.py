"""A workspace with one member of each role, the webhooks app, and the notifier's entry point
fed with events shaped as EventBridge delivers them.

EventBridge event structure: https://docs.aws.amazon.com/eventbridge/latest/ref/overview-event-structure.html
(`detail` is Herald's event envelope, issue 13's event contract).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ulid import ULID

from tests.support.auth_world import Account, Herald, emails_to


@dataclass
class Member:
    account: Account
    headers: dict[str, str]  # token and workspace

    @property
    def user_id(self) -> str:
        return self.account.user_id


@dataclass
class NotifyWorld:
    herald: Herald
    api: TestClient
    workspace_id: str
    owner: Member
    admin: Member
    editor: Member
    viewer: Member

    def event(
        self,
        event_type: str,
        data: dict[str, Any] | None = None,
        *,
        event_id: str | None = None,
        workspace_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> dict[str, Any]:
        """An EventBridge event whose detail is the envelope of the event contract."""
        moment = occurred_at or datetime.now(UTC)
        workspace = workspace_id or self.workspace_id
        return {
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": event_type,
            "source": f"herald.{event_type.split('.')[0]}",
            "account": "123456789012",
            "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": [],
            "detail": {
                "id": event_id or f"evt_{ULID()}",
                "type": event_type,
                "version": 1,
                "workspace_id": workspace,
                "occurred_at": moment.isoformat().replace("+00:00", "Z"),
                "data": {"workspace_id": workspace, **(data or {})},
            },
        }

    def notify(self, event: dict[str, Any]) -> dict[str, Any]:
        from functions.webhooks.workers.notifier import handler
        from tests.support.events import lambda_context

        result: dict[str, Any] = handler(event, lambda_context("herald-notifier"))
        return result

    def notifications(self, member: Member, **query: Any) -> list[dict[str, Any]]:
        response = self.api.get("/v1/notifications", headers=member.headers, params=query)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def unread(self, member: Member) -> int:
        response = self.api.get("/v1/notifications/unread-count", headers=member.headers)
        assert response.status_code == 200, response.text
        count: int = response.json()["unread"]
        return count

    def members(self) -> list[Member]:
        return [self.owner, self.admin, self.editor, self.viewer]


def mails(member: Member, purpose: str = "notification") -> list[EmailMessage]:
    messages = []
    for message in emails_to(member.account.email):
        if message["X-Herald-Purpose"] == purpose:
            parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            messages.append(parsed)
    return messages


def make_world(herald: Herald) -> NotifyWorld:
    from functions.webhooks.app import app

    owner = herald.sign_up("owner")
    workspace_id = herald.create_workspace(owner)["id"]
    members = {"owner": owner}
    for role in ("admin", "editor", "viewer"):
        members[role] = herald.sign_up(role)
        herald.add_member(owner, workspace_id, members[role], role)
    api = TestClient(app, client=(str(ULID()), 50000))
    as_member = {
        role: Member(account, {**account.headers, "X-Workspace-Id": workspace_id})
        for role, account in members.items()
    }
    return NotifyWorld(herald=herald, api=api, workspace_id=workspace_id, **as_member)


@pytest.fixture
def notify_world(herald: Herald) -> NotifyWorld:
    return make_world(herald)
