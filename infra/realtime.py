"""Real-time updates: the WebSocket API, its connection function and the pusher (docs/realtime.md).

- The WebSocket API routes on `$request.body.action`: `$connect`, `$disconnect`, `join`,
  `leave`, `ping` and `$default` all go to the connection function, which answers client
  messages through route responses (the `body` it returns reaches the client).
- The pusher is invoked by a rule on Herald's bus for every event whose source starts with
  `herald.`, and sends through the stage's API Gateway Management API (its callback URL).
- Both run the webhooks group's code with roles of their own: the application table and token
  verification; the pusher (and any function given `grant_push`) may also post to and close
  connections of this API's stage, nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.shared.groups import group_named
from infra.config import HeraldConfig
from infra.foundation import Foundation
from infra.function_group import Access, grant_group_access, group_environment
from infra.herald_function import HeraldFunction
from infra.nag import acknowledge, acknowledge_wildcard

CONNECTIONS_HANDLER = "functions.webhooks.workers.realtime_connections.handler"
PUSHER_HANDLER = "functions.webhooks.workers.realtime_pusher.handler"
# Client messages besides $connect, $disconnect and $default (infra/local/realtime.py too).
MESSAGE_ROUTES = ("join", "leave", "ping")
# What the Management API calls of the functions that push may do: send, and close.
MANAGE_CONNECTIONS = ("POST", "DELETE")
# Only the table and token verification, which every function has.
REALTIME_ACCESS = Access(memory_mb=256, tmp_mb=512)
# A real-time message delivered later than this is stale: the dashboard reloads on reconnect.
MAX_EVENT_AGE = Duration.minutes(5)


# Who connected when, and how each route answered; never message bodies (they carry tokens).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "connectionId": "$context.connectionId",
}


@jsii.implements(apigatewayv2.IAccessLogSettings)
class _AccessLogs:
    """The stage's access logs: JSON lines of ACCESS_LOG_FIELDS into `log_group`."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigatewayv2.LogGroupLogDestination(log_group)
        self._format = apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))

    @property
    def destination(self) -> apigatewayv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return self._format


class RealtimeApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_path: Path,
        foundation: Foundation,
        config: HeraldConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        environment = group_environment(
            group_named("webhooks"), REALTIME_ACCESS, foundation, config, None
        )
        self.connections = HeraldFunction(
            self,
            "Connections",
            title="Herald real-time connection function",
            description="Herald real-time: WebSocket connects, joins and disconnects",
            handler=CONNECTIONS_HANDLER,
            code_path=code_path,
            foundation=foundation,
            service_name="herald-realtime",
            environment=environment,
            memory_mb=REALTIME_ACCESS.memory_mb,
            timeout=Duration.seconds(10),
        )
        grant_group_access(self.connections, REALTIME_ACCESS, foundation, config)

        integration = integrations.WebSocketLambdaIntegration(
            "Connections", self.connections.function
        )
        self.api = apigatewayv2.WebSocketApi(
            self,
            "Api",
            api_name=f"herald-{config.stage}-realtime",
            description="Herald real-time updates",
            route_selection_expression="$request.body.action",
            connect_route_options=apigatewayv2.WebSocketRouteOptions(integration=integration),
            disconnect_route_options=apigatewayv2.WebSocketRouteOptions(integration=integration),
            default_route_options=apigatewayv2.WebSocketRouteOptions(
                integration=integration, return_response=True
            ),
        )
        for route in MESSAGE_ROUTES:
            self.api.add_route(route, integration=integration, return_response=True)
        acknowledge(
            self.api,
            "AwsSolutions-APIG4",
            "The $connect integration verifies Herald's own access token (ES256, session "
            "live) and refuses the handshake otherwise; each join checks membership as the "
            "HTTP API does (docs/realtime.md). Later routes only reach a connection that "
            "passed $connect.",
        )

        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.stage = apigatewayv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=config.stage,
            auto_deploy=True,
            throttle=apigatewayv2.ThrottleSettings(
                rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit
            ),
            access_log_settings=_AccessLogs(self.access_logs),
        )

        self.pusher = HeraldFunction(
            self,
            "Pusher",
            title="Herald real-time pusher",
            description="Herald real-time: pushes domain events to WebSocket connections",
            handler=PUSHER_HANDLER,
            code_path=code_path,
            foundation=foundation,
            service_name="herald-realtime-pusher",
            environment=environment,
            memory_mb=REALTIME_ACCESS.memory_mb,
            timeout=Duration.seconds(30),
        )
        grant_group_access(self.pusher, REALTIME_ACCESS, foundation, config)
        self.grant_push(self.pusher)
        self.rule = events.Rule(
            self,
            "Events",
            description="Herald: every domain event, to the real-time pusher",
            event_bus=foundation.event_bus,
            event_pattern=events.EventPattern(source=events.Match.prefix("herald.")),
        )
        self.rule.add_target(
            targets.LambdaFunction(
                self.pusher.function,
                max_event_age=MAX_EVENT_AGE,
                retry_attempts=2,
                dead_letter_queue=foundation.async_dlq,
            )
        )

    @property
    def callback_url(self) -> str:
        """The Management API endpoint of the stage (settings' `realtime_callback_url`)."""
        return self.stage.callback_url

    def grant_push(self, function: HeraldFunction) -> None:
        """Let `function` push real-time messages (functions/shared/realtime_push.py)."""
        function.function.add_environment("HERALD_REALTIME_CALLBACK_URL", self.callback_url)
        for method in MANAGE_CONNECTIONS:
            connections = Stack.of(self).format_arn(
                service="execute-api",
                resource=self.api.api_id,
                resource_name=f"{self.stage.stage_name}/{method}/@connections/*",
            )
            function.allow(("execute-api:ManageConnections",), connections)
            acknowledge_wildcard(
                function.role,
                connections,
                "API Gateway mints a connection id per connection; this is the narrowest grant: "
                f"{method} on the connections of this API's stage only.",
            )
