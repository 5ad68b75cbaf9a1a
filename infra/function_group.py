"""One function group: its Lambda function (a HeraldFunction) and what the group may touch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, Size, Stack
from constructs import Construct

from functions.shared.groups import FunctionGroup
from infra.config import HeraldConfig
from infra.foundation import Foundation
from infra.herald_function import HeraldFunction
from infra.nag import acknowledge_wildcard

# Scan is left out on purpose: no request path scans (DESIGN section 4). Transactions are
# authorised through the item actions they contain.
TABLE_READ_WRITE = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)
OBJECT_READ_WRITE = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
ENVELOPE_ENCRYPTION = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
# Every function verifies access tokens with the signing key's public key; only auth signs.
VERIFY_TOKENS = ("kms:GetPublicKey",)
SIGN_TOKENS = ("kms:Sign", "kms:GetPublicKey")
SEND_MAIL = ("ses:SendEmail",)  # SES API v2 SendEmail
READ_SECRET = ("secretsmanager:GetSecretValue",)
MANAGE_SCHEDULES = (
    "scheduler:CreateSchedule",
    "scheduler:UpdateSchedule",
    "scheduler:DeleteSchedule",
    "scheduler:GetSchedule",
)


@dataclass(frozen=True, slots=True)
class Access:
    """What a group may touch beyond the application table, which every group reads and writes."""

    idempotency_table: bool = False
    media_prefix: str | None = None  # object key prefix in the media bucket
    tags_uploads: bool = False  # signs presigned POSTs that tag each upload (storage.py)
    data_key: bool = False  # envelope encryption of platform tokens
    # put events on the bus directly; domain events go through the outbox and its relay instead
    put_events: bool = False
    schedules: bool = False  # manage schedules in Herald's group, passing the scheduler role
    sign_tokens: bool = False  # sign access tokens with the signing key (all others only verify)
    send_mail: bool = False  # send email through SES as the `mailFrom` domain
    # read the platforms' OAuth client credentials; knows the API's URL (OAuth redirects)
    platform_credentials: bool = False
    memory_mb: int = 512  # Lambda's CPU share grows with its memory
    tmp_mb: int = 512  # ephemeral storage in /tmp
    # API Gateway gives up on an integration after 29 s; longer only for a group whose
    # function also runs workflow steps.
    timeout_seconds: int = 29

    def __post_init__(self) -> None:
        if self.platform_credentials and not self.data_key:
            raise ValueError("the credentials secret is encrypted with the data key")
        if self.tags_uploads and self.media_prefix is None:
            raise ValueError("uploads are tagged under the group's media prefix")


GROUP_ACCESS: dict[str, Access] = {
    # Password hashing (argon2id, 19 MiB per hash) is CPU-bound: 1024 MB gets it more CPU.
    "auth": Access(
        media_prefix="users/", tags_uploads=True, sign_tokens=True, send_mail=True, memory_mb=1024
    ),
    "publish": Access(
        idempotency_table=True,
        data_key=True,
        schedules=True,
        platform_credentials=True,
    ),
    # Completing an upload decodes images of up to 100 MP and probes videos downloaded to /tmp.
    "media": Access(media_prefix="workspaces/", tags_uploads=True, memory_mb=2048, tmp_mb=2048),
    # Generated media, stored as they come; the video steps download a clip of up to 1 GiB to
    # /tmp and upload it, which may outlast an API request (infra/media_jobs.py).
    "generation": Access(
        media_prefix="workspaces/", memory_mb=1024, tmp_mb=2048, timeout_seconds=300
    ),
    # platform_credentials: the platforms' webhook secrets, and the data deletion status URL.
    "webhooks": Access(
        idempotency_table=True, put_events=True, data_key=True, platform_credentials=True
    ),
    "analytics": Access(),
}


class FunctionGroupConstruct(HeraldFunction):
    """The function of one API group, allowed what GROUP_ACCESS gives the group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        group: FunctionGroup,
        code_path: Path,
        foundation: Foundation,
        config: HeraldConfig,
        api_base_url: str | None = None,
    ) -> None:
        """`api_base_url`: the API's public base URL, needed by groups that run OAuth logins."""
        access = GROUP_ACCESS[group.name]
        super().__init__(
            scope,
            construct_id,
            title=f"Herald {group.name} function",
            description=f"Herald {group.name} API",
            handler=group.handler,
            code_path=code_path,
            foundation=foundation,
            service_name=f"herald-{group.name}",
            environment=group_environment(group, access, foundation, config, api_base_url),
            memory_mb=access.memory_mb,
            tmp=Size.mebibytes(access.tmp_mb),
            timeout=Duration.seconds(access.timeout_seconds),
        )
        self.group = group
        self.access = access
        self.api_base_url = api_base_url
        grant_group_access(self, access, foundation, config)


