"""Inbound platform webhooks: the inbound queue with its dead-letter queue, and the processor
that queue invokes (docs/inbox.md).

The webhooks API verifies each platform request and queues its events (the API's only right on
the queue is to send); the publish worker's poller queues what it finds too
(`PublishWorker.send_to_inbound_queue`). The processor reads the account and post links, writes
inbox items, their guards and their events (one transaction), and internal notices for the
publish group. Alarms: a message in the dead-letter queue (an event that failed every receive),
and the queue's oldest message older than five minutes (the processor falls behind: the inbox
is no longer "within seconds").
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from constructs import Construct

from functions.shared.inbound import MAX_RECEIVES
from infra.foundation import Foundation, alarm, consume_queue, consumed_queue
from infra.function_group import TABLE_READ_WRITE, FunctionGroupConstruct
from infra.herald_function import HeraldFunction

PROCESSOR_TIMEOUT = Duration.seconds(60)
BEHIND_AFTER = Duration.minutes(5)


class InboundWebhooks(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        webhooks: FunctionGroupConstruct,
        code_path: Path,
        foundation: Foundation,
    ) -> None:
        super().__init__(scope, construct_id)
        self.queue, self.dead_letters = consumed_queue(
            self, "Events", consumer_timeout=PROCESSOR_TIMEOUT, max_receives=MAX_RECEIVES
        )
        wiring = {"HERALD_INBOUND_QUEUE_URL": self.queue.queue_url}
        for variable, value in wiring.items():
            webhooks.function.add_environment(variable, value)
        webhooks.allow(("sqs:SendMessage",), self.queue.queue_arn)

        self.processor = HeraldFunction(
            self,
            "Processor",
            title="Herald inbound processor",
            description="Herald webhooks: platform events into inbox items and notices",
            handler="functions.webhooks.workers.inbound_processor.handler",
            code_path=code_path,
            foundation=foundation,
            service_name="herald-inbound-processor",
            environment={**webhooks.environment, **wiring},
            memory_mb=512,
            timeout=PROCESSOR_TIMEOUT,
            async_dead_letters=False,  # SQS invokes it synchronously; its DLQ is the queue's
        )
        # Links, workspaces, inbox items and guards, and the outbox; nothing else.
        self.processor.allow(TABLE_READ_WRITE, foundation.app_table.table_arn)
        consume_queue(
            self,
            self.processor.function,
            self.queue,
            self.dead_letters,
            topic=foundation.alarm_topic,
            dead_letters_description="Herald: inbound platform events failed every receive "
            "(dead letters)",
        )
        alarm(
            self,
            "BehindAlarm",
            self.queue.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            topic=foundation.alarm_topic,
            description="Herald: inbound platform events wait over five minutes to be processed",
            threshold=BEHIND_AFTER.to_seconds(),
        )
