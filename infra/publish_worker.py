"""The publish worker: the function every post schedule, retry and sweep runs in.

It runs the publish group's code with a role of its own, allowed what the publish group is (it
does the same work: tables, sealed tokens, platform credentials, schedules, events) plus what
only the worker needs: reading media objects to upload them. It gets 15 minutes per invocation
for large videos. The publish API may invoke it (publishing now, retrying). Schedules target it
by a name fixed here, so it can schedule its own next steps without referring to itself.

Three EventBridge rules invoke it: the sweeper every 5 minutes (missed schedules, stuck targets),
the token refresher every 30 minutes, and the engagement poller every 5 minutes (comments and
mentions no webhook brings), which queues what it finds on the inbound queue
(`send_to_inbound_queue`).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import HeraldConfig
from infra.foundation import Foundation
from infra.function_group import FunctionGroupConstruct, grant_group_access
from infra.herald_function import HeraldFunction
from infra.nag import acknowledge_wildcard

HANDLER = "functions.publish.workers.publisher.handler"


class PublishWorker(HeraldFunction):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        publish: FunctionGroupConstruct,
        code_path: Path,
        foundation: Foundation,
        config: HeraldConfig,
    ) -> None:
        name = f"herald-{config.stage}-publish-worker"
        function_arn = Stack.of(scope).format_arn(
            service="lambda",
            resource="function",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        wiring = {
            "HERALD_PUBLISH_WORKER_ARN": function_arn,
            "HERALD_SCHEDULER_DEAD_LETTER_ARN": foundation.scheduler_dlq.queue_arn,
        }
        super().__init__(
            scope,
            construct_id,
            title="Herald publish worker",
            description="Herald publish worker: scheduled posts, retries, checks, sweeps",
            handler=HANDLER,
            code_path=code_path,
            foundation=foundation,
            service_name="herald-publish-worker",
            environment={**publish.environment, **wiring},
            memory_mb=1024,
            # Large video uploads take minutes; the sweeper treats a target still publishing
            # after this long as cut off.
            timeout=Duration.minutes(15),
            function_name=name,
        )
        self.function_arn = function_arn
        for variable, value in wiring.items():
            publish.function.add_environment(variable, value)
        # Publishing now and retrying start the worker at once.
        publish.allow(("lambda:InvokeFunction",), function_arn)

        grant_group_access(self, publish.access, foundation, config)
        media_objects = foundation.media_bucket.arn_for_objects("workspaces/*")
        self.allow(("s3:GetObject",), media_objects)
        acknowledge_wildcard(
            self.role,
            media_objects,
            "Reads workspace media objects to upload them to the platforms; object keys are "
            "generated per upload, so a prefix is the narrowest grant.",
        )
        self.sweeper = self._rule(
            "Sweeper",
            "Herald: publish missed schedules and move stuck targets on",
            Duration.minutes(5),
            "sweep",
            foundation,
        )
        self.token_refresher = self._rule(
            "TokenRefresher",
            "Herald: refresh the social accounts' platform tokens before they expire",
            Duration.minutes(30),
            "refresh-tokens",
            foundation,
        )
        self.engagement_poller = self._rule(
            "EngagementPoller",
            "Herald: poll comments and mentions the platforms send no webhook for",
            Duration.minutes(5),
            "poll-engagement",
            foundation,
        )

    def send_to_inbound_queue(self, queue: sqs.IQueue) -> None:
        """The engagement poller hands what it finds to the webhooks group's processor on the
        inbound queue (created with the processor): its URL, and leave to send to it only."""
        self.function.add_environment("HERALD_INBOUND_QUEUE_URL", queue.queue_url)
        self.allow(("sqs:SendMessage",), queue.queue_arn)

    def _rule(
        self,
        construct_id: str,
        description: str,
        every: Duration,
        task: str,
        foundation: Foundation,
    ) -> events.Rule:
        rule = events.Rule(
            self, construct_id, description=description, schedule=events.Schedule.rate(every)
        )
        rule.add_target(
            targets.LambdaFunction(
                self.function,
                event=events.RuleTargetInput.from_object({"herald": task}),
                # A run that cannot be delivered soon is superseded by the next one.
                max_event_age=every,
                retry_attempts=3,
                dead_letter_queue=foundation.async_dlq,
            )
        )
        return rule
