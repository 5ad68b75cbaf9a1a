"""Genuine API Gateway REST API (payload 1.0) Lambda proxy events, as API Gateway sends them.

Shape per "Input format of a Lambda function for proxy integration":
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
"""

import json
from typing import Any

from infra.local.runtime import LambdaContext

API_ID = "a1b2c3d4e5"
STAGE = "prod"


def rest_proxy_event(
    method: str,
    path: str,
    *,
    resource: str,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    body: Any = None,
    request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
) -> dict[str, Any]:
    all_headers = {
        "Accept": "application/json",
        "Host": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "Mozilla/5.0 (Herald dashboard)",
        "X-Amzn-Trace-Id": "Root=1-5e66d96f-7491f09xmpl79d18acf3d050",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    encoded_body = None if body is None else json.dumps(body)
    if encoded_body is not None:
        all_headers["Content-Type"] = "application/json"
    prefix = resource.removesuffix("/{proxy+}")
    proxy = path.removeprefix(prefix).lstrip("/")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": proxy} if resource.endswith("{proxy+}") else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "domainName": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": API_ID,
            "extendedRequestId": "BQGojGkRPHcFjJQ=",
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": "203.0.113.7",
                "user": None,
                "userAgent": "Mozilla/5.0 (Herald dashboard)",
                "userArn": None,
            },
            "path": f"/{STAGE}{path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": "21/Nov/2026:10:15:30 +0000",
            "requestTimeEpoch": 1795256130000,
            "resourceId": "3k4l5m",
            "resourcePath": resource,
            "stage": STAGE,
        },
        "body": encoded_body,
        "isBase64Encoded": False,
    }


def lambda_context(function_name: str) -> LambdaContext:
    """The context the Python runtime would pass a 512 MB, 29 s API function."""
    return LambdaContext(
        function_name=function_name,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}",
        memory_limit_in_mb=512,
        timeout_seconds=29,
    )
