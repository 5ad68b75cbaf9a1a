"""The identity world (users, workspaces, members, API keys) serves the publish tests too."""

import json

import boto3

from functions.shared.settings import get_settings
from tests.identity.conftest import cloud, herald, quick_uniform_answers

__all__ = ["bus_listener", "cloud", "herald", "quick_uniform_answers"]


def bus_listener(detail_type: str) -> str:
    """An SQS queue receiving the bus's events of one type (how a consumer would listen)."""
    region = get_settings().region
    sqs = boto3.client("sqs", region_name=region)
    events = boto3.client("events", region_name=region)
    queue_url = sqs.create_queue(QueueName="bus-listener")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    bus = get_settings().event_bus_name
    events.put_rule(
        Name="listen", EventBusName=bus, EventPattern=json.dumps({"detail-type": [detail_type]})
    )
    events.put_targets(Rule="listen", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    return queue_url
