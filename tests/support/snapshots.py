"""What a workspace holds, exactly as stored: its table partition and its media objects.

Isolation and "writes nothing" tests take one before and one after and compare them whole, so a
changed attribute, an added item or a rewritten object fails them, not only a missing key.
"""

from typing import Any

import boto3

from functions.shared.settings import get_settings
from functions.shared.storage import WORKSPACES_PREFIX

RATE_LIMIT_PREFIX = "RATE#"


def workspace_items(workspace_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item of the workspace's partition, exactly as stored, but its rate-limit counters:
    every request acting in the workspace counts, refused or not (tests/auth/test_rate_limits.py
    tests them)."""
    table = boto3.resource("dynamodb", region_name=get_settings().region).Table(
        get_settings().table_name
    )
    query: dict[str, Any] = {
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": f"WS#{workspace_id}"},
        "ConsistentRead": True,
    }
    items: dict[tuple[str, str], dict[str, Any]] = {}
    while True:
        page = table.query(**query)
        items.update(
            {
                (str(item["PK"]), str(item["SK"])): item
                for item in page["Items"]
                if not str(item["SK"]).startswith(RATE_LIMIT_PREFIX)
            }
        )
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def workspace_objects(workspace_id: str) -> dict[str, tuple[str, int]]:
    """Every object under the workspace's folder of the media bucket: its ETag and size."""
    s3 = boto3.client("s3", region_name=get_settings().region)
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=get_settings().media_bucket, Prefix=f"{WORKSPACES_PREFIX}/{workspace_id}/"
    )
    return {
        entry["Key"]: (entry["ETag"], entry["Size"])
        for page in pages
        for entry in page.get("Contents", [])
    }
