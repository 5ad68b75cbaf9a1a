"""The local gateway: routing by group prefix, the merged OpenAPI document, Swagger UI, 404s."""

import re
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from functions.shared.groups import GROUPS, FunctionGroup, group_named, owner
from infra.local.openapi import OpenAPIMergeError, merged_openapi
from infra.local.server import LocalGateway, create_gateway

ALPHA = FunctionGroup("alpha", ("/v1/alpha", "/v1/things"))
BETA = FunctionGroup("beta", ("/v1/beta",))
# Under BETA's prefix, as `/v1/media/generate` is under `/v1/media`.
GAMMA = FunctionGroup("gamma", ("/v1/beta/special",))


class Item(BaseModel):
    id: str


def group_app(group: FunctionGroup, *paths: str, model: type[BaseModel] = Item) -> FastAPI:
    app = FastAPI()
    for path in paths:
        app.add_api_route(
            path,
            _echo(group),
            methods=["GET"],
            response_model=model,
            operation_id=f"{group.name}_{path.replace('/', '_')}",
        )
    return app


def _echo(group: FunctionGroup) -> Any:
    async def echo(request: Request) -> dict[str, str]:
        return {"id": f"{group.name}:{request.url.path}"}

    return echo


@pytest.fixture
def client() -> TestClient:
    gateway = LocalGateway(
        {
            ALPHA: group_app(ALPHA, "/v1/alpha/items", "/v1/things"),
            BETA: group_app(BETA, "/v1/beta/items/{item_id}"),
        }
    )
    return TestClient(gateway)


def test_requests_reach_their_group_with_the_prefix_kept(client: TestClient) -> None:
    assert client.get("/v1/alpha/items").json() == {"id": "alpha:/v1/alpha/items"}
    assert client.get("/v1/things").json() == {"id": "alpha:/v1/things"}
    assert client.get("/v1/beta/items/7").json() == {"id": "beta:/v1/beta/items/7"}


def test_a_group_under_another_groups_prefix_takes_its_paths() -> None:
    gateway = LocalGateway(
        {
            BETA: group_app(BETA, "/v1/beta/items/{item_id}", "/v1/beta/specialty"),
            GAMMA: group_app(GAMMA, "/v1/beta/special/items"),
        }
    )
    client = TestClient(gateway)

    assert client.get("/v1/beta/special/items").json() == {"id": "gamma:/v1/beta/special/items"}
    assert client.get("/v1/beta/specialty").json() == {"id": "beta:/v1/beta/specialty"}
    assert client.get("/v1/beta/items/7").json() == {"id": "beta:/v1/beta/items/7"}


def test_a_path_under_a_more_specific_groups_prefix_fails_at_start_up() -> None:
    # API Gateway would give it to gamma, never to beta.
    with pytest.raises(OpenAPIMergeError, match="/v1/beta/special/x of beta is outside"):
        LocalGateway(
            {
                BETA: group_app(BETA, "/v1/beta/special/x"),
                GAMMA: group_app(GAMMA, "/v1/beta/special"),
            }
        )


def test_a_path_outside_every_prefix_is_a_problem_404(client: TestClient) -> None:
    # Shares the characters of a prefix, but not a path segment boundary.
    response = client.get("/v1/alphabet")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No route matches /v1/alphabet.",
    }


