"""What every function group shares: data, keys, the event bus, scheduling, queues and alarms."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as lambda_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.shared.storage import EXPIRING_DOWNLOAD_TAG, PENDING_UPLOAD_TAG
from infra.config import HeraldConfig
from infra.nag import acknowledge

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.X86_64
DLQ_RETENTION = Duration.days(14)
# Social accounts whose tokens expire soon, for the token refresher (the publish function).
DUE_INDEX = "by-due"
THREAD_INDEX = "by-thread"


class Foundation(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: HeraldConfig, layer_path: Path
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        # Envelope encryption of platform OAuth tokens; only the publish function may use it.
        self.data_key = kms.Key(
            self,
            "DataKey",
            description="Herald: envelope encryption of platform tokens",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.data_key_alias = self.data_key.add_alias(f"alias/herald-{config.stage}")

        # The platforms' OAuth client credentials (JSON, one per platform; docs/deploying.md).
        # Created holding `{}` (no platform configured): ops put the real value, which stack
        # updates leave alone as long as this placeholder does not change. Only the publish
        # function may read it, and only it may decrypt with the data key.
        self.platform_credentials = secretsmanager.Secret(
            self,
            "PlatformCredentials",
            description="Herald: OAuth client credentials of the social platforms (JSON)",
            secret_object_value={},
            encryption_key=self.data_key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.platform_credentials,
            "AwsSolutions-SMG4",
            "These are OAuth client secrets issued by each platform's developer console; they "
            "are rotated there, by hand, and then put here, so a rotation Lambda has nothing "
            "it could rotate.",
        )

        # Signs access tokens (ES256); the private key never leaves KMS. Only the auth function
        # may sign; every function reads the public key to verify.
        self.signing_key = kms.Key(
            self,
            "TokenSigningKey",
            description="Herald: signing of access tokens (ES256)",
            key_spec=kms.KeySpec.ECC_NIST_P256,
            key_usage=kms.KeyUsage.SIGN_VERIFY,
            # KMS rotates symmetric keys only; a new signing key is rolled in by hand, its
            # predecessor's public key kept in HERALD_JWT_PUBLIC_JWKS until its tokens expire.
            enable_key_rotation=False,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.signing_key_alias = self.signing_key.add_alias(f"alias/herald-{config.stage}-signing")

        self.app_table = dynamodb.Table(
            self,
            "AppTable",
            partition_key=dynamodb.Attribute(name="PK", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="SK", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",
            # The outbox relay reads new outbox items from it (infra/event_relay.py).
            stream=dynamodb.StreamViewType.NEW_IMAGE,
            deletion_protection=config.stage == "prod",
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Work that falls due at a time (tokens to refresh, posts to fire, targets to check),
        # sparse and in a few buckets per kind so that no partition gets hot.
        self.app_table.add_global_secondary_index(
            index_name=DUE_INDEX,
            partition_key=dynamodb.Attribute(name="due_bucket", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="due_at", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=["workspace_id", "account_id", "post_id"],
        )
        # An inbox conversation's items (only inbox items carry `thread_key`).
        self.app_table.add_global_secondary_index(
            index_name=THREAD_INDEX,
            partition_key=dynamodb.Attribute(name="thread_key", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="SK", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        # Powertools idempotency records: key `id`, expiry `expiration` (its defaults).
        self.idempotency_table = dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expiration",
            # Records live for hours; losing them with the stack loses nothing.
            removal_policy=RemovalPolicy.DESTROY,
        )

        self.logs_bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            # Server access log delivery supports SSE-S3 only.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(365))
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.media_bucket = s3.Bucket(
            self,
            "MediaBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix="media/",
            # Browsers upload with presigned POST straight to the bucket, and read back with
            # presigned GET, from the dashboard's origins only.
            cors=[
                s3.CorsRule(
                    allowed_origins=list(config.cors_origins),
                    allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
                    allowed_headers=["*"],
                    exposed_headers=["ETag"],
                    max_age=3000,
                )
            ],
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="tidy-versions-and-uploads",
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
                # Browser uploads are tagged pending by their presigned POST and stored anew,
                # untagged, when completed (functions/shared/storage.py): what still carries the
                # tag after the 24-hour completion window was abandoned.
                s3.LifecycleRule(
                    id="expire-abandoned-uploads",
                    tag_filters={PENDING_UPLOAD_TAG[0]: PENDING_UPLOAD_TAG[1]},
                    expiration=Duration.days(2),
                ),
                # Analytics CSV exports, tagged so when written: their download URLs last
                # minutes, the file a day.
                s3.LifecycleRule(
                    id="expire-downloads",
                    tag_filters={EXPIRING_DOWNLOAD_TAG[0]: EXPIRING_DOWNLOAD_TAG[1]},
                    expiration=Duration.days(1),
                    noncurrent_version_expiration=Duration.days(1),
                ),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.event_bus = events.EventBus(
            self, "DomainEvents", event_bus_name=f"herald-{config.stage}"
        )

        self.schedule_group = scheduler.CfnScheduleGroup(
            self, "ScheduleGroup", name=f"herald-{config.stage}"
        )
        self.schedules_arn = stack.format_arn(
            service="scheduler",
            resource="schedule",
            resource_name=f"{self.schedule_group.ref}/*",
        )

        # Failed asynchronous invocations of the functions (and, later, event deliveries).
        self.async_dlq = dead_letter_queue(self, "AsyncInvokeDlq")
        # Schedule deliveries that exhausted their retries.
        self.scheduler_dlq = dead_letter_queue(self, "SchedulerDlq")
        acknowledge(
            self.scheduler_dlq,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of Herald's schedules, which the publish function "
            "creates at run time, so no resource of the template names it as one; a queue behind "
            "it would have no consumer, and an alarm fires as soon as it holds a message.",
        )

        # EventBridge Scheduler assumes this role to invoke schedule targets; only schedules of
        # this account's Herald group may use it (confused-deputy protection).
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            description="Assumed by EventBridge Scheduler to deliver Herald schedules",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="scheduler",
                            resource="schedule-group",
                            resource_name=self.schedule_group.ref,
                        )
                    },
                },
            ),
        )
        self.scheduler_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"], resources=[self.scheduler_dlq.queue_arn]
            )
        )

        # A dedicated key: CloudWatch must be allowed to use the alarm topic's key, and it should
        # get nothing that can decrypt platform tokens.
        self.alarm_key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Herald: encryption of the alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        cloudwatch_principal = iam.ServicePrincipal(
            "cloudwatch.amazonaws.com",
            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
        )
        self.alarm_key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[cloudwatch_principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" means this key
            )
        )
        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Herald {config.stage} alarms",
            master_key=self.alarm_key,
            enforce_ssl=True,
        )
        self.alarm_topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[cloudwatch_principal],
                actions=["sns:Publish"],
                resources=[self.alarm_topic.topic_arn],
            )
        )
        for queue in (self.async_dlq, self.scheduler_dlq):
            alarm(
                self,
                queue.node.id + "NotEmpty",
                queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
                ),
                topic=self.alarm_topic,
                description=f"Messages are waiting in the dead-letter queue {queue.node.id}.",
            )

        self.dependencies_layer = lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            code=lambda_.Code.from_asset(str(layer_path)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Herald runtime dependencies (from uv.lock)",
        )


def dead_letter_queue(scope: Construct, construct_id: str) -> sqs.Queue:
    """A dead-letter queue as every Herald one is (the caller adds its alarm)."""
    # SQS-managed encryption: senders (every function) need no KMS permission.
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DLQ_RETENTION,
    )


def alarm(
    scope: Construct,
    construct_id: str,
    metric: cloudwatch.IMetric,
    *,
    topic: sns.ITopic,
    description: str,
    threshold: float = 0,
) -> cloudwatch.Alarm:
    """Alarm when `metric` rises above `threshold` in one period, notifying `topic`; no data is
    fine."""
    created = cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )
    created.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    return created


def consumed_queue(
    scope: Construct, construct_id: str, *, consumer_timeout: Duration, max_receives: int
) -> tuple[sqs.Queue, sqs.Queue]:
    """A queue a function consumes (an SQS event source), and its dead-letter queue
    (`DeadLetters`, 14 days) receiving a message after `max_receives` failed receives; the
    consumer is attached, and the dead letters' depth alarmed, by `consume_queue` once the
    function exists (it needs the queue's URL first)."""
    dead_letters = sqs.Queue(
        scope,
        "DeadLetters",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        # Six times the function's timeout, as AWS advises for an SQS event source.
        visibility_timeout=Duration.seconds(consumer_timeout.to_seconds() * 6),
        retention_period=Duration.days(4),
        dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=max_receives, queue=dead_letters),
    )
    return queue, dead_letters


def consume_queue(
    scope: Construct,
    consumer: lambda_.IFunction,
    queue: sqs.IQueue,
    dead_letters: sqs.IQueue,
    *,
    topic: sns.ITopic,
    dead_letters_description: str,
) -> cloudwatch.Alarm:
    """Let `consumer` read `queue` ten messages at a time (at most a second's wait), reporting
    the messages it failed so only those are offered again; and alarm (`DeadLettersAlarm`) on
    any message in `dead_letters`, a message that failed every receive."""
    consumer.add_event_source(
        lambda_sources.SqsEventSource(
            queue,
            batch_size=10,
            max_batching_window=Duration.seconds(1),
            report_batch_item_failures=True,
        )
    )
    return alarm(
        scope,
        "DeadLettersAlarm",
        dead_letters.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5), statistic="Maximum"
        ),
        topic=topic,
        description=dead_letters_description,
    )
