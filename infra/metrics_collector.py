"""The publish group's metrics collector (`functions.publish.workers.metrics.handler`): an
EventBridge rule runs it every 15 minutes to collect the platform metrics that are due, and the
analytics function invokes it synchronously to refresh one post's metrics now.

It runs the publish group's code because that group holds the accounts' sealed tokens; its role
may read and write the application table's items and query its `by-due` index (what is due),
open and seal tokens with the data key, and read the platform credentials: nothing of schedules,
media, queues or the event bus. Only the analytics function (and the rule) may invoke it.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.config import HeraldConfig
from infra.foundation import DUE_INDEX, Foundation
from infra.function_group import (
    ENVELOPE_ENCRYPTION,
    READ_SECRET,
    TABLE_READ_WRITE,
    FunctionGroupConstruct,
)
from infra.herald_function import HeraldFunction

HANDLER = "functions.publish.workers.metrics.handler"
COLLECT_EVERY = Duration.minutes(15)


class MetricsCollector(HeraldFunction):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        publish: FunctionGroupConstruct,
        analytics: FunctionGroupConstruct,
        code_path: Path,
        foundation: Foundation,
        config: HeraldConfig,
    ) -> None:
        name = f"herald-{config.stage}-metrics-collector"
        function_arn = Stack.of(scope).format_arn(
            service="lambda",
            resource="function",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        super().__init__(
            scope,
            construct_id,
            title="Herald metrics collector",
            description="Herald metrics collector: platform metrics of published posts",
            handler=HANDLER,
            code_path=code_path,
            foundation=foundation,
            service_name="herald-metrics-collector",
            environment=publish.environment,
            memory_mb=512,
            # A run collects at most 1,000 targets, in batches per account; a refresh one post.
            timeout=Duration.minutes(5),
            function_name=name,
        )
        self.function_arn = function_arn
        table = foundation.app_table.table_arn
        # Targets, snapshots, day rollups; renewed tokens and `account.needs_reconnect`.
        self.allow(TABLE_READ_WRITE, table)
        self.allow(("dynamodb:Query",), f"{table}/index/{DUE_INDEX}")
        # Opening the tokens, and sealing renewed ones.
        self.allow(ENVELOPE_ENCRYPTION, foundation.data_key.key_arn)
        self.allow(READ_SECRET, foundation.platform_credentials.secret_arn)
        self.schedule = events.Rule(
            self,
            "Schedule",
            description="Herald: collect the platform metrics of published posts that are due",
            schedule=events.Schedule.rate(COLLECT_EVERY),
        )
        self.schedule.add_target(
            targets.LambdaFunction(
                self.function,
                event=events.RuleTargetInput.from_object({"herald": "collect-metrics"}),
                # A run that cannot be delivered soon is superseded by the next one.
                max_event_age=COLLECT_EVERY,
                retry_attempts=3,
                dead_letter_queue=foundation.async_dlq,
            )
        )
        analytics.function.add_environment("HERALD_METRICS_COLLECTOR_ARN", function_arn)
        analytics.allow(("lambda:InvokeFunction",), function_arn)
