"""The analytics app beside the publish world: its metrics reports invoke the publish group's
metrics collector, which runs in-process here."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from functions.shared.settings import get_settings
from infra.local import lambda_dispatch
from infra.local.runtime import InProcessLambdas, LocalFunction
from tests.publish.studio import WORKER_NAME, Studio


@pytest.fixture
def analytics(studio: Studio) -> Iterator[TestClient]:
    """The analytics app, with the publish worker and the metrics collector invocable."""
    from functions.analytics.app import app

    settings = get_settings()
    lambda_dispatch.install(
        InProcessLambdas(
            [
                LocalFunction(
                    name=WORKER_NAME,
                    arn=settings.publish_worker_arn,
                    handler="functions.publish.workers.publisher.handler",
                    timeout_seconds=900,
                ),
                LocalFunction(
                    name="herald-local-metrics-collector",
                    arn=settings.metrics_collector_arn,
                    handler="functions.publish.workers.metrics.handler",
                    timeout_seconds=60,
                ),
            ]
        )
    )
    with TestClient(app) as client:
        yield client
