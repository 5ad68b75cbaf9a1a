"""The publish group's events function: what publishing does when another group announces a
change on Herald's bus (`functions.publish.workers.events.handler`).

One rule today: auth's `workspace.deleted`, on which every schedule of the workspace is deleted
(listed by the name prefix the workspace's id gives them). The function is small and separate
from the publish worker so that its role holds only what that takes: listing and deleting
schedules in Herald's group.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.foundation import Foundation
from infra.function_group import FunctionGroupConstruct
from infra.herald_function import HeraldFunction
from infra.nag import acknowledge_wildcard

HANDLER = "functions.publish.workers.events.handler"


class PublishEvents(HeraldFunction):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        publish: FunctionGroupConstruct,
        code_path: Path,
        foundation: Foundation,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            title="Herald publish events",
            description="Herald publish events: deletes a deleted workspace's schedules",
            handler=HANDLER,
            code_path=code_path,
            foundation=foundation,
            service_name="herald-publish-events",
            environment=publish.environment,
            memory_mb=256,
            # A workspace's schedules are listed 100 a page and deleted one call each.
            timeout=Duration.minutes(5),
        )
        # As CDK's ScheduleGroup.grantReadSchedules/grantDeleteSchedules scope them: the
        # schedules of Herald's group.
        self.allow(
            ("scheduler:ListSchedules", "scheduler:DeleteSchedule"), foundation.schedules_arn
        )
        acknowledge_wildcard(
            self.role,
            foundation.schedules_arn,
            "Lists and deletes schedules of Herald's schedule group only; their names are made "
            "at run time from workspace and post ids.",
        )
        self.workspace_deleted_rule = events.Rule(
            self,
            "WorkspaceDeletedRule",
            description="A workspace was deleted: delete its schedules",
            event_bus=foundation.event_bus,
            event_pattern=events.EventPattern(
                source=["herald.auth"], detail_type=["workspace.deleted"]
            ),
        )
        self.workspace_deleted_rule.add_target(
            targets.LambdaFunction(
                self.function, retry_attempts=3, dead_letter_queue=foundation.async_dlq
            )
        )
