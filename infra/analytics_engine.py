"""Athena over the raw tracked events: a Glue table of the Firehose prefix with partition
projection, which also gives Firehose the schema it converts the JSON records to Parquet with, and
an Athena workgroup whose results land in a bucket of their own and expire.

The table's partitions are projected, never crawled or added: `workspace` is `injected` (Athena
refuses a query that does not name one workspace, so a query cannot read another workspace's
files by omission) and `dt` a date range covering the retention. Only the analytics function
runs queries, and only in its workgroup, on this database and table, reading `events/` and
writing the results prefix (docs/analytics.md#engine).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from functions.analytics.adapters.event_files import EVENTS_PREFIX
from functions.analytics.domain.event_queries import QUERY_DAYS
from functions.analytics.domain.queries import EVENT_COLUMNS, EVENTS_RELATION
from infra.foundation import Foundation
from infra.function_group import FunctionGroupConstruct
from infra.nag import acknowledge_wildcard

RESULTS_PREFIX = "athena/"
# Per query: 10 GB of Parquet holds hundreds of millions of events' funnel columns, and caps
# one query's cost at $0.05 (CDK context `analyticsQueryBytesLimit`).
DEFAULT_BYTES_LIMIT = 10 * 1024**3
GLUE_TYPES = {"VARCHAR": "string", "BIGINT": "bigint"}
ENGINE_VERSION = "Athena engine version 3"


class EventsCatalog(Construct):
    """The Glue database and the `tracked_events` table over `s3://<bucket>/events/`."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bucket: s3.IBucket, retention_days: int
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.database_name = f"{stack.stack_name.lower().replace('-', '_')}_events"
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description="Herald's raw tracked events (Firehose to S3, Parquet)",
            ),
        )
        location = f"s3://{bucket.bucket_name}/{EVENTS_PREFIX}"
        self.table = glue.CfnTable(
            self,
            "Table",
            catalog_id=stack.account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=EVENTS_RELATION,
                description="Tracked events, one Parquet file per Firehose delivery",
                table_type="EXTERNAL_TABLE",
                partition_keys=[
                    glue.CfnTable.ColumnProperty(name="workspace", type="string"),
                    glue.CfnTable.ColumnProperty(name="dt", type="string"),
                ],
                parameters={
                    "classification": "parquet",
                    "projection.enabled": "true",
                    "projection.workspace.type": "injected",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    "projection.dt.range": f"NOW-{retention_days}DAYS,NOW+1DAYS",
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "DAYS",
                    "storage.location.template": location + "workspace=${workspace}/dt=${dt}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[
                        glue.CfnTable.ColumnProperty(name=name, type=GLUE_TYPES[kind])
                        for name, kind in EVENT_COLUMNS.items()
                    ],
                    location=location,
                    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=(
                            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                        )
                    ),
                ),
            ),
        )
        self.table.add_dependency(self.database)
        arn = f"arn:{stack.partition}:glue:{stack.region}:{stack.account}"
        self.catalog_arn = f"{arn}:catalog"
        self.database_arn = f"{arn}:database/{self.database_name}"
        self.table_arn = f"{arn}:table/{self.database_name}/{EVENTS_RELATION}"


class QueryEngine(Construct):
    """The analytics workgroup, its results bucket, and the analytics function's rights."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        analytics: FunctionGroupConstruct,
        catalog: EventsCatalog,
        events_bucket: s3.IBucket,
        foundation: Foundation,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        bytes_limit = int(
            self.node.try_get_context("analyticsQueryBytesLimit") or DEFAULT_BYTES_LIMIT
        )
        self.results_bucket = s3.Bucket(
            self,
            "ResultsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            server_access_logs_bucket=foundation.logs_bucket,
            server_access_logs_prefix="athena-results/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-query-results",
                    expiration=Duration.days(QUERY_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.workgroup_name = f"{stack.stack_name}-analytics"
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=self.workgroup_name,
            description="Herald's funnel and retention queries",
            recursive_delete_option=True,
            state="ENABLED",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                bytes_scanned_cutoff_per_query=bytes_limit,
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version=ENGINE_VERSION
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.results_bucket.bucket_name}/{RESULTS_PREFIX}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )
        workgroup_arn = (
            f"arn:{stack.partition}:athena:{stack.region}:{stack.account}"
            f":workgroup/{self.workgroup_name}"
        )
        analytics.allow(
            (
                "athena:StartQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:StopQueryExecution",
            ),
            workgroup_arn,
        )
        analytics.allow(
            ("glue:GetDatabase", "glue:GetTable"),
            catalog.catalog_arn,
            catalog.database_arn,
            catalog.table_arn,
        )
        # Athena reads the events and writes the results with the caller's rights.
        analytics.allow(
            ("s3:GetBucketLocation",), events_bucket.bucket_arn, self.results_bucket.bucket_arn
        )
        analytics.allow(
            ("s3:ListBucket",),
            self.results_bucket.bucket_arn,
            conditions={"StringLike": {"s3:prefix": [f"{RESULTS_PREFIX}*"]}},
        )
        results = self.results_bucket.arn_for_objects(f"{RESULTS_PREFIX}*")
        analytics.allow(
            (
                "s3:GetObject",
                "s3:PutObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ),
            results,
        )
        acknowledge_wildcard(
            analytics.role,
            results,
            "Athena names each result object after its query execution, so the results prefix "
            "is the narrowest grant.",
        )
        wiring = {
            "HERALD_ANALYTICS_ENGINE": "athena",
            "HERALD_ANALYTICS_ATHENA_WORKGROUP": self.workgroup.ref,
            "HERALD_ANALYTICS_GLUE_DATABASE": catalog.database_name,
        }
        for variable, value in wiring.items():
            analytics.function.add_environment(variable, value)