def group_environment(
    group: FunctionGroup,
    access: Access,
    foundation: Foundation,
    config: HeraldConfig,
    api_base_url: str | None,
) -> dict[str, str]:
    """Exactly the names functions/shared/settings.py reads, plus Powertools' own.

    Left unset: HERALD_JWT_PUBLIC_JWKS (extra verification keys, none until a signing key
    is rolled), HERALD_MAIL_OUTBOX_DIR and HERALD_PLATFORM_CREDENTIALS_FILE (local mode only:
    in AWS, mail goes through SES and credentials come from the secret), and the platform
    API versions (their defaults in settings.py are the versions the adapters were written
    against).
    """
    environment = {
        "HERALD_STAGE": config.stage,
        "HERALD_VERSION": config.version,
        "HERALD_TABLE_NAME": foundation.app_table.table_name,
        "HERALD_IDEMPOTENCY_TABLE_NAME": foundation.idempotency_table.table_name,
        "HERALD_MEDIA_BUCKET": foundation.media_bucket.bucket_name,
        "HERALD_KMS_KEY_ID": foundation.data_key.key_arn,
        "HERALD_EVENT_BUS_NAME": foundation.event_bus.event_bus_name,
        "HERALD_SCHEDULE_GROUP": foundation.schedule_group.ref,
        "HERALD_SCHEDULER_ROLE_ARN": foundation.scheduler_role.role_arn,
        "HERALD_JWT_SIGNING_KEY_ID": foundation.signing_key.key_arn,
        "HERALD_DASHBOARD_URL": config.dashboard_url,
        "HERALD_CORS_ORIGINS": ",".join(config.cors_origins),
        "POWERTOOLS_METRICS_NAMESPACE": "Herald",
        "POWERTOOLS_LOG_LEVEL": config.log_level,
    }
    if access.send_mail:
        environment["HERALD_MAIL_FROM"] = config.mail_from
    if access.platform_credentials:
        if not api_base_url:
            raise ValueError(f"the {group.name} group needs the API's base URL")
        environment["HERALD_PLATFORM_CREDENTIALS_SECRET"] = (
            foundation.platform_credentials.secret_arn
        )
        environment["HERALD_API_BASE_URL"] = api_base_url
    return environment


def grant_group_access(
    function: HeraldFunction, access: Access, foundation: Foundation, config: HeraldConfig
) -> None:
    """Allow `function` what `access` gives a group (the publish worker does its group's work)."""
    app_table = foundation.app_table
    app_indexes = f"{app_table.table_arn}/index/*"
    function.allow(TABLE_READ_WRITE, app_table.table_arn)
    function.allow(("dynamodb:Query",), app_indexes)
    acknowledge_wildcard(
        function.role,
        app_indexes,
        "Queries on the application table's indexes only; the index names change as access "
        "patterns are added, the table stays the same.",
    )
    if access.idempotency_table:
        function.allow(TABLE_READ_WRITE, foundation.idempotency_table.table_arn)
    if access.media_prefix is not None:
        objects = foundation.media_bucket.arn_for_objects(f"{access.media_prefix}*")
        tagging = ("s3:PutObjectTagging",) if access.tags_uploads else ()
        function.allow((*OBJECT_READ_WRITE, *tagging), objects)
        acknowledge_wildcard(
            function.role,
            objects,
            f"Objects under the `{access.media_prefix}` key prefix of the media bucket only; "
            "object keys are generated per upload, so a prefix is the narrowest grant.",
        )
    if access.data_key:
        function.allow(ENVELOPE_ENCRYPTION, foundation.data_key.key_arn)
    if access.platform_credentials:
        # The secret is encrypted with the data key: reading it needs kms:Decrypt on that
        # key too, which only a group with `data_key` has.
        function.allow(READ_SECRET, foundation.platform_credentials.secret_arn)
    signing_key = foundation.signing_key.key_arn
    function.allow(SIGN_TOKENS if access.sign_tokens else VERIFY_TOKENS, signing_key)
    if access.send_mail:
        function.allow(SEND_MAIL, mail_identity_arn(function, config))
    if access.put_events:
        function.allow(("events:PutEvents",), foundation.event_bus.event_bus_arn)
    if access.schedules:
        function.allow(MANAGE_SCHEDULES, foundation.schedules_arn)
        acknowledge_wildcard(
            function.role,
            foundation.schedules_arn,
            "Schedules inside Herald's own schedule group only; one schedule is created "
            "per scheduled post, named after the post, so names are not known in advance.",
        )
        function.allow(
            ("iam:PassRole",),
            foundation.scheduler_role.role_arn,
            conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
        )


def mail_identity_arn(scope: Construct, config: HeraldConfig) -> str:
    """The SES identity of the `mailFrom` domain (verified out of band, not by this stack)."""
    return Stack.of(scope).format_arn(
        service="ses", resource="identity", resource_name=config.mail_domain
    )


def construct_id_for(group: FunctionGroup) -> str:
    """`Auth`, `Publish`...: readable logical ids such as `AuthFunction1A2B3C4D`."""
    return group.name.capitalize()
