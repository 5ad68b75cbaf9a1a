"""One Herald Lambda function, with what DESIGN section 8 asks of every one of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Size
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.foundation import ARCHITECTURE, RUNTIME, Foundation, alarm
from infra.nag import acknowledge, acknowledge_wildcard

ALARM_PERIOD = Duration.minutes(5)


@dataclass(frozen=True, slots=True)
class AlarmedMetric:
    """A metric that raises an alarm as soon as it is above 0."""

    name: str  # the alarm's construct id is `<name>Alarm`
    metric: cloudwatch.IMetric
    description: str


class HeraldFunction(Construct):
    """A Herald Lambda function and everything each one has; build every function with it.

    It guarantees:
    - Python 3.13 on x86_64 (what the dependency layer is built for), active X-Ray tracing, the
      code at `code_path`, the dependency layer and then `layers`;
    - its own role, assumed by Lambda only, with no managed policy: out of the box it may write
      to its own log group, send traces and (with `async_dead_letters`) send to the dead-letter
      queue, nothing else; `allow` grants the rest;
    - its own log group, kept a month and retained when the stack goes;
    - alarms on its errors (or on `failures`) and on its throttles, notifying the alarm topic;
    - with `async_dead_letters`, failed asynchronous invocations land in the foundation's
      dead-letter queue;
    - `environment` with POWERTOOLS_SERVICE_NAME set to `service_name`, the `service`
      dimension of the function's metrics.

    `title` ("Herald auth function") describes the role and the alarms; `description` is the
    function's own. `tmp`: ephemeral storage, Lambda's default when None. `failures`: what to
    alarm on instead of Lambda's `Errors`, for a function that fails on purpose (the media job
    steps raise on a rejected input so that Step Functions records it, so their `Errors` count
    users' mistakes; they count real failures in a metric of their own).

    Its parts: `function`, `role`, `log_group`, and `environment` as the function got it. A
    function with more to it is one (FunctionGroupConstruct, PublishWorker) or holds one
    (MediaJobs).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        title: str,
        description: str,
        handler: str,
        code_path: Path,
        foundation: Foundation,
        service_name: str,
        environment: Mapping[str, str],
        memory_mb: int,
        timeout: Duration,
        tmp: Size | None = None,
        layers: Sequence[lambda_.ILayerVersion] = (),
        function_name: str | None = None,
        async_dead_letters: bool = True,
        failures: AlarmedMetric | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # Created here rather than by Lambda so that retention is set and the role can be
        # limited to exactly this log group.
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            description=title,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        self.allow(("logs:CreateLogStream", "logs:PutLogEvents"), self.log_group.log_group_arn)
        acknowledge_wildcard(
            self.role,
            "*",
            "X-Ray PutTraceSegments and PutTelemetryRecords (added for active tracing) support "
            "no resource-level permissions.",
        )

        self.environment = {**environment, "POWERTOOLS_SERVICE_NAME": service_name}
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_.Code.from_asset(str(code_path)),
            layers=[foundation.dependencies_layer, *layers],
            memory_size=memory_mb,
            ephemeral_storage_size=tmp,
            timeout=timeout,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            role=self.role,
            dead_letter_queue=foundation.async_dlq if async_dead_letters else None,
            environment=self.environment,
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Herald pins Python 3.13 (pyproject requires-python, uv.lock, and the dependency "
            "layer's cp313 wheels); a newer runtime is a deliberate upgrade of all three.",
        )

        errors = failures or AlarmedMetric(
            "Errors",
            self.function.metric_errors(period=ALARM_PERIOD),
            f"The {title} reports errors.",
        )
        throttles = AlarmedMetric(
            "Throttles",
            self.function.metric_throttles(period=ALARM_PERIOD),
            f"The {title} reports throttles.",
        )
        for watched in (errors, throttles):
            alarm(
                self,
                f"{watched.name}Alarm",
                watched.metric,
                topic=foundation.alarm_topic,
                description=watched.description,
            )

    def allow(
        self,
        actions: Iterable[str],
        *resources: str,
        conditions: Mapping[str, Any] | None = None,
    ) -> None:
        """Let the function do `actions` on `resources` (its role's only way to get more)."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(actions),
                resources=list(resources),
                conditions=dict(conditions) if conditions is not None else None,
            )
        )
