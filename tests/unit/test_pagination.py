"""Cursor pagination through a real route: bounded limits, cursors bound to their partition."""

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, Header
from fastapi.testclient import TestClient

from functions.shared.http.app import create_app
from functions.shared.http.dependencies import page_request
from functions.shared.pagination import (
    Page,
    PageRequest,
    decode_cursor,
    encode_cursor,
)
from functions.shared.problems import BadRequest

WORKSPACE = "01JD5W3X8F2Q9Y7K6T4M2N1P0R"
router = APIRouter()


@router.get("/v1/posts")
async def list_posts(
    workspace_id: Annotated[str, Header(alias="X-Workspace-Id")],
    page: Annotated[PageRequest, Depends(page_request)],
) -> Page[str]:
    start = decode_cursor(page.cursor, partition_attribute="PK", partition=workspace_id)
    offset = int(start["SK"]["S"]) if start else 0
    items = [f"{workspace_id}/post-{n}" for n in range(offset, min(offset + page.limit, 5))]
    last = {"PK": {"S": workspace_id}, "SK": {"S": str(offset + len(items))}}
    return Page(items=items, next_cursor=encode_cursor(last if offset + len(items) < 5 else None))


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app("publish")
    app.include_router(router)
    return TestClient(app)


HEADERS = {"X-Workspace-Id": WORKSPACE}


def test_pages_follow_the_cursor_to_the_end(client: TestClient) -> None:
    headers = HEADERS
    first = client.get("/v1/posts", params={"limit": 2}, headers=headers).json()
    second = client.get(
        "/v1/posts", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    third = client.get(
        "/v1/posts", params={"limit": 2, "cursor": second["next_cursor"]}, headers=headers
    ).json()

    assert first["items"] == [f"{WORKSPACE}/post-0", f"{WORKSPACE}/post-1"]
    assert second["items"] == [f"{WORKSPACE}/post-2", f"{WORKSPACE}/post-3"]
    assert third == {"items": [f"{WORKSPACE}/post-4"], "next_cursor": None}


def test_a_cursor_from_another_workspace_is_refused(client: TestClient) -> None:
    foreign = encode_cursor({"PK": {"S": "01JD5W3X8F2Q9Y7K6T4M2N1P0S"}, "SK": {"S": "2"}})

    response = client.get("/v1/posts", params={"cursor": foreign}, headers=HEADERS)

    assert response.status_code == 400
    assert response.json()["detail"] == "The cursor is not one this API issued."


@pytest.mark.parametrize(
    "cursor", ["!!!", "bm90IGpzb24", encode_cursor({"PK": {"S": WORKSPACE}, "SK": {"M": "x"}})]
)
def test_malformed_cursors_are_400(cursor: str | None) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(cursor, partition_attribute="PK", partition=WORKSPACE)


@pytest.mark.parametrize("limit", [0, 101, "many"])
def test_limit_is_bounded(client: TestClient, limit: object) -> None:
    response = client.get("/v1/posts", params={"limit": limit}, headers=HEADERS)

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/query/limit"
