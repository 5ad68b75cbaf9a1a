"""The publish group's engagement function: the inbox (webhooks group) invokes it synchronously
to reply to, hide, unhide or delete a comment on its platform, and the inbound processor to read
an Instagram mention's text (`functions.publish.workers.engagement.handler`). Its rights are
those of every `TokenHoldingFunction` (no index); only the webhooks function and the inbound
processor may invoke it.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from constructs import Construct

from infra.config import HeraldConfig
from infra.foundation import Foundation
from infra.function_group import FunctionGroupConstruct
from infra.token_holding_function import TokenHoldingFunction

HANDLER = "functions.publish.workers.engagement.handler"


class EngagementFunction(TokenHoldingFunction):
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
        super().__init__(
            scope,
            construct_id,
            slug="engagement",
            title="Herald engagement function",
            description="Herald engagement: replies to, hides and deletes comments on platforms",
            handler=HANDLER,
            # The inbox waits for it: one platform call, and one token refresh at most.
            timeout=Duration.seconds(25),
            publish=publish,
            caller=webhooks,
            arn_setting="HERALD_ENGAGEMENT_FUNCTION_ARN",
            code_path=code_path,
            foundation=foundation,
            config=config,
        )
