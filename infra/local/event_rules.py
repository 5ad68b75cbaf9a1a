"""EventBridge rules whose targets are Herald's functions, delivered locally.

moto matches a rule's event pattern but delivers only to a few target types, not to Lambda. So
each such rule of the template is created in moto with an SQS queue as its target instead
(`provision.py`), and this loop hands what reaches each queue to the rule's in-process function,
on a thread of its own, as EventBridge invokes a Lambda target asynchronously. Rules that run on
a schedule (`rate()`, `cron()`) are not emulated.
"""

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from infra.local.background import BackgroundLoop
from infra.local.runtime import InProcessLambdas

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class RuleRoute:
    """Where moto leaves a rule's matched events, and the function the rule targets."""

    rule: str
    queue_url: str
    function_arn: str


class LocalEventRules:
    def __init__(self, sqs: Any, routes: list[RuleRoute], lambdas: InProcessLambdas) -> None:
        self._sqs = sqs
        self._routes = routes
        self._lambdas = lambdas
        self._loop = BackgroundLoop("local-event-rules", self.deliver, POLL_SECONDS)

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()

    def deliver(self) -> None:
        """Hand every event waiting in the rules' queues to its function."""
        for route in self._routes:
            received = self._sqs.receive_message(QueueUrl=route.queue_url, MaxNumberOfMessages=10)
            for message in received.get("Messages", []):
                self._sqs.delete_message(
                    QueueUrl=route.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
                event = json.loads(message["Body"])
                threading.Thread(target=self._invoke, args=(route, event), daemon=True).start()

    def _invoke(self, route: RuleRoute, event: dict[str, Any]) -> None:
        try:
            self._lambdas.invoke(route.function_arn, event)
        except Exception:
            logger.exception("The target of rule %s failed", route.rule)
