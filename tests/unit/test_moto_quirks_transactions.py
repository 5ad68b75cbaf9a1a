"""Local mode's DynamoDB corrections (infra/local/moto_quirks.py) keep DynamoDB's transaction
semantics: all or nothing
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html),
while a transaction copies only the items it names, never a whole table."""

import copy
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from infra.local import moto_quirks

REGION = "us-east-1"


@pytest.fixture
def table() -> Iterator[Any]:
    moto_quirks.serialize_dynamodb_requests()
    moto_quirks.roll_back_only_touched_items()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="app",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def put(name: str) -> dict[str, Any]:
    return {"Put": {"TableName": "app", "Item": {"PK": {"S": name}}}}


def test_a_refused_transaction_still_writes_nothing(table: Any) -> None:
    table.put_item(TableName="app", Item={"PK": {"S": "a"}})
    refused = {
        "ConditionCheck": {
            "TableName": "app",
            "Key": {"PK": {"S": "a"}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }
    with pytest.raises(ClientError, match="TransactionCanceled"):
        table.transact_write_items(TransactItems=[put("b"), put("c"), refused])

    keys = {item["PK"]["S"] for item in table.scan(TableName="app")["Items"]}
    assert keys == {"a"}


def refused_check(name: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": "app",
            "Key": {"PK": {"S": name}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def test_a_refused_transaction_leaves_changed_and_deleted_items_as_they_were(table: Any) -> None:
    table.put_item(TableName="app", Item={"PK": {"S": "a"}, "n": {"N": "1"}})
    table.put_item(TableName="app", Item={"PK": {"S": "b"}, "n": {"N": "2"}})
    table.put_item(TableName="app", Item={"PK": {"S": "c"}})
    update = {
        "Update": {
            "TableName": "app",
            "Key": {"PK": {"S": "a"}},
            "UpdateExpression": "SET n = n + :one, added = :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    delete = {"Delete": {"TableName": "app", "Key": {"PK": {"S": "b"}}}}
    with pytest.raises(ClientError, match="TransactionCanceled"):
        table.transact_write_items(TransactItems=[update, delete, refused_check("c")])

    items = {item["PK"]["S"]: item for item in table.scan(TableName="app")["Items"]}
    assert items == {
        "a": {"PK": {"S": "a"}, "n": {"N": "1"}},
        "b": {"PK": {"S": "b"}, "n": {"N": "2"}},
        "c": {"PK": {"S": "c"}},
    }


def stream_events() -> list[str]:
    """The table's stream records as moto keeps them (its in-process DescribeStream answers 404
    for the endpoint current botocore resolves)."""
    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table("app").stream_shard
    assert shard is not None
    records = [record.to_json() for record in shard.items]
    return [f"{r['eventName']} {r['dynamodb']['Keys']['PK']['S']}" for r in records]


def test_a_refused_transaction_adds_nothing_to_the_stream(table: Any) -> None:
    table.put_item(TableName="app", Item={"PK": {"S": "a"}})
    with pytest.raises(ClientError, match="TransactionCanceled"):
        table.transact_write_items(TransactItems=[put("b"), refused_check("a")])
    table.transact_write_items(TransactItems=[put("c")])

    assert stream_events() == ["INSERT a", "INSERT c"]


def test_a_transaction_copies_no_table(table: Any) -> None:
    for n in range(50):
        table.put_item(TableName="app", Item={"PK": {"S": f"stored-{n}"}})
    with mock.patch.object(copy, "deepcopy", wraps=copy.deepcopy) as deepcopy:
        table.transact_write_items(TransactItems=[put(f"item-{n}") for n in range(5)])

    copied = {type(call.args[0]).__name__ for call in deepcopy.call_args_list}
    assert "Table" not in copied
    assert len(table.scan(TableName="app")["Items"]) == 55
