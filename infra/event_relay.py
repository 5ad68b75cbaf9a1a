"""The outbox relay: the application table's stream -> Herald's event bus (docs/events.md).

A Lambda function (`functions.webhooks.workers.relay.handler`, the webhooks group's code) reads
the table's stream through an event source mapping that hands it new outbox items only
(`OUTBOX_INSERTS`). It reports the records it could not put on the bus, so Lambda retries from
the first of them; a batch that keeps failing is split in two (bisect) to isolate a bad record,
and a record still failing after `RETRY_ATTEMPTS` retries, or older than `MAX_RECORD_AGE`, is
described in the relay's dead-letter queue (its stream position, to read it again from the
stream within the stream's 24 hours) instead of blocking its shard.

Alarms: a message in the dead-letter queue (an event that did not reach the bus), and an
iterator age above `ITERATOR_AGE_ALARM` (events reaching the bus late: the bus refuses, or the
relay keeps failing).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from functions.shared.events import OUTBOX_INSERTS
from infra.config import HeraldConfig
from infra.foundation import Foundation, alarm, dead_letter_queue
from infra.herald_function import ALARM_PERIOD, HeraldFunction
from infra.nag import acknowledge, acknowledge_wildcard

HANDLER = "functions.webhooks.workers.relay.handler"
BATCH_SIZE = 100
RETRY_ATTEMPTS = 10
# The stream keeps records 24 hours: give up (to the dead-letter queue) well before they go.
MAX_RECORD_AGE = Duration.hours(6)
ITERATOR_AGE_ALARM = Duration.minutes(5)


class EventRelay(HeraldFunction):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_path: Path,
        foundation: Foundation,
        config: HeraldConfig,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            title="Herald event relay",
            description="Herald: puts the outbox items of the table's stream on the event bus",
            handler=HANDLER,
            code_path=code_path,
            foundation=foundation,
            service_name="herald-event-relay",
            environment={
                "HERALD_STAGE": config.stage,
                "HERALD_VERSION": config.version,
                "HERALD_EVENT_BUS_NAME": foundation.event_bus.event_bus_name,
                "POWERTOOLS_METRICS_NAMESPACE": "Herald",
                "POWERTOOLS_LOG_LEVEL": config.log_level,
            },
            memory_mb=256,
            # Stream records are given up to the mapping's on-failure destination below.
            timeout=Duration.seconds(30),
        )
        self.dead_letters = dead_letter_queue(self, "DeadLetters")
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is the on-failure destination of the relay's stream mapping, the end of "
            "the line for an event the bus kept refusing: a queue behind it would have no "
            "consumer, and an alarm fires as soon as it holds a message.",
        )
        self.function.add_event_source(
            sources.DynamoEventSource(
                foundation.app_table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=BATCH_SIZE,
                bisect_batch_on_error=True,
                retry_attempts=RETRY_ATTEMPTS,
                max_record_age=MAX_RECORD_AGE,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.dead_letters),
                filters=[lambda_.FilterCriteria.filter(OUTBOX_INSERTS)],
            )
        )
        # DescribeStream, GetShardIterator and GetRecords are on the stream's ARN (added by the
        # event source); ListStreams has no resource scope.
        acknowledge_wildcard(
            self.role,
            "*",
            "dynamodb:ListStreams supports no resource-level permissions; reading records is "
            "limited to the application table's stream.",
        )
        self.allow(("events:PutEvents",), foundation.event_bus.event_bus_arn)

        alarm(
            self,
            "DeadLettersAlarm",
            self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            topic=foundation.alarm_topic,
            description="An event did not reach the bus: its stream record is in the relay's "
            "dead-letter queue.",
        )
        alarm(
            self,
            "IteratorAgeAlarm",
            self.function.metric(
                "IteratorAge", period=ALARM_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ),
            topic=foundation.alarm_topic,
            description="Events reach the bus late: the relay is behind the table's stream.",
            threshold=ITERATOR_AGE_ALARM.to_milliseconds(),
        )
