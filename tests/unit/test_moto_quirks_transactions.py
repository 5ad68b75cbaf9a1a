"""Local mode's DynamoDB corrections (infra/local/moto_quirks.py) keep DynamoDB's transaction
semantics: all or nothing
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html),
while each table is snapshot once per transaction."""

import copy
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local import moto_quirks

REGION = "us-east-1"


@pytest.fixture
def table() -> Iterator[Any]:
    moto_quirks.serialize_dynamodb_requests()
    moto_quirks.snapshot_each_table_once_per_transaction()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="app",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
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


def test_a_transaction_snapshots_its_table_once(table: Any) -> None:
    with mock.patch.object(copy, "deepcopy", wraps=copy.deepcopy) as deepcopy:
        table.transact_write_items(TransactItems=[put(f"item-{n}") for n in range(5)])

    tables = [call for call in deepcopy.call_args_list if type(call.args[0]).__name__ == "Table"]
    assert len(tables) == 1
