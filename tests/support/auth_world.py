"""A moto-backed identity world: the application table, the token signing key, the outbox.

`Herald` drives the auth app over HTTP (FastAPI's TestClient, so every request goes through
routing, validation, dependencies and problem handlers) and reads the emails it sends. The auth,
publish and media tests all start from it.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws
from ulid import ULID

from functions.publish.adapters.items import SocialAccountItem
from functions.shared import aws
from functions.shared.auth import signing_public_jwk
from functions.shared.settings import get_settings
from infra.local.moto_quirks import serialize_dynamodb_requests
from tests.support.event_bus import enable_stream

PASSWORD = "violet-harbour-kettle-42"


def add_thread_index() -> None:
    """The table's other index, which the account model does not declare (infra/foundation.py)."""
    boto3.client("dynamodb", region_name=get_settings().region).update_table(
        TableName=get_settings().table_name,
        AttributeDefinitions=[{"AttributeName": "thread_key", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-thread",
                    "KeySchema": [
                        {"AttributeName": "thread_key", "KeyType": "HASH"},
                        {"AttributeName": "SK", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )


@pytest.fixture
def cloud() -> Iterator[None]:
    """A fresh moto account per test: app table, ES256 signing key, data key, event bus."""
    # Workers write side by side (targets publish in parallel) with transactions, which moto
    # cannot take concurrently; local mode serializes its requests the same way.
    serialize_dynamodb_requests()
    with mock_aws():
        aws.reset_clients()
        signing_public_jwk.cache_clear()
        # The account model declares the table's index too, so it creates the table whole.
        SocialAccountItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        add_thread_index()
        enable_stream()  # domain events reach the bus through it (tests/support/event_bus.py)
        kms = boto3.client("kms", region_name=get_settings().region)
        key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
            "KeyId"
        ]
        kms.create_alias(AliasName=get_settings().jwt_signing_key_id, TargetKeyId=key_id)
        data_key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=get_settings().kms_key_id, TargetKeyId=data_key_id)
        boto3.client("events", region_name=get_settings().region).create_event_bus(
            Name=get_settings().event_bus_name
        )
        yield
        aws.reset_clients()
        signing_public_jwk.cache_clear()


def outbox() -> Path:
    return Path(get_settings().mail_outbox_dir)


def emails_to(address: str) -> list[Message]:
    """Every email sent to `address`, oldest first (outbox names start with a ULID)."""
    messages = (message_from_bytes(path.read_bytes()) for path in sorted(outbox().glob("*.eml")))
    return [message for message in messages if message["To"] == address]


def link_token(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(r"\?token=([A-Za-z0-9_\-]+)", body.decode())
    assert match, "the email carries no link with a token"
    return match.group(1)


def unique_email(name: str = "user") -> str:
    return f"{name}.{str(ULID()).lower()}@example.com"


@dataclass
class Account:
    email: str
    user_id: str
    access_token: str
    refresh_token: str
    headers: dict[str, str] = field(default_factory=dict)


class Herald:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def register(self, email: str, name: str = "Ada Lovelace", password: str = PASSWORD) -> None:
        response = self.client.post(
            "/v1/auth/register", json={"email": email, "password": password, "name": name}
        )
        assert response.status_code == 202, response.text

    def verify(self, email: str) -> None:
        token = link_token(
            [m for m in emails_to(email) if m["X-Herald-Purpose"] == "verify_email"][-1]
        )
        response = self.client.post("/v1/auth/email/verify", json={"token": token})
        assert response.status_code == 204, response.text

    def login(self, email: str, password: str = PASSWORD) -> Account:
        response = self.client.post("/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        body = response.json()
        return Account(
            email=email,
            user_id=body["user"]["id"],
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )

    def sign_up(self, name: str = "user") -> Account:
        email = unique_email(name)
        self.register(email, name=name.title())
        self.verify(email)
        return self.login(email)

    def create_workspace(self, owner: Account, name: str = "Acme Coffee") -> dict[str, Any]:
        response = self.client.post("/v1/workspaces", json={"name": name}, headers=owner.headers)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def request_api_key(
        self, owner: Account, workspace_id: str, scopes: list[str], **fields: Any
    ) -> httpx.Response:
        """Asks for a new API key named Zapier with `scopes` and any other `fields`: the answer."""
        response: httpx.Response = self.client.post(
            f"/v1/workspaces/{workspace_id}/api-keys",
            json={"name": "Zapier", "scopes": scopes, **fields},
            headers=owner.headers,
        )
        return response

    def created_api_key(
        self, owner: Account, workspace_id: str, scopes: list[str], **fields: Any
    ) -> dict[str, Any]:
        """A new API key of the workspace: the creation's answer (its id, the secret `key`)."""
        response = self.request_api_key(owner, workspace_id, scopes, **fields)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def create_api_key(self, owner: Account, workspace_id: str, scopes: list[str]) -> str:
        """A new API key of the workspace with `scopes`: its secret."""
        return str(self.created_api_key(owner, workspace_id, scopes)["key"])

    def add_member(self, owner: Account, workspace_id: str, member: Account, role: str) -> None:
        response = self.client.post(
            f"/v1/workspaces/{workspace_id}/invites",
            json={"email": member.email, "role": role},
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text
        token = link_token(
            [m for m in emails_to(member.email) if m["X-Herald-Purpose"] == "invite"][-1]
        )
        accepted = self.client.post(f"/v1/invites/{token}/accept", headers=member.headers)
        assert accepted.status_code == 200, accepted.text


@pytest.fixture
def quick_uniform_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop the floor on enumeration-safe answers so that sign-ups stay quick in tests.

    Tests of that floor set it back (see tests/auth/test_enumeration.py).
    """
    from functions.auth.domain import accounts

    monkeypatch.setattr(accounts, "UNIFORM_ANSWER_SECONDS", 0.0)


@pytest.fixture
def herald(cloud: None, quick_uniform_answers: None) -> Iterator[Herald]:
    from functions.auth.app import app

    with TestClient(app, client=(str(ULID()), 50000)) as client:
        yield Herald(client)
