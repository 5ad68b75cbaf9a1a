"""Local mode's stand-in for an SQS event source mapping (infra/local/queue_sources.py).

What it emulates: Lambda hands a batch of messages to the function as `Records` and, with
ReportBatchItemFailures, deletes every message but the reported ones, which come back after the
visibility timeout:
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.queue_sources import QueueMapping, QueueSource

REGION = "us-east-1"


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def test_a_batch_reaches_the_function_and_only_reported_messages_stay(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="deliveries", Attributes={"VisibilityTimeout": "0"})[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for body in ("ok", "fails"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        calls.append((function, event))
        return {
            "batchItemFailures": [
                {"itemIdentifier": record["messageId"]}
                for record in event["Records"]
                if record["body"] == "fails"
            ]
        }

    source = QueueSource(sqs, QueueMapping("deliverer-arn", arn, 10), invoke)
    for thread in source.poll():
        thread.join()

    [(function, event)] = calls
    assert function == "deliverer-arn"
    assert sorted(record["body"] for record in event["Records"]) == ["fails", "ok"]
    assert {(record["eventSource"], record["eventSourceARN"]) for record in event["Records"]} == {
        ("aws:sqs", arn)
    }
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [message["Body"] for message in left] == ["fails"]


def test_a_function_that_raises_leaves_the_whole_batch_queued(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="deliveries", Attributes={"VisibilityTimeout": "0"})[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.send_message(QueueUrl=url, MessageBody="a")

    def crash(function: str, event: dict[str, Any]) -> None:
        raise RuntimeError("worker crashed")

    for thread in QueueSource(sqs, QueueMapping("f", arn, 10), crash).poll():
        thread.join()

    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [message["Body"] for message in left] == ["a"]
