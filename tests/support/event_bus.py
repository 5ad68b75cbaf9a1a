"""Listening on Herald's event bus the way a consumer would."""

import json
from typing import Any

import boto3

from functions.shared.settings import get_settings


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


def received(queue_url: str) -> list[dict[str, Any]]:
    """The events waiting in a listener's queue (at most ten, as one SQS receive gives)."""
    sqs = boto3.client("sqs", region_name=get_settings().region)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def catalogued(event: dict[str, Any]) -> dict[str, Any]:
    """The data of a received event, checked against the event catalogue's model of its type:
    every field of the model is sent, and nothing the model refuses."""
    from functions.shared.event_catalogue import validated_data

    data: dict[str, Any] = event["detail"]
    model = validated_data(event["detail-type"], data)
    assert set(type(model).model_fields) <= set(data), "a catalogued field was left out"
    return data
