"""Outbound webhook delivery: the fan-out function behind an EventBridge rule on Herald's bus,
the delivery queue with its dead-letter queue, and the delivery function that queue invokes.

Each function has its own role: the fan-out reads endpoints and writes the event log and
deliveries, and sends to the queue; the deliverer reads and writes deliveries and endpoints,
decrypts signing secrets with the data key, and sends to the queue (the next attempt of a
delivery is a delayed message). The webhooks API sends to the queue too (tests, retries,
replays). Alarms: a message in the dead-letter queue, and more than a quarter of the delivery
attempts of 15 minutes failing.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from functions.webhooks.domain.deliveries import ATTEMPTS_METRIC, FAILED_ATTEMPTS_METRIC
from infra.config import HeraldConfig
from infra.foundation import Foundation, consume_queue, consumed_queue
from infra.function_group import (
    TABLE_READ_WRITE,
    FunctionGroupConstruct,
)
from infra.herald_function import HeraldFunction

DELIVERY_TIMEOUT = Duration.seconds(30)  # one 10 s attempt per message, all side by side
FAILURE_RATE_THRESHOLD = 0.25


class WebhookDelivery(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        webhooks: FunctionGroupConstruct,
        code_path: Path,
        foundation: Foundation,
        config: HeraldConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        self.queue, self.dead_letters = consumed_queue(
            self, "Deliveries", consumer_timeout=DELIVERY_TIMEOUT, max_receives=5
        )
        wiring = {"HERALD_WEBHOOK_DELIVERY_QUEUE_URL": self.queue.queue_url}
        for variable, value in wiring.items():
            webhooks.function.add_environment(variable, value)
        webhooks.allow(("sqs:SendMessage",), self.queue.queue_arn)
        environment = {**webhooks.environment, **wiring}
        table = foundation.app_table.table_arn

        self.fanout = HeraldFunction(
            self,
            "Fanout",
            title="Herald webhook fan-out",
            description="Herald webhooks: log each domain event and queue its deliveries",
            handler="functions.webhooks.workers.fanout.handler",
            code_path=code_path,
            foundation=foundation,
            service_name="herald-webhook-fanout",
            environment=environment,
            memory_mb=512,
            timeout=Duration.seconds(30),
        )
        self.fanout.allow(TABLE_READ_WRITE, table)
        self.fanout.allow(("sqs:SendMessage",), self.queue.queue_arn)
        self.rule = events.Rule(
            self,
            "EveryDomainEvent",
            description="Herald: every domain event to the outbound webhook fan-out",
            event_bus=foundation.event_bus,
            event_pattern=events.EventPattern(source=events.Match.prefix("herald.")),
        )
        self.rule.add_target(
            targets.LambdaFunction(
                self.fanout.function,
                retry_attempts=185,  # EventBridge's most: retries for 24 hours
                max_event_age=Duration.hours(24),
                dead_letter_queue=foundation.async_dlq,
            )
        )

        self.deliverer = HeraldFunction(
            self,
            "Deliverer",
            title="Herald webhook deliverer",
            description="Herald webhooks: POST one signed delivery per queued message",
            handler="functions.webhooks.workers.deliverer.handler",
            code_path=code_path,
            foundation=foundation,
            service_name="herald-webhook-deliverer",
            environment=environment,
            memory_mb=512,
            timeout=DELIVERY_TIMEOUT,
            async_dead_letters=False,  # SQS invokes it synchronously; its DLQ is the queue's
        )
        self.deliverer.allow(TABLE_READ_WRITE, table)
        self.deliverer.allow(("kms:Decrypt",), foundation.data_key.key_arn)
        self.deliverer.allow(("sqs:SendMessage",), self.queue.queue_arn)
        consume_queue(
            self,
            self.deliverer.function,
            self.queue,
            self.dead_letters,
            topic=foundation.alarm_topic,
            dead_letters_description="Herald: webhook delivery messages failed every receive "
            "(dead letters)",
        )
        attempts = cloudwatch.Metric(
            namespace="Herald",
            metric_name=ATTEMPTS_METRIC,
            dimensions_map={"service": "herald-webhook-deliverer"},
            statistic="Sum",
            period=Duration.minutes(15),
        )
        failed = cloudwatch.Metric(
            namespace="Herald",
            metric_name=FAILED_ATTEMPTS_METRIC,
            dimensions_map={"service": "herald-webhook-deliverer"},
            statistic="Sum",
            period=Duration.minutes(15),
        )
        self.failure_rate = cloudwatch.Alarm(
            self,
            "FailureRateAlarm",
            metric=cloudwatch.MathExpression(
                expression="IF(attempts > 0, failed / attempts, 0)",
                using_metrics={"attempts": attempts, "failed": failed},
                period=Duration.minutes(15),
            ),
            threshold=FAILURE_RATE_THRESHOLD,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="Herald: over a quarter of webhook delivery attempts failed",
        )
        self.failure_rate.add_alarm_action(cloudwatch_actions.SnsAction(foundation.alarm_topic))
