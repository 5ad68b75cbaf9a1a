"""The publish group's events function: what publishing does when another group announces a
change on Herald's bus (`functions.publish.workers.events.handler`).

Two rules: auth's `workspace.deleted`, on which every schedule of the workspace is deleted
(listed by the name prefix the workspace's id gives them) and its X accounts, if any, are handed
to the publish worker to leave X's Account Activity; and the inbound processor's internal
`platform.notice` (source `herald-internal.webhooks`), on which an account the platform says
lost Herald's access becomes `needs_reconnect`, and a target whose platform announced the end of
its processing is checked at once by the publish worker. The function is small and separate
from the publish worker so that its role holds only what that takes: listing and deleting
schedules in Herald's group, the application table, and starting the publish worker.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from functions.shared.engagement import PLATFORM_NOTICE_EVENT
from functions.shared.events import INTERNAL_SOURCE_PREFIX
from infra.foundation import Foundation
from infra.function_group import TABLE_READ_WRITE, FunctionGroupConstruct
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
        publish_worker_arn: str,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            title="Herald publish events",
            description="Herald publish events: deleted workspaces' schedules, platform notices",
            handler=HANDLER,
            code_path=code_path,
            foundation=foundation,
            service_name="herald-publish-events",
            environment={**publish.environment, "HERALD_PUBLISH_WORKER_ARN": publish_worker_arn},
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
        # Platform notices: accounts marked (with their event), targets' links read, targets'
        # checks started at once.
        self.allow(TABLE_READ_WRITE, foundation.app_table.table_arn)
        self.allow(("lambda:InvokeFunction",), publish_worker_arn)
        self.platform_notice_rule = events.Rule(
            self,
            "PlatformNoticeRule",
            description="A platform's webhook said something about an account or a target",
            event_bus=foundation.event_bus,
            event_pattern=events.EventPattern(
                source=[f"{INTERNAL_SOURCE_PREFIX}webhooks"],
                detail_type=[PLATFORM_NOTICE_EVENT],
            ),
        )
        self.platform_notice_rule.add_target(
            targets.LambdaFunction(
                self.function, retry_attempts=3, dead_letter_queue=foundation.async_dlq
            )
        )
