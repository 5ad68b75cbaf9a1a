"""Powertools logging and metrics, and the Lambda entry point every HTTP function group uses.

Tracer is left out on purpose: it imports the X-Ray SDK, which costs more cold-start time than a
health check is worth. Active tracing on the functions (set in CDK) still records each invocation.
"""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum
from starlette.types import ASGIApp

logger = Logger()
metrics = Metrics(namespace="Herald")

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def lambda_handler(app: ASGIApp) -> LambdaHandler:
    """Wrap an ASGI app for API Gateway REST proxy events.

    Each log line carries the API Gateway request id as its correlation id, and the cold-start
    metric is emitted once per execution environment.
    """
    asgi_handler = Mangum(app, lifespan="off")

    @logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
    )
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return asgi_handler(event, context)

    return handler
