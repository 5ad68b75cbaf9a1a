"""Athena over the tracked events (infra/analytics_engine.py): the Glue table Firehose converts to
and Athena reads, with partition projection on workspace and day; the workgroup's enforced
result location, encryption and bytes-scanned limit; results that expire. The analytics
function's rights to them are checked with every other role's in test_permissions.py."""

from typing import Any

from functions.analytics.domain.event_queries import QUERY_DAYS
from functions.analytics.domain.queries import EVENT_COLUMNS, EVENTS_RELATION
from infra.analytics_engine import DEFAULT_BYTES_LIMIT
from tests.infra.synthesized import Synthesized, flatten


def only(synthesized: Synthesized, cfn_type: str) -> dict[str, Any]:
    (resource,) = synthesized.of_type(cfn_type).values()
    properties: dict[str, Any] = resource["Properties"]
    return properties


def test_the_table_projects_workspace_and_day_partitions_over_the_parquet_files(
    synthesized: Synthesized,
) -> None:
    tracking = synthesized.stack.analytics_tracking
    database = only(synthesized, "AWS::Glue::Database")["DatabaseInput"]["Name"]
    table = only(synthesized, "AWS::Glue::Table")
    assert table["DatabaseName"] == database == tracking.catalog.database_name
    spec = table["TableInput"]
    assert spec["Name"] == EVENTS_RELATION
    assert spec["PartitionKeys"] == [
        {"Name": "workspace", "Type": "string"},
        {"Name": "dt", "Type": "string"},
    ]
    columns = spec["StorageDescriptor"]["Columns"]
    assert [c["Name"] for c in columns] == list(EVENT_COLUMNS)
    assert {c["Name"]: c["Type"] for c in columns}["ts_ms"] == "bigint"
    assert spec["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith(
        "ParquetHiveSerDe"
    )
    bucket = f"<{synthesized.logical_id(tracking.bucket)}>"
    parameters = spec["Parameters"]
    # https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
    assert {
        key: value for key, value in parameters.items() if key != "storage.location.template"
    } == {
        "classification": "parquet",
        "projection.enabled": "true",
        # Injected: a query must name its workspace (every query of domain/queries.py does).
        "projection.workspace.type": "injected",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "NOW-395DAYS,NOW+1DAYS",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    }
    assert flatten(parameters["storage.location.template"]) == (
        f"s3://{bucket}/events/workspace=${{workspace}}/dt=${{dt}}/"
    )


def test_firehose_converts_records_to_parquet_with_the_table_schema(
    synthesized: Synthesized,
) -> None:
    stream = only(synthesized, "AWS::KinesisFirehose::DeliveryStream")
    destination = stream["ExtendedS3DestinationConfiguration"]
    conversion = destination["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert conversion["InputFormatConfiguration"] == {"Deserializer": {"OpenXJsonSerDe": {}}}
    assert conversion["OutputFormatConfiguration"] == {
        "Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}
    }
    schema = conversion["SchemaConfiguration"]
    assert schema["DatabaseName"] == synthesized.stack.analytics_tracking.catalog.database_name
    assert schema["TableName"] == EVENTS_RELATION
    assert schema["VersionId"] == "LATEST"
    # Parquet compresses its own pages; a wrapped file would be unreadable to Athena.
    assert destination["CompressionFormat"] == "UNCOMPRESSED"
    assert destination["FileExtension"] == ".parquet"


def test_the_workgroup_enforces_its_result_location_and_a_bytes_scanned_limit(
    synthesized: Synthesized,
) -> None:
    engine = synthesized.stack.analytics_tracking.engine
    workgroup = only(synthesized, "AWS::Athena::WorkGroup")
    configuration = workgroup["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == DEFAULT_BYTES_LIMIT
    assert configuration["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    results = configuration["ResultConfiguration"]
    assert flatten(results["OutputLocation"]) == (
        f"s3://<{synthesized.logical_id(engine.results_bucket)}>/athena/"
    )
    assert results["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    bucket = synthesized.resources[synthesized.logical_id(engine.results_bucket)]["Properties"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == QUERY_DAYS
    assert bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
