"""Listening on Herald's event bus the way a consumer would, with the outbox relay run on demand.

Domain events reach the bus through the table's stream (docs/events.md). In the tests nothing
runs in the background: `relay_events()` runs the relay once over what the stream holds since
its last run, exactly as the stream's event source mapping would, and `received` does it first.
"""

import json
from typing import Any

import boto3

from functions.shared.events import OUTBOX_INSERTS
from functions.shared.settings import get_settings
from infra.local.stream_relay import StreamHandler, StreamRelay

# One relay per table stream (each test's moto account creates the table anew, with a new
# stream ARN), so a stream's records are relayed once however often a test drains it.
_relays: dict[str, StreamRelay] = {}


def enable_stream() -> None:
    """Turn on the application table's stream, as the stack does (infra/foundation.py)."""
    boto3.client("dynamodb", region_name=get_settings().region).update_table(
        TableName=get_settings().table_name,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )


def stream_relay(handler: StreamHandler) -> StreamRelay:
    """A new relay of the application table's stream to `handler`, from the stream's start."""
    region = get_settings().region
    table = boto3.client("dynamodb", region_name=region).describe_table(
        TableName=get_settings().table_name
    )["Table"]
    # botocore sends stream calls to the account's endpoint (<account>.streams-ddb...), which
    # moto 5.2.5's in-process mock does not route; the regional endpoint it does.
    streams = boto3.client(
        "dynamodbstreams",
        region_name=region,
        endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com",
    )
    return StreamRelay(streams, table["LatestStreamArn"], handler, filters=[OUTBOX_INSERTS])


def table_stream() -> StreamRelay:
    """The relay of the application table's stream, reading on from where it last stopped."""
    from functions.webhooks.workers import relay

    arn = boto3.client("dynamodb", region_name=get_settings().region).describe_table(
        TableName=get_settings().table_name
    )["Table"]["LatestStreamArn"]
    if arn not in _relays:
        _relays[arn] = stream_relay(relay.handler)
    return _relays[arn]


def relay_events() -> None:
    """Put every outbox item written since the last run on the bus (one run of the relay)."""
    table_stream().drain()


def bus_listener(detail_type: str, *more_types: str) -> str:
    """An SQS queue receiving the bus's events of these types (how a consumer would listen)."""
    region = get_settings().region
    sqs = boto3.client("sqs", region_name=region)
    events = boto3.client("events", region_name=region)
    queue_url = sqs.create_queue(QueueName="bus-listener")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    bus = get_settings().event_bus_name
    events.put_rule(
        Name="listen",
        EventBusName=bus,
        EventPattern=json.dumps({"detail-type": [detail_type, *more_types]}),
    )
    events.put_targets(Rule="listen", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    return queue_url


def received(queue_url: str, *, relay: bool = True) -> list[dict[str, Any]]:
    """The events waiting in a listener's queue, once the relay has run unless `relay` is False
    (at most ten, as one SQS receive gives)."""
    if relay:
        relay_events()
    sqs = boto3.client("sqs", region_name=get_settings().region)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def catalogued(event: dict[str, Any]) -> dict[str, Any]:
    """The data of a received event, checked against the event catalogue's model of its type:
    every field of the model is sent, and nothing the model refuses."""
    from functions.shared.event_catalogue import validated_data

    data: dict[str, Any] = event["detail"]["data"]
    model = validated_data(event["detail-type"], data)
    assert set(type(model).model_fields) <= set(data), "a catalogued field was left out"
    return data
