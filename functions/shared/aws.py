"""boto3 clients created once per execution environment, and only when first used.

Importing boto3 costs several hundred milliseconds, so no module imports it at load time: a
health check or a request that needs no AWS call never pays for it.
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from functions.shared.settings import get_settings

# Connections each client keeps open. The publish worker calls AWS from one thread per target, up
# to 25 at once; with botocore's default of 10, every call beyond opens a connection (a TLS
# handshake, in AWS) and throws it away afterwards.
MAX_POOL_CONNECTIONS = 32

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_firehose import FirehoseClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient


@cache
def _client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=3,
        max_pool_connections=MAX_POOL_CONNECTIONS,
        # botocore presigns S3 URLs and forms with Signature Version 2 unless told otherwise, and
        # S3 refuses version 2 on buckets created after 24 June 2020, as every Herald bucket is.
        signature_version="s3v4" if service == "s3" else None,
    )
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        region_name=get_settings().region,
        config=config,
    )


def dynamodb() -> "DynamoDBClient":
    client: DynamoDBClient = _client("dynamodb")
    return client


def s3() -> "S3Client":
    client: S3Client = _client("s3")
    return client


def athena() -> "AthenaClient":
    client: AthenaClient = _client("athena")
    return client


def firehose() -> "FirehoseClient":
    client: FirehoseClient = _client("firehose")
    return client


def kms() -> "KMSClient":
    client: KMSClient = _client("kms")
    return client


def events() -> "EventBridgeClient":
    client: EventBridgeClient = _client("events")
    return client


def scheduler() -> "EventBridgeSchedulerClient":
    client: EventBridgeSchedulerClient = _client("scheduler")
    return client


def secretsmanager() -> "SecretsManagerClient":
    client: SecretsManagerClient = _client("secretsmanager")
    return client


def sesv2() -> "SESV2Client":
    client: SESV2Client = _client("sesv2")
    return client


def sqs() -> "SQSClient":
    client: SQSClient = _client("sqs")
    return client


def stepfunctions() -> "SFNClient":
    client: SFNClient = _client("stepfunctions")
    return client


@cache
def lambda_() -> "LambdaClient":
    """A Lambda client of boto3's default session, unlike the others: local mode answers the
    default session's `lambda:Invoke` calls with its in-process functions (infra/local)."""
    import boto3
    from botocore.config import Config

    client: LambdaClient = boto3.client(
        "lambda",
        region_name=get_settings().region,
        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3),
    )
    return client


@cache
def apigateway_management() -> "ApiGatewayManagementApiClient":
    """The API Gateway Management API of the WebSocket API's stage (settings'
    `realtime_callback_url`: the stage's callback URL in AWS, the local server in `make dev`)."""
    import boto3
    from botocore.config import Config

    client: ApiGatewayManagementApiClient = boto3.session.Session().client(
        "apigatewaymanagementapi",
        region_name=get_settings().region,
        endpoint_url=get_settings().realtime_callback_url,
        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3),
    )
    return client


def reset_clients() -> None:
    """Forget every client, e.g. after tests point the environment at another endpoint."""
    _client.cache_clear()
    lambda_.cache_clear()
    apigateway_management.cache_clear()
