"""A publish-group function that another group invokes synchronously for what needs the
accounts' tokens (the inbox's comment actions, the metrics collector): it runs the publish
group's code, because that group holds the sealed tokens, with a part of its rights.

Its role may read and write the application table's items, open and seal tokens with the data
key and read the platform credentials; nothing of schedules, media, queues or the event bus. The
caller group gets the function's ARN in `arn_setting` and the right to invoke it.
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


class TokenHoldingFunction(HeraldFunction):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        slug: str,
        title: str,
        description: str,
        handler: str,
        timeout: Duration,
        publish: FunctionGroupConstruct,
        caller: FunctionGroupConstruct,
        arn_setting: str,
        code_path: Path,
        foundation: Foundation,
        config: HeraldConfig,
    ) -> None:
        name = f"herald-{config.stage}-{slug}"
        function_arn = Stack.of(scope).format_arn(
            service="lambda",
            resource="function",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        super().__init__(
            scope,
            construct_id,
            title=title,
            description=description,
            handler=handler,
            code_path=code_path,
            foundation=foundation,
            service_name=f"herald-{slug}",
            environment=publish.environment,
            memory_mb=512,
            timeout=timeout,
            function_name=name,
        )
        self.function_arn = function_arn
        # Its accounts, renewed tokens, and `account.needs_reconnect` as an outbox item.
        self.allow(TABLE_READ_WRITE, foundation.app_table.table_arn)
        # Opening the tokens, and sealing renewed ones.
        self.allow(ENVELOPE_ENCRYPTION, foundation.data_key.key_arn)
        self.allow(READ_SECRET, foundation.platform_credentials.secret_arn)
        self.arn_setting = arn_setting
        self.invoked_by(caller)

    def invoked_by(self, caller: FunctionGroupConstruct | HeraldFunction) -> None:
        """`caller` learns the function's ARN and may invoke it."""
        caller.function.add_environment(self.arn_setting, self.function_arn)
        caller.allow(("lambda:InvokeFunction",), self.function_arn)
