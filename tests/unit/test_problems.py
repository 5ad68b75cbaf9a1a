"""Every error leaves Herald as RFC 9457 problem details (https://www.rfc-editor.org/rfc/rfc9457)."""

import logging

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from functions.shared.http.app import create_app
from functions.shared.observability import logger
from functions.shared.problems import Conflict, NotFound

router = APIRouter()


class NewThing(BaseModel):
    name: str = Field(min_length=3)
    count: int


@router.post("/v1/media/things")
async def create_thing(thing: NewThing) -> NewThing:
    return thing


@router.get("/v1/media/things/{thing_id}")
async def get_thing(thing_id: str) -> NewThing:
    if thing_id == "taken":
        raise Conflict("Thing taken was changed by someone else; reload it and retry.")
    raise NotFound(f"There is no thing {thing_id}.")


@router.get("/v1/media/explode")
async def explode() -> None:
    raise RuntimeError("database password is hunter2")


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app("media")
    app.include_router(router)
    return TestClient(app)


def test_validation_errors_list_every_field_with_a_json_pointer(client: TestClient) -> None:
    response = client.post("/v1/media/things", json={"name": "ab", "extra": 1})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:herald:problem:validation",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "2 fields are invalid.",
        "errors": [
            {
                "pointer": "/body/name",
                "detail": "String should have at least 3 characters",
                "code": "string_too_short",
            },
            {"pointer": "/body/count", "detail": "Field required", "code": "missing"},
        ],
    }


def test_malformed_json_is_a_validation_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/media/things", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["code"] == "json_invalid"


def test_domain_problems_keep_their_status_and_detail(client: TestClient) -> None:
    missing = client.get("/v1/media/things/abc")
    conflict = client.get("/v1/media/things/taken")

    assert missing.status_code == 404
    assert missing.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "There is no thing abc.",
    }
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == (
        "Thing taken was changed by someone else; reload it and retry."
    )


def test_method_not_allowed_names_the_allowed_methods(client: TestClient) -> None:
    response = client.delete("/v1/media/things")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "DELETE is not allowed on /v1/media/things."


def test_unhandled_error_is_a_bare_500_without_internals(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    powertools_logger = logging.getLogger(logger.name)
    powertools_logger.addHandler(caplog.handler)
    try:
        response = client.get("/v1/media/explode")
    finally:
        powertools_logger.removeHandler(caplog.handler)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred. It has been logged.",
    }
    assert "hunter2" not in response.text
    logged = [record for record in caplog.records if record.getMessage() == "Unhandled error"]
    assert logged
    assert all(record.exc_info and record.exc_info[0] is RuntimeError for record in logged)
