"""The publish group's engagement function: the inbox (webhooks group) invokes it synchronously
to reply to, hide, unhide or delete a comment on its platform
(`functions.publish.workers.engagement.handler`).

It runs the publish group's code because that group holds the accounts' sealed tokens; its role
may read and write the application table's items (no index), open and seal tokens with the
data key, and read the platform credentials: a part of what the publish group may, with nothing
of schedules, media, queues or the event bus. Only the webhooks function may
invoke it.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from constructs import Construct

from infra.config import HeraldConfig
from infra.foundation import Foundation
from infra.function_group import (
    ENVELOPE_ENCRYPTION,
    READ_SECRET,
    TABLE_READ_WRITE,
    FunctionGroupConstruct,
)
from infra.herald_function import HeraldFunction

HANDLER = "functions.publish.workers.engagement.handler"


class EngagementFunction(HeraldFunction):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        publish: FunctionGroupConstruct,
        webhooks: FunctionGroupConstruct,
        code_path: Path,
        foundation: Foundation,
        config: HeraldConfig,
    ) -> None:
        name = f"herald-{config.stage}-engagement"
        function_arn = Stack.of(scope).format_arn(
            service="lambda",
            resource="function",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        super().__init__(
            scope,
            construct_id,
            title="Herald engagement function",
            description="Herald engagement: replies to, hides and deletes comments on platforms",
            handler=HANDLER,
            code_path=code_path,
            foundation=foundation,
            service_name="herald-engagement",
            environment=publish.environment,
            memory_mb=512,
            # The inbox waits for it: one platform call, and one token refresh at most.
            timeout=Duration.seconds(25),
            function_name=name,
        )
        self.function_arn = function_arn
        # Its account, renewed tokens, and `account.needs_reconnect` as an outbox item.
        self.allow(TABLE_READ_WRITE, foundation.app_table.table_arn)
        # Opening the tokens, and sealing renewed ones.
        self.allow(ENVELOPE_ENCRYPTION, foundation.data_key.key_arn)
        self.allow(READ_SECRET, foundation.platform_credentials.secret_arn)
        webhooks.function.add_environment("HERALD_ENGAGEMENT_FUNCTION_ARN", function_arn)
        webhooks.allow(("lambda:InvokeFunction",), function_arn)
