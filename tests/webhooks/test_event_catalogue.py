"""The event catalogue: every event type of the contract, listed by `GET
/v1/webhooks/event-types` and as OpenAPI 3.1 `webhooks`, each with an example its schema accepts.

Webhook bodies and headers follow Standard Webhooks (https://www.standardwebhooks.com/, the spec
at https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
`{"type", "timestamp", "data"}` and the `webhook-id`, `webhook-timestamp`, `webhook-signature`
headers.
"""

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from functions.shared.event_catalogue import CATALOGUE, EVENT_TYPES, validated_data
from infra.local.openapi import merged_openapi
from tests.support.auth_world import Herald

# The event contract of issue 13 (section 2), plus the endpoints API's test event and the
# announcement of an endpoint Herald disabled (section 3).
CONTRACT = {
    "post.scheduled",
    "post.published",
    "post.partially_failed",
    "post.failed",
    "post.approval_requested",
    "post.approved",
    "post.rejected",
    "account.connected",
    "account.needs_reconnect",
    "account.disconnected",
    "media.asset.ready",
    "media.job.succeeded",
    "media.job.failed",
    "member.joined",
    "member.removed",
    "workspace.deleted",
    "webhook.endpoint_disabled",
    "webhook.test",
    # The engagement inbox (issue 14).
    "comment.received",
    "mention.received",
}
STANDARD_HEADERS = {"webhook-id", "webhook-timestamp", "webhook-signature"}


@cache
def document() -> dict[str, Any]:
    return merged_openapi()


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_the_catalogue_is_the_contract_with_one_version_and_an_emitter_each() -> None:
    assert [event.name for event in CATALOGUE] == list(EVENT_TYPES)
    assert set(EVENT_TYPES) == CONTRACT
    for event in CATALOGUE:
        assert event.version == 1
        assert event.emitted_by in {"auth", "publish", "media", "webhooks"}
        assert event.description
        assert event.recipients


@pytest.mark.parametrize("event", CATALOGUE, ids=lambda event: event.name)
def test_each_example_is_the_data_its_model_emits(event: Any) -> None:
    # An emitter sends `model(...).data()`: the example must round-trip through it unchanged.
    assert validated_data(event.name, event.example).data() == event.example


def webhook_operations() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, item in document()["webhooks"].items():
        yield name, item["post"]


def test_every_event_type_is_a_webhook_of_the_merged_document() -> None:
    assert set(document()["webhooks"]) == CONTRACT
    for name, operation in webhook_operations():
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == STANDARD_HEADERS, name
        assert all(p["required"] for p in operation["parameters"])
        first, *rest = [*re.split(r"[._]", name), "webhook"]
        assert operation["operationId"] == first + "".join(word.capitalize() for word in rest)


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_each_webhook_example_is_a_standard_webhooks_body_its_schema_accepts(name: str) -> None:
    media = document()["webhooks"][name]["post"]["requestBody"]["content"]["application/json"]
    schema = {**media["schema"], "components": document()["components"]}
    examples = [example["value"] for example in media["examples"].values()]
    assert examples
    for example in examples:
        assert set(example) == {"type", "timestamp", "data"}
        assert example["type"] == name
        assert example["data"]["workspace_id"]
        assert [error.message for error in validator(schema).iter_errors(example)] == []
    # The schema is not a formality: another type's body, or a body without data, is refused.
    assert not validator(schema).is_valid({**examples[0], "type": "post.unknown"})
    assert not validator(schema).is_valid({"type": name, "timestamp": examples[0]["timestamp"]})


@pytest.fixture
def webhooks_api(herald: Herald) -> Iterator[TestClient]:
    from functions.webhooks.app import app

    with TestClient(app) as client:
        yield client


def test_event_types_need_a_caller(webhooks_api: TestClient) -> None:
    response = webhooks_api.get("/v1/webhooks/event-types")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_any_signed_in_user_or_api_key_lists_every_event_type(
    herald: Herald, webhooks_api: TestClient
) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    key = herald.create_api_key(owner, workspace["id"], ["posts:read"])
    # Someone in no workspace at all may read it too: the catalogue is no workspace's data.
    loner = herald.sign_up("loner")

    answers = [
        webhooks_api.get("/v1/webhooks/event-types", headers=headers)
        for headers in (owner.headers, loner.headers, {"Authorization": f"Bearer {key}"})
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    items = answers[0].json()["items"]
    assert [item["type"] for item in items] == [event.name for event in CATALOGUE]
    for item in items:
        event = EVENT_TYPES[item["type"]]
        assert item["version"] == 1
        assert item["emitted_by"] == event.emitted_by
        assert item["example"]["type"] == item["type"]
        assert item["example"]["data"] == {
            **event.example,
            "workspace_id": item["example"]["data"]["workspace_id"],
        }
        errors = validator(item["data_schema"]).iter_errors(item["example"]["data"])
        assert [error.message for error in errors] == []
        assert "workspace_id" in item["data_schema"]["required"]
