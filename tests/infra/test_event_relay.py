"""The outbox relay: the table's stream, filtered to outbox inserts, to a function that may put
events on Herald's bus and read the stream, nothing else (docs/events.md).

Event source mapping properties:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-eventsourcemapping.html
"""

from __future__ import annotations

import json

from functions.shared.events import OUTBOX_INSERTS
from infra import event_relay
from tests.infra.synthesized import Synthesized, as_list, flatten, statements_of_role


def test_the_stream_mapping_hands_over_outbox_inserts_and_reports_failed_records(
    synthesized: Synthesized,
) -> None:
    relay = synthesized.stack.event_relay
    lid = synthesized.logical_id
    [mapping] = [
        mapping
        for mapping in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if mapping["Properties"]["FunctionName"] == {"Ref": lid(relay.function)}
    ]
    props = mapping["Properties"]

    assert props["FunctionName"] == {"Ref": lid(relay.function)}
    assert props["EventSourceArn"] == {
        "Fn::GetAtt": [lid(synthesized.stack.foundation.app_table), "StreamArn"]
    }
    assert [json.loads(rule["Pattern"]) for rule in props["FilterCriteria"]["Filters"]] == [
        OUTBOX_INSERTS
    ]
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert props["BatchSize"] == 100
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert props["MaximumRetryAttempts"] == event_relay.RETRY_ATTEMPTS
    assert props["MaximumRecordAgeInSeconds"] == 6 * 3600
    assert props["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [lid(relay.dead_letters), "Arn"]}}
    }
    function = synthesized.resources[lid(relay.function)]["Properties"]
    assert function["Handler"] == "functions.webhooks.workers.relay.handler"
    assert function["Environment"]["Variables"]["HERALD_EVENT_BUS_NAME"] == {
        "Ref": lid(synthesized.stack.foundation.event_bus)
    }


def test_the_relay_may_read_the_stream_and_put_events_on_the_bus_only(
    synthesized: Synthesized,
) -> None:
    relay = synthesized.stack.event_relay
    foundation = synthesized.stack.foundation
    lid = synthesized.logical_id
    stream = f"<{lid(foundation.app_table)}.StreamArn>"
    dead_letters = f"<{lid(relay.dead_letters)}.Arn>"
    log_group = f"<{lid(relay.log_group)}.Arn>"

    granted = {
        (action, flatten(resource))
        for statement in statements_of_role(synthesized, lid(relay.role))
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }

    assert granted == {
        ("logs:CreateLogStream", log_group),
        ("logs:PutLogEvents", log_group),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
        ("sqs:SendMessage", f"<{lid(foundation.async_dlq)}.Arn>"),
        ("dynamodb:ListStreams", "*"),
        ("dynamodb:DescribeStream", stream),
        ("dynamodb:GetRecords", stream),
        ("dynamodb:GetShardIterator", stream),
        ("events:PutEvents", f"<{lid(foundation.event_bus)}.Arn>"),
        ("sqs:SendMessage", dead_letters),
        ("sqs:GetQueueAttributes", dead_letters),
        ("sqs:GetQueueUrl", dead_letters),
    }