def test_the_merged_document_holds_every_group(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "Herald API"
    assert set(document["paths"]) == {"/v1/alpha/items", "/v1/things", "/v1/beta/items/{item_id}"}
    # Both groups use the same Item model: it is shared, once.
    assert "Item" in document["components"]["schemas"]


def test_docs_serve_swagger_ui_on_the_merged_document(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text
    assert "'/openapi.json'" in response.text


def test_docs_load_only_files_the_gateway_serves(client: TestClient) -> None:
    """/docs works offline: its script, style and icon come from the gateway itself (npm's
    swagger-ui-dist, installed by `make setup`), never from a CDN, and Swagger UI is told not to
    send the document to its online validator."""
    page = client.get("/docs").text
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page)

    assert sorted(loaded) == [
        "/docs/assets/favicon-32x32.png",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
    ]
    assert "http://" not in page
    assert "https://" not in page
    assert '"validatorUrl": null' in page
    types = {}
    for url in loaded:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content, url
        types[url.rsplit("/", 1)[1]] = response.headers["content-type"].split(";")[0]
    assert types == {
        "favicon-32x32.png": "image/png",
        "swagger-ui-bundle.js": "text/javascript",
        "swagger-ui.css": "text/css",
    }


@pytest.mark.parametrize(
    "path", ["/docs/assets/index.html", "/docs/assets/../package.json", "/docs/assets/"]
)
def test_docs_assets_serve_nothing_else(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_document_is_read_only(client: TestClient) -> None:
    response = client.post("/openapi.json")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_two_groups_claiming_one_path_fail_at_start_up() -> None:
    with pytest.raises(OpenAPIMergeError, match="/v1/alpha/items is served by both alpha and"):
        LocalGateway(
            {
                ALPHA: group_app(ALPHA, "/v1/alpha/items"),
                FunctionGroup("rogue", ("/v1/alpha",)): group_app(ALPHA, "/v1/alpha/items"),
            }
        )


def test_a_path_outside_its_groups_prefixes_fails_at_start_up() -> None:
    with pytest.raises(OpenAPIMergeError, match="/v1/beta/x of alpha is outside its prefixes"):
        LocalGateway({ALPHA: group_app(ALPHA, "/v1/beta/x")})


def test_two_different_models_with_one_name_fail_at_start_up() -> None:
    class Item(BaseModel):  # another model named like the module's Item
        id: int

    with pytest.raises(OpenAPIMergeError, match="components/schemas/Item differs"):
        LocalGateway(
            {
                ALPHA: group_app(ALPHA, "/v1/alpha/items"),
                BETA: group_app(BETA, "/v1/beta/items", model=Item),
            }
        )


def test_the_real_groups_answer_their_health_routes_through_the_gateway() -> None:
    client = TestClient(create_gateway())

    for group in GROUPS:
        response = client.get(group.health_path)
        assert response.status_code == 200, group.name
        assert response.json()["group"] == group.name


def test_the_real_document_lists_every_health_route() -> None:
    document = merged_openapi()

    assert document["openapi"].startswith("3.1.")
    assert {group.health_path for group in GROUPS} <= set(document["paths"])


def test_the_identity_group_owns_accounts_profiles_workspaces_and_invites() -> None:
    assert group_named("auth").prefixes == ("/v1/auth", "/v1/me", "/v1/workspaces", "/v1/invites")


@pytest.mark.parametrize(
    "path", ["/v1/auth/login", "/v1/me", "/v1/me/avatar", "/v1/workspaces/w1", "/v1/invites/i1"]
)
def test_identity_paths_reach_the_auth_group_and_no_other(path: str) -> None:
    assert owner(path) == group_named("auth")


@pytest.mark.parametrize(
    ("path", "group"),
    [
        ("/v1/media/generate/images", "generation"),
        ("/v1/media/generate", "generation"),
        ("/v1/media/generated", "media"),  # a prefix ends at a path segment
        ("/v1/media/01JD5W3X8F2Q9Y7K6T4M2N1P0S", "media"),
        ("/v1/media/jobs/j1", "media"),
    ],
)
def test_the_most_specific_prefix_wins_as_in_api_gateway(path: str, group: str) -> None:
    # In the REST API, `/v1/media/generate` and its `{proxy+}` are resources of their own, which
    # API Gateway matches before the greedy `/v1/media/{proxy+}` above them:
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html
    assert owner(path) == group_named(group)


def test_a_path_no_group_owns_has_no_owner() -> None:
    assert owner("/v1/mediabox") is None


def test_the_real_gateway_sends_generation_to_the_generation_group() -> None:
    client = TestClient(create_gateway())

    assert client.get("/v1/media/generate/health").json()["group"] == "generation"
    assert client.get("/v1/media/health").json()["group"] == "media"
    # Served by the generation app, which answers its own 404 for a path it does not know.
    assert client.get("/v1/media/generate/nothing").status_code == 404
