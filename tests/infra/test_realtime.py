"""The real-time WebSocket API (infra/realtime.py): its routes, stage, pusher rule and wiring."""

from __future__ import annotations

from tests.infra.synthesized import Synthesized, flatten


def test_every_route_goes_to_the_connection_function_and_messages_get_answers(
    synthesized: Synthesized,
) -> None:
    realtime = synthesized.stack.realtime
    (api,) = synthesized.of_type("AWS::ApiGatewayV2::Api").values()
    assert api["Properties"]["ProtocolType"] == "WEBSOCKET"
    assert api["Properties"]["RouteSelectionExpression"] == "$request.body.action"

    routes = {
        route["Properties"]["RouteKey"]: route["Properties"]
        for route in synthesized.of_type("AWS::ApiGatewayV2::Route").values()
    }
    assert set(routes) == {"$connect", "$disconnect", "$default", "join", "leave", "ping"}
    answered = {
        key for key, route in routes.items() if route.get("RouteResponseSelectionExpression")
    }
    assert answered == {"$default", "join", "leave", "ping"}
    (integration,) = synthesized.of_type("AWS::ApiGatewayV2::Integration").values()
    assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    connections = synthesized.logical_id(realtime.connections.function)
    assert connections in flatten(integration["Properties"]["IntegrationUri"])


def test_the_stage_is_throttled_and_logs_access_without_bodies(synthesized: Synthesized) -> None:
    (stage,) = synthesized.of_type("AWS::ApiGatewayV2::Stage").values()
    properties = stage["Properties"]
    assert properties["StageName"] == synthesized.stack.config.stage
    assert properties["AutoDeploy"] is True
    assert properties["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    log_format = properties["AccessLogSettings"]["Format"]
    assert "$context.connectionId" in log_format
    assert "body" not in log_format.lower()


def test_every_herald_event_on_the_bus_reaches_the_pusher(synthesized: Synthesized) -> None:
    realtime = synthesized.stack.realtime
    rule = synthesized.resources[synthesized.logical_id(realtime.rule)]["Properties"]
    assert rule["EventPattern"] == {"source": [{"prefix": "herald."}]}
    assert rule["EventBusName"] == {
        "Ref": synthesized.logical_id(synthesized.stack.foundation.event_bus)
    }
    (target,) = rule["Targets"]
    assert target["Arn"] == {
        "Fn::GetAtt": [synthesized.logical_id(realtime.pusher.function), "Arn"]
    }
    assert "DeadLetterConfig" in target


def test_the_pusher_sends_through_the_stages_callback_url(synthesized: Synthesized) -> None:
    realtime = synthesized.stack.realtime
    pusher = synthesized.resources[synthesized.logical_id(realtime.pusher.function)]
    callback = flatten(
        pusher["Properties"]["Environment"]["Variables"]["HERALD_REALTIME_CALLBACK_URL"]
    )
    api = synthesized.logical_id(realtime.api)
    assert callback == (
        f"https://<{api}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/{synthesized.stack.config.stage}"
    )
    connections = synthesized.resources[synthesized.logical_id(realtime.connections.function)]
    assert (
        "HERALD_REALTIME_CALLBACK_URL" not in connections["Properties"]["Environment"]["Variables"]
    )
