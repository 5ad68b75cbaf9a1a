"""The inbox assistant: an EventBridge rule hands it each `comment.received` and
`mention.received` of Herald's bus, and it applies the workspace's inbox AI settings (label,
hide spam and abusive comments, draft a reply; `functions.webhooks.workers.inbox_assistant`).

It runs the webhooks group's code with the `openai` layer and the AI key (AiEndpoint.serve).
Its role may read and write the application table's items, query the conversation index (the
comment a reply answers) and invoke the engagement function (hiding, and replying when the
workspace allows drafts to go unreviewed); nothing else.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.ai_endpoint import AiEndpoint
from infra.foundation import THREAD_INDEX, Foundation
from infra.function_group import TABLE_READ_WRITE, FunctionGroupConstruct
from infra.herald_function import HeraldFunction

ARRIVALS = ["comment.received", "mention.received"]


class InboxAssistant(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        webhooks: FunctionGroupConstruct,
        code_path: Path,
        foundation: Foundation,
        ai_endpoint: AiEndpoint,
        engagement_function_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = HeraldFunction(
            self,
            "Function",
            title="Herald inbox assistant",
            description="Herald inbox assistant: labels, hides and drafts replies on arrival",
            handler="functions.webhooks.workers.inbox_assistant.handler",
            code_path=code_path,
            foundation=foundation,
            service_name="herald-inbox-assistant",
            environment={
                **webhooks.environment,
                "HERALD_ENGAGEMENT_FUNCTION_ARN": engagement_function_arn,
            },
            memory_mb=512,
            # Two labelling calls, two drafting calls (each bounded by the AI timeout) and one
            # platform call.
            timeout=Duration.minutes(2),
        )
        ai_endpoint.serve(self.function, code_path)
        table = foundation.app_table.table_arn
        self.function.allow(TABLE_READ_WRITE, table)
        self.function.allow(("dynamodb:Query",), f"{table}/index/{THREAD_INDEX}")
        self.function.allow(("lambda:InvokeFunction",), engagement_function_arn)

        self.rule = events.Rule(
            self,
            "ArrivalRule",
            description="Herald: new inbox items to the inbox assistant",
            event_bus=foundation.event_bus,
            event_pattern=events.EventPattern(source=["herald.webhooks"], detail_type=ARRIVALS),
        )
        self.rule.add_target(
            targets.LambdaFunction(
                self.function.function,
                # What it did is stored before the next step, and a hide or reply is claimed
                # once per item: a retry redoes only what did not happen.
                max_event_age=Duration.hours(1),
                retry_attempts=3,
                dead_letter_queue=foundation.async_dlq,
            )
        )
