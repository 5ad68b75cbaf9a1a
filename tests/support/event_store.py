"""The tracked events' bucket and Firehose stream in moto, configured as
infra/analytics_tracking.py configures them and delivering as Firehose does
(infra/local/moto_quirks.py), for the tests that send events: analytics' and tracked links'."""

import json
from typing import Any

import boto3

from functions.shared.settings import get_settings
from infra.analytics_tracking import ERROR_PREFIX, PARTITION_QUERY, PARTITIONED_PREFIX
from infra.local.moto_quirks import partition_firehose_deliveries


def open_event_store() -> None:
    """Firehose delivering as it does in AWS, and the bucket and the stream."""
    partition_firehose_deliveries()
    create_event_store()


def create_event_store() -> None:
    """The bucket and the stream, as the stack defines them."""
    settings = get_settings()
    boto3.client("s3", region_name=settings.region).create_bucket(Bucket=settings.analytics_bucket)
    boto3.client("firehose", region_name=settings.region).create_delivery_stream(
        DeliveryStreamName=settings.analytics_stream_name,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/herald-test-firehose",
            "BucketARN": f"arn:aws:s3:::{settings.analytics_bucket}",
            "Prefix": PARTITIONED_PREFIX,
            "ErrorOutputPrefix": ERROR_PREFIX,
            "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 64},
            "DynamicPartitioningConfiguration": {"Enabled": True},
            "ProcessingConfiguration": {
                "Enabled": True,
                "Processors": [
                    {
                        "Type": "MetadataExtraction",
                        "Parameters": [
                            {
                                "ParameterName": "MetadataExtractionQuery",
                                "ParameterValue": PARTITION_QUERY,
                            },
                            {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                        ],
                    }
                ],
            },
        },
    )


def stored_objects() -> dict[str, list[dict[str, Any]]]:
    """Every object of the events bucket, by key, as its parsed JSON lines."""
    settings = get_settings()
    s3 = boto3.client("s3", region_name=settings.region)
    found = s3.list_objects_v2(Bucket=settings.analytics_bucket).get("Contents", [])
    return {
        entry["Key"]: [
            json.loads(line)
            for line in s3.get_object(Bucket=settings.analytics_bucket, Key=entry["Key"])["Body"]
            .read()
            .decode()
            .splitlines()
        ]
        for entry in found
    }
