"""Tracked events' raw store: an Amazon Data Firehose stream that delivers each event to S3,
partitioned by workspace and UTC day (dynamic partitioning), and the bucket they land in, whose
lifecycle expires them after the retention (context `trackedEventsRetentionDays`, default 395
days: a year and a month, for year-on-year funnels).

The analytics function carries DuckDB in a layer of its own. It may put records on the stream
and read (list and get) under `events/`; the stream's own role may only write to the bucket.
The object layout is the one functions/analytics/adapters/event_files.py reads. It also writes
large CSV exports of its reports to the media bucket, under `workspaces/<ws>/exports/`, and signs
their download URLs (functions/analytics/adapters/exports.py); a lifecycle rule of the media
bucket expires them (infra/foundation.py).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from functions.analytics.adapters.event_files import EVENTS_PREFIX
from functions.analytics.adapters.exports import EXPORTS_FOLDER
from infra import bundling
from infra.foundation import Foundation
from infra.function_group import FunctionGroupConstruct
from infra.nag import acknowledge_wildcard
from layers.ffmpeg.build import check_fits

DEFAULT_RETENTION_DAYS = 395
# workspace and UTC day of each record: the event's `timestamp` is UTC text, its first 10
# characters the day (functions/analytics/domain/ingestion.py).
PARTITION_QUERY = "{workspace:.workspace_id,dt:.timestamp[0:10]}"
PARTITIONED_PREFIX = (
    f"{EVENTS_PREFIX}workspace=!{{partitionKeyFromQuery:workspace}}/"
    "dt=!{partitionKeyFromQuery:dt}/"
)
ERROR_PREFIX = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
DUCKDB_LAYER_DIR = bundling.BUILD_DIR / "layers" / "duckdb"
DUCKDB_LAYER_STAMP = bundling.BUILD_DIR / "layers" / "duckdb.stamp"


def build_duckdb_layer() -> Path:
    """`build/layers/duckdb/python`: the DuckDB wheel pinned in uv.lock, for Lambda's platform."""
    return bundling.build_python_layer(
        DUCKDB_LAYER_DIR, DUCKDB_LAYER_STAMP, f"duckdb=={version('duckdb')}\n"
    )


class AnalyticsTracking(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        analytics: FunctionGroupConstruct,
        code_path: Path,
        dependencies_layer_path: Path,
        foundation: Foundation,
    ) -> None:
        super().__init__(scope, construct_id)
        # Funnels and retention run DuckDB in the function: a layer of its own, since the shared
        # dependency layer must leave room for the media function's FFmpeg.
        duckdb_layer_path = build_duckdb_layer()
        check_fits(duckdb_layer_path, dependencies_layer_path, code_path)
        self.duckdb_layer = lambda_.LayerVersion(
            self,
            "DuckDbLayer",
            code=lambda_.Code.from_asset(str(duckdb_layer_path)),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description="DuckDB for Herald's funnels and retention",
        )
        analytics.function.add_layers(self.duckdb_layer)
        retention = int(
            self.node.try_get_context("trackedEventsRetentionDays") or DEFAULT_RETENTION_DAYS
        )
        self.bucket = s3.Bucket(
            self,
            "EventsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            server_access_logs_bucket=foundation.logs_bucket,
            server_access_logs_prefix="tracked-events/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-tracked-events",
                    prefix=EVENTS_PREFIX,
                    expiration=Duration.days(retention),
                ),
                s3.LifecycleRule(
                    id="expire-delivery-errors", prefix="errors/", expiration=Duration.days(30)
                ),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.delivery_logs = log_group = logs.LogGroup(
            self,
            "DeliveryLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        log_stream = logs.LogStream(self, "S3Delivery", log_group=log_group)
        self.delivery_role = role = iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="Herald: Firehose delivers tracked events to their bucket",
        )
        objects = self.bucket.arn_for_objects("*")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "s3:AbortMultipartUpload",
                    "s3:GetBucketLocation",
                    "s3:ListBucket",
                    "s3:ListBucketMultipartUploads",
                    "s3:PutObject",
                ],
                resources=[self.bucket.bucket_arn, objects],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        )
        acknowledge_wildcard(
            role,
            objects,
            "Firehose names each object it delivers (partition, time and a random id), so "
            "objects of this bucket only is the narrowest grant.",
        )
        self.stream = firehose.CfnDeliveryStream(
            self,
            "Stream",
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=(
                firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                    key_type="AWS_OWNED_CMK"
                )
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=self.bucket.bucket_arn,
                role_arn=role.role_arn,
                prefix=PARTITIONED_PREFIX,
                error_output_prefix=ERROR_PREFIX,
                # Dynamic partitioning needs at least 64 MB; 60 s keeps events reaching
                # funnels within about a minute.
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=60, size_in_m_bs=64
                ),
                compression_format="UNCOMPRESSED",
                dynamic_partitioning_configuration=firehose.CfnDeliveryStream.DynamicPartitioningConfigurationProperty(
                    enabled=True,
                    retry_options=firehose.CfnDeliveryStream.RetryOptionsProperty(
                        duration_in_seconds=300
                    ),
                ),
                processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                    enabled=True,
                    processors=[
                        firehose.CfnDeliveryStream.ProcessorProperty(
                            type="MetadataExtraction",
                            parameters=[
                                firehose.CfnDeliveryStream.ProcessorParameterProperty(
                                    parameter_name="MetadataExtractionQuery",
                                    parameter_value=PARTITION_QUERY,
                                ),
                                firehose.CfnDeliveryStream.ProcessorParameterProperty(
                                    parameter_name="JsonParsingEngine",
                                    parameter_value="JQ-1.6",
                                ),
                            ],
                        )
                    ],
                ),
                cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                    enabled=True,
                    log_group_name=log_group.log_group_name,
                    log_stream_name=log_stream.log_stream_name,
                ),
            ),
        )
        self.stream.node.add_dependency(role)

        wiring = {
            "HERALD_ANALYTICS_STREAM_NAME": self.stream.ref,
            "HERALD_ANALYTICS_BUCKET": self.bucket.bucket_name,
        }
        for variable, value in wiring.items():
            analytics.function.add_environment(variable, value)
        analytics.allow(("firehose:PutRecordBatch",), self.stream.attr_arn)
        analytics.allow(
            ("s3:ListBucket",),
            self.bucket.bucket_arn,
            conditions={"StringLike": {"s3:prefix": [f"{EVENTS_PREFIX}*"]}},
        )
        events = self.bucket.arn_for_objects(f"{EVENTS_PREFIX}*")
        analytics.allow(("s3:GetObject",), events)
        acknowledge_wildcard(
            analytics.role,
            events,
            "Reads the tracked-event files under `events/` only: Firehose names each object, "
            "so the prefix is the narrowest grant.",
        )
        exports = foundation.media_bucket.arn_for_objects(f"workspaces/*/{EXPORTS_FOLDER}/*")
        # Get: the presigned download URLs it hands out act with its rights. Tagging: each
        # export is tagged to expire.
        analytics.allow(("s3:PutObject", "s3:PutObjectTagging", "s3:GetObject"), exports)
        acknowledge_wildcard(
            analytics.role,
            exports,
            "CSV exports of reports only, in each workspace's `exports/` folder of the media "
            "bucket; each export's key is generated, so the prefix is the narrowest grant.",
        )
