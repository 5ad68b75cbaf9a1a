"""A webhooks world for tests: a workspace with its owner, the webhooks app over HTTP, the
delivery queue in moto, and receivers answered by respx.

Events reach the fan-out worker as the EventBridge rule delivers them (an EventBridge event whose
`detail` is the envelope); `pump` hands the queue's visible messages to the delivery worker in
one SQS batch, as the SQS event source does. DNS is answered here: every host of RECEIVERS
resolves to its public address, and the pinned request goes to that address.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from ulid import ULID

from functions.shared.settings import get_settings
from functions.webhooks.domain import deliveries
from tests.support.auth_world import Account, Herald
from tests.support.events import lambda_context

RECEIVERS = {
    "hooks.example.com": "93.184.216.34",
    "slow.example.com": "93.184.216.35",
    "other.example.com": "93.184.216.36",
}


async def fake_resolve(host: str, port: int) -> list[str]:
    return [RECEIVERS[host]] if host in RECEIVERS else []


def pinned(url: str) -> str:
    """The URL the pinned request goes to: the host replaced by its checked address."""
    for host, address in RECEIVERS.items():
        url = url.replace(f"//{host}/", f"//{address}/")
    return url


def envelope(workspace_id: str, event_type: str = "post.published", **data: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{ULID()}",
        "type": event_type,
        "version": 1,
        "workspace_id": workspace_id,
        "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "data": data or {"post_id": str(ULID())},
    }


def bus_event(detail: dict[str, Any], source: str = "herald.publish") -> dict[str, Any]:
    """What the EventBridge rule hands the fan-out function."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail["type"],
        "source": source,
        "account": "123456789012",
        "time": detail["occurred_at"],
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


@dataclass
class Hooks:
    herald: Herald
    client: TestClient
    owner: Account
    workspace_id: str
    headers: dict[str, str] = field(default_factory=dict)

    def as_member(self, role: str) -> dict[str, str]:
        member = self.herald.sign_up(role)
        self.herald.add_member(self.owner, self.workspace_id, member, role)
        return member.headers | {"X-Workspace-Id": self.workspace_id}

    def create_endpoint(
        self, url: str = "https://hooks.example.com/herald", **body: Any
    ) -> dict[str, Any]:
        response = self.client.post(
            "/v1/webhooks/endpoints", json={"url": url, **body}, headers=self.headers
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def endpoint(self, endpoint_id: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/webhooks/endpoints/{endpoint_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def deliveries(self, endpoint_id: str) -> list[dict[str, Any]]:
        response = self.client.get(
            f"/v1/webhooks/endpoints/{endpoint_id}/deliveries", headers=self.headers
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def publish(self, detail: dict[str, Any]) -> dict[str, Any]:
        from functions.webhooks.workers.fanout import handler

        result: dict[str, Any] = handler(bus_event(detail), lambda_context("herald-test-fanout"))
        return result

    def queued(self) -> list[dict[str, Any]]:
        """The queue's visible messages, received (and deleted) in one batch of at most 10."""
        sqs = boto3.client("sqs", region_name=get_settings().region)
        url = get_settings().webhook_delivery_queue_url
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        for message in received:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [dict(message) for message in received]

    def pump(self) -> dict[str, Any]:
        """One SQS batch of the visible messages to the delivery worker."""
        return self.deliver(self.queued())

    def deliver(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Received messages to the delivery worker, as one SQS batch."""
        from functions.webhooks.workers.deliverer import handler

        records = [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "eventSource": "aws:sqs",
            }
            for message in messages
        ]
        result: dict[str, Any] = handler(
            {"Records": records}, lambda_context("herald-test-deliverer")
        )
        return result | {"records": len(records)}


@pytest.fixture
def hooks(cloud: None, herald: Herald, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hooks]:
    from functions.webhooks.app import app

    settings = get_settings()
    queue = settings.webhook_delivery_queue_url.rsplit("/", 1)[-1]
    boto3.client("sqs", region_name=settings.region).create_queue(QueueName=queue)
    monkeypatch.setattr(deliveries, "resolver", lambda: fake_resolve)
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    with TestClient(app) as client:
        yield Hooks(
            herald=herald,
            client=client,
            owner=owner,
            workspace_id=workspace["id"],
            headers=owner.headers | {"X-Workspace-Id": workspace["id"]},
        )
