"""The tracked events' bucket and Firehose stream in moto, configured as
infra/analytics_tracking.py configures them and delivering as Firehose does
(infra/local/moto_quirks.py), for the tests that send events: analytics' and tracked links'."""

import json
import tempfile
from pathlib import Path
from typing import Any

import boto3
import duckdb

from functions.shared.settings import get_settings
from infra.analytics_tracking import (
    ERROR_PREFIX,
    FILE_EXTENSION,
    PARTITION_QUERY,
    PARTITIONED_PREFIX,
)
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
            "FileExtension": FILE_EXTENSION,
            "DataFormatConversionConfiguration": {
                "Enabled": True,
                "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
                "OutputFormatConfiguration": {
                    "Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}
                },
                "SchemaConfiguration": {
                    "DatabaseName": "herald_local_events",
                    "TableName": "tracked_events",
                    "RoleARN": "arn:aws:iam::123456789012:role/herald-test-firehose",
                    "Region": settings.region,
                },
            },
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
    """Every object of the events bucket, by key, as its records (Parquet rows, `properties`
    parsed back from the JSON text the conversion stores)."""
    settings = get_settings()
    s3 = boto3.client("s3", region_name=settings.region)
    found = s3.list_objects_v2(Bucket=settings.analytics_bucket).get("Contents", [])
    objects = {}
    with tempfile.TemporaryDirectory() as folder:
        for index, entry in enumerate(found):
            path = Path(folder) / f"{index}.parquet"
            s3.download_file(settings.analytics_bucket, entry["Key"], str(path))
            relation = duckdb.read_parquet(str(path))
            rows = [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
            for row in rows:
                if row["properties"] is not None:
                    row["properties"] = json.loads(row["properties"])
            objects[entry["Key"]] = rows
    return objects
