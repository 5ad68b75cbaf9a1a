"""Scheduled EventBridge rules are not emulated locally (docs/local-mode.md); the ones `make dev`
needs to show its results run here instead, on a background loop: the metrics collector, so that
a published sandbox post's metrics come in on their schedule."""

from collections.abc import Iterable
from functools import partial

from infra.local.background import BackgroundLoop
from infra.local.runtime import InProcessLambdas, LocalFunction

METRICS_COLLECTOR_HANDLER = "functions.publish.workers.metrics.handler"
# More often than the 15 minutes of AWS: a run finds by key what is due, so idle runs cost little.
METRICS_EVERY_SECONDS = 60.0


def start_periodic_tasks(
    lambdas: InProcessLambdas, functions: Iterable[LocalFunction]
) -> list[BackgroundLoop]:
    loops = [
        BackgroundLoop(
            "local-metrics-collector",
            partial(lambdas.invoke, function.arn, {"herald": "collect-metrics"}),
            METRICS_EVERY_SECONDS,
        )
        for function in functions
        if function.handler == METRICS_COLLECTOR_HANDLER
    ]
    for loop in loops:
        loop.start()
    return loops
