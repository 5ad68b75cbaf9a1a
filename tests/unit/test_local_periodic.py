"""The scheduled rules make dev needs run on a local loop (infra/local/periodic.py): the metrics
collector is invoked with its scheduled task, other functions are left alone."""

import threading
from typing import Any

import pytest

from infra.local import periodic
from infra.local.runtime import LocalFunction

COLLECTOR = LocalFunction(
    name="herald-local-metrics-collector",
    arn="arn:aws:lambda:us-east-1:123456789012:function:herald-local-metrics-collector",
    handler=periodic.METRICS_COLLECTOR_HANDLER,
)
OTHER = LocalFunction(name="other", arn="arn:other", handler="functions.other.handler")


class RecordingLambdas:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.called = threading.Event()

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        self.calls.append((name_or_arn, event))
        self.called.set()
        return {}


def test_the_metrics_collector_runs_its_scheduled_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(periodic, "METRICS_EVERY_SECONDS", 0.01)
    lambdas = RecordingLambdas()
    loops = periodic.start_periodic_tasks(lambdas, [OTHER, COLLECTOR])  # type: ignore[arg-type]
    try:
        assert lambdas.called.wait(5)
    finally:
        for loop in loops:
            loop.stop()
    assert len(loops) == 1
    assert lambdas.calls
    assert all(call == (COLLECTOR.arn, {"herald": "collect-metrics"}) for call in lambdas.calls)
