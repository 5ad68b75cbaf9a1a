"""Fires due EventBridge Scheduler schedules, which moto stores but never runs.

Only one-time `at(...)` schedules (what Herald creates, one per scheduled post) are emulated;
`rate(...)` and `cron(...)` schedules are reported once and otherwise ignored. A schedule fires
at most once per expression: after that it is deleted if its ActionAfterCompletion is DELETE,
and left alone otherwise (updating it to a new time makes it fire again). A failed delivery is
not retried: it is logged and, when the target has a dead-letter queue, sent there, as the
real service does once its retries are exhausted.

The background loop does not wait for a delivery to finish, as Scheduler's asynchronous
invocation does not: a publish worker waiting up to a minute for its post's second (the post's
schedule fires that much early) holds up no other schedule.
"""

import contextlib
import json
import logging
import re
import threading
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from infra.local.background import BackgroundLoop
from infra.local.cloud import ClientFactory
from infra.local.runtime import InProcessLambdas

logger = logging.getLogger(__name__)

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def due_time(expression: str, timezone: str | None) -> datetime | None:
    """When an `at(...)` expression is due (aware datetime), or None for other expressions."""
    match = _AT.match(expression.strip())
    if match is None:
        return None
    local = datetime.fromisoformat(match.group(1))
    return local.replace(tzinfo=ZoneInfo(timezone or "UTC"))


class LocalScheduler:
    """Delivers due schedules to their targets: in-process Lambda functions, SQS or Step Functions.

    `tick()` does one pass and delivers before it returns, so tests can call it directly;
    `start()` runs a pass every `interval` seconds on a background thread until `stop()`, each
    delivery on a thread of its own.
    """

    def __init__(
        self, clients: ClientFactory, lambdas: InProcessLambdas, *, interval: float = 1.0
    ) -> None:
        self._clients = clients
        self._lambdas = lambdas
        self._fired: set[tuple[str, str, str, str]] = set()
        self._reported: set[str] = set()
        self._lock = threading.Lock()
        self._loop = BackgroundLoop(
            "local-scheduler", lambda: self.tick(in_background=True), interval
        )

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()

    def tick(self, now: datetime | None = None, *, in_background: bool = False) -> list[str]:
        """Fire each enabled schedule due at `now` (default: now); return the fired ARNs."""
        now = now or datetime.now(UTC)
        fired = []
        with self._lock:
            for summary in self._schedules():
                # moto leaves State empty after an update that omits it; AWS means ENABLED then.
                if summary.get("State") not in (None, "ENABLED"):
                    continue
                schedule = self._get(summary)
                if schedule is not None and self._fire_if_due(schedule, now, in_background):
                    fired.append(schedule["Arn"])
        return fired

    def _schedules(self) -> list[dict[str, Any]]:
        paginator = self._clients("scheduler").get_paginator("list_schedules")
        return [item for page in paginator.paginate() for item in page["Schedules"]]

    def _get(self, summary: dict[str, Any]) -> dict[str, Any] | None:
        scheduler = self._clients("scheduler")
        try:
            schedule: dict[str, Any] = scheduler.get_schedule(
                Name=summary["Name"], GroupName=summary["GroupName"]
            )
        except scheduler.exceptions.ResourceNotFoundException:
            return None  # deleted since it was listed
        return schedule

    def _fire_if_due(self, schedule: dict[str, Any], now: datetime, in_background: bool) -> bool:
        expression = schedule["ScheduleExpression"]
        timezone = schedule.get("ScheduleExpressionTimezone") or "UTC"
        key = (schedule["GroupName"], schedule["Name"], expression, timezone)
        due = due_time(expression, timezone)
        if due is None:
            if schedule["Arn"] not in self._reported:
                self._reported.add(schedule["Arn"])
                logger.warning(
                    "Schedule %s: %s is not emulated locally (only at(...) is); it will not fire",
                    schedule["Name"],
                    expression,
                )
            return False
        if key in self._fired or due > now:
            return False
        self._fired.add(key)
        if in_background:
            threading.Thread(
                target=self._deliver, args=(schedule,), name="scheduled-delivery", daemon=True
            ).start()
        else:
            self._deliver(schedule)
        if schedule.get("ActionAfterCompletion") == "DELETE":
            self._delete(schedule)
        return True

    def _deliver(self, schedule: dict[str, Any]) -> None:
        target = schedule["Target"]
        payload = target.get("Input") or "{}"
        try:
            self._send(target, payload)
            logger.info("Schedule %s fired into %s", schedule["Name"], target["Arn"])
        except Exception as error:
            logger.exception("Schedule %s: its target %s failed", schedule["Name"], target["Arn"])
            dead_letter_arn = target.get("DeadLetterConfig", {}).get("Arn")
            if dead_letter_arn:
                self._dead_letter(dead_letter_arn, schedule, payload, error)

    def _send(self, target: dict[str, Any], payload: str) -> None:
        arn: str = target["Arn"]
        service = arn.split(":")[2]
        if service == "lambda":
            self._lambdas.invoke(arn, json.loads(payload))
        elif service == "sqs":
            request = {"QueueUrl": self._queue_url(arn), "MessageBody": payload}
            group_id = target.get("SqsParameters", {}).get("MessageGroupId")
            if group_id:
                request["MessageGroupId"] = group_id
            self._clients("sqs").send_message(**request)
        elif service == "states":
            self._clients("stepfunctions").start_execution(stateMachineArn=arn, input=payload)
        else:
            raise ValueError(f"Target {arn} is not emulated locally")

    def _queue_url(self, queue_arn: str) -> str:
        *_, account, name = queue_arn.split(":")
        response = self._clients("sqs").get_queue_url(
            QueueName=name, QueueOwnerAWSAccountId=account
        )
        url: str = response["QueueUrl"]
        return url

    def _dead_letter(
        self, queue_arn: str, schedule: dict[str, Any], payload: str, error: Exception
    ) -> None:
        def text(value: str) -> dict[str, str]:
            return {"DataType": "String", "StringValue": value}

        self._clients("sqs").send_message(
            QueueUrl=self._queue_url(queue_arn),
            MessageBody=payload,
            MessageAttributes={
                "ERROR_CODE": text(type(error).__name__),
                "ERROR_MESSAGE": text(str(error) or type(error).__name__),
                "SCHEDULE_ARN": text(schedule["Arn"]),
                "TARGET_ARN": text(schedule["Target"]["Arn"]),
            },
        )

    def _delete(self, schedule: dict[str, Any]) -> None:
        scheduler = self._clients("scheduler")
        # Deleted meanwhile, e.g. by a cancellation racing the firing: the outcome is the same.
        with contextlib.suppress(scheduler.exceptions.ResourceNotFoundException):
            scheduler.delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])
