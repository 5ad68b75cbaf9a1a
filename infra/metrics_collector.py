"""The publish group's metrics collector (`functions.publish.workers.metrics.handler`): an
EventBridge rule runs it every 15 minutes to collect the platform metrics that are due, and the
analytics function invokes it synchronously to refresh one post's metrics now.

Its rights are those of every `TokenHoldingFunction`, and querying the table's `by-due` index
(what is due). Only the analytics function (and the rule) may invoke it.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.config import HeraldConfig
from infra.foundation import DUE_INDEX, Foundation
from infra.function_group import FunctionGroupConstruct
from infra.token_holding_function import TokenHoldingFunction

HANDLER = "functions.publish.workers.metrics.handler"
COLLECT_EVERY = Duration.minutes(15)


class MetricsCollector(TokenHoldingFunction):
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
        super().__init__(
            scope,
            construct_id,
            slug="metrics-collector",
            title="Herald metrics collector",
            description="Herald metrics collector: platform metrics of published posts",
            handler=HANDLER,
            # A run collects at most 1,000 targets, in batches per account; a refresh one post.
            timeout=Duration.minutes(5),
            publish=publish,
            caller=analytics,
            arn_setting="HERALD_METRICS_COLLECTOR_ARN",
            code_path=code_path,
            foundation=foundation,
            config=config,
        )
        # What is due: targets on the `by-due` index.
        table = foundation.app_table.table_arn
        self.allow(("dynamodb:Query",), f"{table}/index/{DUE_INDEX}")
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
