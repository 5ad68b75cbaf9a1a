"""An inbox world: the webhooks world's workspace with a sandbox account (added through the
publish API), inbox items written as the inbound processor writes them, and the publish group's
engagement function answering `lambda:Invoke` in-process, as local mode does."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ulid import ULID

from functions.shared.engagement import Engagement, EngagementAuthor
from functions.shared.settings import get_settings
from functions.shared.tables import transaction
from functions.webhooks.adapters.inbox_items import InboxItem, InboxKeyItem
from infra.local import lambda_dispatch
from infra.local.runtime import InProcessLambdas, LocalFunction
from tests.webhooks.hooks_world import Hooks


@dataclass
class Inbox:
    hooks: Hooks
    publish: TestClient
    account_id: str
    calls: list[dict[str, Any]]  # every event the engagement function received

    @property
    def client(self) -> TestClient:
        return self.hooks.client

    @property
    def headers(self) -> dict[str, str]:
        return self.hooks.headers

    def add_account(self, headers: dict[str, str], fail_with: str | None = None) -> str:
        body: dict[str, Any] = {"platform": "sandbox", "name": "Acme Coffee"}
        if fail_with:
            body["fail_with"] = fail_with
        response = self.publish.post("/v1/accounts", json=body, headers=headers)
        assert response.status_code == 201, response.text
        account_id: str = response.json()["id"]
        return account_id

    def arrive(
        self,
        *,
        workspace_id: str | None = None,
        account_id: str | None = None,
        text: str = "Is the oat flat white back?",
        kind: str = "comment",
        thread_id: str | None = None,
        parent_id: str | None = None,
        author: str = "maria",
        received_at: datetime | None = None,
        post_id: str | None = None,
    ) -> str:
        """An inbox item with its uniqueness guard, in one transaction, as the processor writes
        it; its id (a ULID of the time it was received)."""
        received = received_at or datetime.now(UTC)
        item_id = str(ULID.from_datetime(received))
        platform_item_id = f"sb_{ULID()}"
        engagement = Engagement(
            platform="sandbox",
            platform_account_id="sandbox",
            platform_item_id=platform_item_id,
            kind=kind,  # type: ignore[arg-type]
            text=text,
            author=EngagementAuthor(platform_user_id=f"u-{author}", name=author, handle=author),
            created_at=received,
            platform_post_id="sb_post_1",
            parent_id=parent_id,
            thread_id=thread_id,
            permalink=f"https://sandbox.herald.invalid/sandbox/comments/{platform_item_id}",
        )
        workspace = workspace_id or self.hooks.workspace_id
        item = InboxItem.of_engagement(
            workspace,
            account_id or self.account_id,
            engagement,
            item_id=item_id,
            received_at=received,
            post_id=post_id,
        )
        with transaction() as write:
            write.save(item)
            write.save(
                InboxKeyItem(
                    *InboxKeyItem.keys(workspace, "sandbox", platform_item_id), item_id=item_id
                )
            )
        return item_id

    def platform_account(self) -> str:
        """The sandbox account's id on the platform."""
        from functions.publish.adapters.items import SocialAccountItem

        account = SocialAccountItem.find(self.hooks.workspace_id, self.account_id)
        assert account is not None
        return account.platform_account_id

    def on_the_sandbox(self, item_id: str) -> str:
        """The sandbox holds the item's comment, as the platform would, so that it can be hidden
        or deleted there; its platform id."""
        from functions.publish.adapters.platforms import sandbox

        platform_id: str = self.item(item_id)["platform_item_id"]
        sandbox.remember_engagement(
            Engagement(
                platform="sandbox",
                platform_account_id=self.platform_account(),
                platform_item_id=platform_id,
                kind="comment",
                text="Is the oat flat white back?",
                author=EngagementAuthor(name="maria"),
            )
        )
        return platform_id

    def item(self, item_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.get(f"/v1/inbox/{item_id}", headers=headers or self.headers)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


class RecordingLambdas(InProcessLambdas):
    def __init__(self, functions: list[LocalFunction], calls: list[dict[str, Any]]) -> None:
        super().__init__(functions)
        self.calls = calls

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        self.calls.append(event)
        return super().invoke(name_or_arn, event)


@pytest.fixture
def inbox(hooks: Hooks) -> Iterator[Inbox]:
    from functions.publish.app import app as publish_app

    calls: list[dict[str, Any]] = []
    lambda_dispatch.install(
        RecordingLambdas(
            [
                LocalFunction(
                    name="herald-local-engagement",
                    arn=get_settings().engagement_function_arn,
                    handler="functions.publish.workers.engagement.handler",
                    timeout_seconds=25,
                )
            ],
            calls,
        )
    )
    try:
        with TestClient(publish_app) as publish:
            world = Inbox(hooks=hooks, publish=publish, account_id="", calls=calls)
            world.account_id = world.add_account(hooks.headers)
            yield world
    finally:
        lambda_dispatch.uninstall()
