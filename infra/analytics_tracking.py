"""Tracked events' raw store: an Amazon Data Firehose stream that delivers each event to S3,
partitioned by workspace and UTC day (dynamic partitioning) and converted to Parquet with the
schema of the Glue table Athena queries (infra/analytics_engine.py), and the bucket they land
in, whose lifecycle expires them after the retention (context `trackedEventsRetentionDays`,
default 395 days: a year and a month, for year-on-year funnels).

The analytics function may put records on the stream and read (list and get) under `events/`;
the stream's own role may only write to the bucket and read the table's schema. The object
layout is the one functions/analytics/adapters/event_files.py reads. The function also writes
large CSV exports of its reports to the media bucket, under `workspaces/<ws>/exports/`, and
signs their download URLs (functions/analytics/adapters/exports.py); a lifecycle rule of the
media bucket expires them (infra/foundation.py).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from functions.analytics.adapters.event_files import EVENTS_PREFIX
from functions.analytics.adapters.exports import EXPORTS_FOLDER
from functions.analytics.domain.queries import EVENTS_RELATION
from infra.analytics_engine import EventsCatalog, QueryEngine
from infra.foundation import Foundation
from infra.function_group import FunctionGroupConstruct
from infra.nag import acknowledge_wildcard

DEFAULT_RETENTION_DAYS = 395
# workspace and UTC day of each record: the event's `timestamp` is UTC text, its first 10
# characters the day (functions/analytics/domain/ingestion.py).
PARTITION_QUERY = "{workspace:.workspace_id,dt:.timestamp[0:10]}"
PARTITIONED_PREFIX = (
    f"{EVENTS_PREFIX}workspace=!{{partitionKeyFromQuery:workspace}}/"
    "dt=!{partitionKeyFromQuery:dt}/"
)
ERROR_PREFIX = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
# Firehose names objects without an extension unless told (the Parquet it writes needs none).
FILE_EXTENSION = ".parquet"


class AnalyticsTracking(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        analytics: FunctionGroupConstruct,
        foundation: Foundation,
    ) -> None:
        super().__init__(scope, construct_id)
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
        self.catalog = EventsCatalog(self, "Catalog", bucket=self.bucket, retention_days=retention)
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
        # Record format conversion reads the table's schema (its latest version) at delivery.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
                resources=[
                    self.catalog.catalog_arn,
                    self.catalog.database_arn,
                    self.catalog.table_arn,
                ],
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
                # Parquet compresses its pages itself (Snappy); the object must stay unwrapped.
                compression_format="UNCOMPRESSED",
                file_extension=FILE_EXTENSION,
                data_format_conversion_configuration=firehose.CfnDeliveryStream.DataFormatConversionConfigurationProperty(
                    enabled=True,
                    input_format_configuration=firehose.CfnDeliveryStream.InputFormatConfigurationProperty(
                        deserializer=firehose.CfnDeliveryStream.DeserializerProperty(
                            open_x_json_ser_de=firehose.CfnDeliveryStream.OpenXJsonSerDeProperty()
                        )
                    ),
                    output_format_configuration=firehose.CfnDeliveryStream.OutputFormatConfigurationProperty(
                        serializer=firehose.CfnDeliveryStream.SerializerProperty(
                            parquet_ser_de=firehose.CfnDeliveryStream.ParquetSerDeProperty(
                                compression="SNAPPY"
                            )
                        )
                    ),
                    schema_configuration=firehose.CfnDeliveryStream.SchemaConfigurationProperty(
                        catalog_id=Stack.of(self).account,
                        database_name=self.catalog.database_name,
                        table_name=EVENTS_RELATION,
                        region=Stack.of(self).region,
                        role_arn=role.role_arn,
                        version_id="LATEST",
                    ),
                ),
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
        self.stream.add_dependency(self.catalog.table)

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
        self.engine = QueryEngine(
            self,
            "Engine",
            analytics=analytics,
            catalog=self.catalog,
            events_bucket=self.bucket,
            foundation=foundation,
        )
