"""Every function group's Lambda handler, invoked as API Gateway's REST proxy integration would.

Output contract: "Output format of a Lambda function for proxy integration",
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
"""

import importlib
import json

import pytest

from functions.shared.groups import GROUPS, FunctionGroup
from functions.shared.observability import logger
from tests.support.events import lambda_context, rest_proxy_event


def _invoke(group: FunctionGroup, method: str, path: str, request_id: str) -> dict[str, object]:
    handler = importlib.import_module(group.module).handler
    event = rest_proxy_event(
        method, path, resource=f"{group.prefixes[0]}/{{proxy+}}", request_id=request_id
    )
    response: dict[str, object] = handler(event, lambda_context(f"herald-{group.name}"))
    return response


@pytest.mark.parametrize("group", GROUPS, ids=lambda group: group.name)
def test_health_answers_through_the_lambda_proxy_contract(group: FunctionGroup) -> None:
    response = _invoke(group, "GET", group.health_path, request_id=f"req-{group.name}")

    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is False
    assert isinstance(response["headers"], dict)
    assert response["headers"]["content-type"] == "application/json"
    assert isinstance(response["body"], str)
    assert json.loads(response["body"]) == {
        "function": f"herald-{group.name}",
        "group": group.name,
        "version": "0.1.0-dev",
        "stage": "test",
    }
    assert logger.get_correlation_id() == f"req-{group.name}"


@pytest.mark.parametrize("group", GROUPS, ids=lambda group: group.name)
def test_unknown_route_is_a_problem_document(group: FunctionGroup) -> None:
    # Deep enough that no route with a path parameter (such as /v1/media/{asset_id}) matches.
    path = f"{group.prefixes[0]}/no/such/thing"
    response = _invoke(group, "GET", path, request_id="req-404")

    assert response["statusCode"] == 404
    assert isinstance(response["headers"], dict)
    assert response["headers"]["content-type"] == "application/problem+json"
    assert isinstance(response["body"], str)
    assert json.loads(response["body"]) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"No route matches {path}.",
    }
