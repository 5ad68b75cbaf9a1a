"""Local mode's stand-in for a DynamoDB stream event source mapping (infra/local/stream_relay.py).

What it emulates: Lambda reads the stream in order, keeps the records the mapping's filters
select, and with ReportBatchItemFailures retries from the first reported record:
https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
"""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.provision import provision
from infra.local.stream_relay import StreamRelay

REGION = "us-east-1"
TEMPLATE = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "KeySchema": [
                    {"AttributeName": "PK", "KeyType": "HASH"},
                    {"AttributeName": "SK", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": [
                    {"AttributeName": "PK", "AttributeType": "S"},
                    {"AttributeName": "SK", "AttributeType": "S"},
                ],
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
            },
        },
        "Relay": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Runtime": "python3.13", "Handler": "relay.handler", "Role": "arn"},
        },
        "Mapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "FunctionName": {"Ref": "Relay"},
                "EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]},
                "BatchSize": 10,
                "FilterCriteria": {
                    "Filters": [
                        {"Pattern": '{"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"EVENT#"}]}}}}'}
                    ]
                },
            },
        },
    }
}


def clients(service: str) -> Any:
    if service == "dynamodbstreams":
        # moto 5.2.5's in-process mock routes only the regional streams endpoint.
        endpoint = f"https://streams.dynamodb.{REGION}.amazonaws.com"
        return boto3.client("dynamodbstreams", region_name=REGION, endpoint_url=endpoint)
    return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


@pytest.fixture
def cloud() -> Iterator[None]:
    with mock_aws():
        yield


def put(table: str, pk: str) -> None:
    clients("dynamodb").put_item(TableName=table, Item={"PK": {"S": pk}, "SK": {"S": "X"}})


def test_a_stream_mapping_of_the_template_hands_over_the_records_its_filter_selects(
    cloud: None,
) -> None:
    deployment = provision(TEMPLATE, clients, region=REGION)
    [mapping] = deployment.stream_mappings
    table = deployment.resources["Table"].ref
    assert (mapping.function, mapping.batch_size) == ("herald-local-Relay", 10)
    assert mapping.stream_arn == deployment.resources["Table"].attributes["StreamArn"]
    batches: list[list[str]] = []
    refuse: set[str] = {"EVENT#2"}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        keys = [record["dynamodb"]["Keys"]["PK"]["S"] for record in event["Records"]]
        batches.append(keys)
        failed = [
            record["dynamodb"]["SequenceNumber"]
            for record in event["Records"]
            if record["dynamodb"]["Keys"]["PK"]["S"] in refuse
        ]
        return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}

    relay = StreamRelay(
        clients("dynamodbstreams"), mapping.stream_arn, handler, filters=mapping.filters
    )
    for pk in ("WS#1", "EVENT#1", "EVENT#2", "WS#2", "EVENT#3"):
        put(table, pk)

    relay.drain()
    refuse.clear()
    relay.drain()  # from the reported record on, as Lambda retries
    relay.drain()  # nothing new

    assert batches == [["EVENT#1", "EVENT#2", "EVENT#3"], ["EVENT#2", "EVENT#3"]]


def test_records_have_lambdas_shape(cloud: None) -> None:
    deployment = provision(TEMPLATE, clients, region=REGION)
    [mapping] = deployment.stream_mappings
    seen: list[dict[str, Any]] = []
    relay = StreamRelay(
        clients("dynamodbstreams"),
        mapping.stream_arn,
        lambda event, context: seen.extend(event["Records"]),
        filters=mapping.filters,
    )
    put(deployment.resources["Table"].ref, "EVENT#1")

    relay.drain()

    [record] = seen
    assert record["eventName"] == "INSERT"
    assert record["eventSourceARN"] == mapping.stream_arn
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)
    assert record["dynamodb"]["NewImage"] == {"PK": {"S": "EVENT#1"}, "SK": {"S": "X"}}
