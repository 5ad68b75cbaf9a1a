"""The publish worker: the function every post schedule, retry and sweep runs in.

It shares the publish group's code and role (it does the same work: tables, sealed tokens,
platform credentials, schedules, events), and adds what only the worker needs: reading media
objects to upload them, and 15 minutes per invocation for large videos. Schedules target it by
a name fixed here, so it can schedule its own next steps without referring to itself.

Two EventBridge rules invoke it: the sweeper every 5 minutes (missed schedules, stuck targets)
and the token refresher every 30 minutes.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import HeraldConfig
from infra.foundation import ARCHITECTURE, RUNTIME, Foundation, alarm
from infra.function_group import FunctionGroupConstruct
from infra.nag import acknowledge, acknowledge_wildcard

HANDLER = "functions.publish.workers.publisher.handler"


class PublishWorker(Construct):
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
        super().__init__(scope, construct_id)
        name = f"herald-{config.stage}-publish-worker"
        self.function_arn = Stack.of(self).format_arn(
            service="lambda",
            resource="function",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role = publish.role
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN,
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        media_objects = foundation.media_bucket.arn_for_objects("workspaces/*")
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[media_objects])
        )
        acknowledge_wildcard(
            role,
            media_objects,
            "Reads workspace media objects to upload them to the platforms; object keys are "
            "generated per upload, so a prefix is the narrowest grant.",
        )
        # Publishing now and retrying start the worker at once.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function_arn])
        )
        wiring = {
            "HERALD_PUBLISH_WORKER_ARN": self.function_arn,
            "HERALD_SCHEDULER_DEAD_LETTER_ARN": foundation.scheduler_dlq.queue_arn,
        }
        for variable, value in wiring.items():
            publish.function.add_environment(variable, value)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=name,
            description="Herald publish worker: scheduled posts, retries, checks, sweeps",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(code_path)),
            layers=[foundation.dependencies_layer],
            memory_size=1024,
            # Large video uploads take minutes; the sweeper treats a target still publishing
            # after this long as cut off.
            timeout=Duration.minutes(15),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            role=role,
            dead_letter_queue=foundation.async_dlq,
            environment={
                **publish.environment,
                **wiring,
                "POWERTOOLS_SERVICE_NAME": "herald-publish-worker",
            },
        )
        self.function.node.add_dependency(role)
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Herald pins Python 3.13 (pyproject requires-python, uv.lock, and the dependency "
            "layer's cp313 wheels); a newer runtime is a deliberate upgrade of all three.",
        )
        for metric_name, metric in (
            ("Errors", self.function.metric_errors(period=Duration.minutes(5))),
            ("Throttles", self.function.metric_throttles(period=Duration.minutes(5))),
        ):
            alarm(
                self,
                f"{metric_name}Alarm",
                metric,
                topic=foundation.alarm_topic,
                description=f"The Herald publish worker reports {metric_name.lower()}.",
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
