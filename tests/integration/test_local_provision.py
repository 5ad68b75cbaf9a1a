"""Provisioning creates a synthesized stack's resources in moto and derives the environment."""

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from functions.shared.groups import group_named
from infra.app import cdk_json_context
from infra.config import HeraldConfig
from infra.foundation import Foundation
from infra.function_group import FunctionGroupConstruct
from infra.local.cloud import ACCOUNT, REGION, LocalCloud
from infra.local.provision import Deployment, provision
from infra.local.template import TemplateError

pytestmark = pytest.mark.cdk


def foundation_template() -> dict[str, Any]:
    """A stack with one resource of each emulated kind, configured as Herald configures them."""
    app = cdk.App()
    stack = cdk.Stack(app, "Herald", env=cdk.Environment(account=ACCOUNT, region=REGION))
    table = dynamodb.Table(
        stack,
        "AppTable",
        partition_key=dynamodb.Attribute(name="PK", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="SK", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        time_to_live_attribute="expires_at",
    )
    table.add_global_secondary_index(
        index_name="GSI1",
        partition_key=dynamodb.Attribute(name="GSI1PK", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="GSI1SK", type=dynamodb.AttributeType.STRING),
    )
    bucket = s3.Bucket(
        stack,
        "MediaBucket",
        versioned=True,
        enforce_ssl=True,
        cors=[
            s3.CorsRule(
                allowed_origins=["http://localhost:3000"],
                allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.GET],
                allowed_headers=["*"],
                exposed_headers=["ETag"],
                max_age=3000,
            )
        ],
    )
    dead_letters = sqs.Queue(stack, "Dlq", encryption=sqs.QueueEncryption.SQS_MANAGED)
    queue = sqs.Queue(
        stack,
        "WorkQueue",
        visibility_timeout=cdk.Duration.seconds(90),
        dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=3),
    )
    key = kms.Key(stack, "DataKey", enable_key_rotation=True)
    alias = key.add_alias("alias/herald-dev")
    bus = events.EventBus(stack, "DomainEvents", event_bus_name="herald-dev")
    group = scheduler.CfnScheduleGroup(stack, "ScheduleGroup", name="herald-dev")
    environment = {
        "HERALD_TABLE_NAME": table.table_name,
        "TABLE_ARN": table.table_arn,
        "HERALD_MEDIA_BUCKET": bucket.bucket_name,
        "WORK_QUEUE_URL": queue.queue_url,
        "HERALD_KMS_KEY_ID": key.key_arn,
        "KEY_ALIAS": alias.alias_name,
        "HERALD_EVENT_BUS_NAME": bus.event_bus_name,
        "HERALD_SCHEDULE_GROUP": group.ref,
        "HERALD_CORS_ORIGINS": "https://app.example.com",
    }
    for name in ("auth", "publish"):
        lambda_.Function(
            stack,
            f"{name.capitalize()}Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            code=lambda_.Code.from_inline("def handler(event, context): pass"),
            handler=f"functions.{name}.app.handler",
            memory_size=512,
            timeout=cdk.Duration.seconds(29),
            environment={**environment, "POWERTOOLS_SERVICE_NAME": f"herald-{name}"},
        )
    lambda_.Function(
        stack,
        "NodeHelper",
        runtime=lambda_.Runtime.NODEJS_22_X,
        code=lambda_.Code.from_inline("exports.handler = async () => ({})"),
        handler="index.handler",
        environment={"HERALD_CORS_ORIGINS": "something else entirely"},
    )
    return dict(Template.from_stack(stack).to_json())


def herald_template(assets: Path) -> dict[str, Any]:
    """Herald's own foundation and auth function constructs, with empty code assets.

    Stage `test`, so that the names of the event bus, schedule group and aliases do not clash
    with those of `foundation_template` in the same moto server.
    """
    (assets / "python").mkdir(exist_ok=True)
    app = cdk.App(context=cdk_json_context())  # Herald's feature flags
    stack = cdk.Stack(app, "Herald")
    config = HeraldConfig.from_context({"stage": "test"})
    foundation = Foundation(stack, "Foundation", config=config, layer_path=assets)
    FunctionGroupConstruct(
        stack,
        "Auth",
        group=group_named("auth"),
        code_path=assets,
        foundation=foundation,
        config=config,
    )
    return dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    cloud = LocalCloud().start()
    yield cloud
    cloud.stop()


@pytest.fixture(scope="module")
def deployment(cloud: LocalCloud) -> Deployment:
    return provision(foundation_template(), cloud.client, region=REGION, account=ACCOUNT)


@pytest.fixture(scope="module")
def herald_deployment(cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    template = herald_template(tmp_path_factory.mktemp("assets"))
    return provision(template, cloud.client, region=REGION, account=ACCOUNT)


def test_python_functions_become_in_process_functions(deployment: Deployment) -> None:
    functions = {function.handler: function for function in deployment.functions}

    assert set(functions) == {"functions.auth.app.handler", "functions.publish.app.handler"}
    auth = functions["functions.auth.app.handler"]
    assert auth.name.startswith("herald-local-AuthFunction")
    assert auth.arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{auth.name}"
    assert (auth.memory_mb, auth.timeout_seconds) == (512, 29)


def test_the_table_has_its_keys_index_and_ttl(cloud: LocalCloud, deployment: Deployment) -> None:
    dynamodb_client = cloud.client("dynamodb")
    name = deployment.environment["HERALD_TABLE_NAME"]

    table = dynamodb_client.describe_table(TableName=name)["Table"]

    assert table["TableArn"] == deployment.environment["TABLE_ARN"]
    assert table["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["GSI1"]
    ttl = dynamodb_client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_the_bucket_has_its_cors_rules_and_versioning(
    cloud: LocalCloud, deployment: Deployment
) -> None:
    s3_client = cloud.client("s3")
    bucket = deployment.environment["HERALD_MEDIA_BUCKET"]

    (rule,) = s3_client.get_bucket_cors(Bucket=bucket)["CORSRules"]

    assert rule["AllowedOrigins"] == ["http://localhost:3000"]
    assert sorted(rule["AllowedMethods"]) == ["GET", "POST"]
    assert rule["ExposeHeaders"] == ["ETag"]
    assert rule["MaxAgeSeconds"] == 3000
    assert s3_client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_the_queue_redrives_to_its_dead_letter_queue(
    cloud: LocalCloud, deployment: Deployment
) -> None:
    sqs_client = cloud.client("sqs")

    attributes = sqs_client.get_queue_attributes(
        QueueUrl=deployment.environment["WORK_QUEUE_URL"], AttributeNames=["All"]
    )["Attributes"]

    assert attributes["VisibilityTimeout"] == "90"
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 3
    dlq_url = sqs_client.get_queue_url(QueueName=redrive["deadLetterTargetArn"].split(":")[-1])
    assert dlq_url["QueueUrl"] != deployment.environment["WORK_QUEUE_URL"]


def test_the_key_and_its_alias_exist(cloud: LocalCloud, deployment: Deployment) -> None:
    kms_client = cloud.client("kms")
    key = kms_client.describe_key(KeyId=deployment.environment["HERALD_KMS_KEY_ID"])

    aliases = kms_client.list_aliases(KeyId=key["KeyMetadata"]["KeyId"])["Aliases"]

    assert deployment.default_environment["KEY_ALIAS"] == "alias/herald-dev"
    assert [alias["AliasName"] for alias in aliases] == ["alias/herald-dev"]
    assert kms_client.get_key_rotation_status(KeyId=key["KeyMetadata"]["KeyId"])[
        "KeyRotationEnabled"
    ]


def test_the_event_bus_and_schedule_group_exist(cloud: LocalCloud, deployment: Deployment) -> None:
    assert deployment.environment["HERALD_EVENT_BUS_NAME"] == "herald-dev"
    assert cloud.client("events").describe_event_bus(Name="herald-dev")["Name"] == "herald-dev"
    assert deployment.environment["HERALD_SCHEDULE_GROUP"] == "herald-dev"
    group = cloud.client("scheduler").get_schedule_group(Name="herald-dev")
    assert group["State"] == "ACTIVE"


def test_the_process_environment_points_at_local_resources(deployment: Deployment) -> None:
    shell = {"HERALD_CORS_ORIGINS": "http://localhost:5173", "HERALD_TABLE_NAME": "stale"}

    variables = deployment.process_environment(shell)

    # Literal settings defer to the developer's shell; resource names never do.
    assert "HERALD_CORS_ORIGINS" not in variables
    assert variables["HERALD_TABLE_NAME"] == deployment.environment["HERALD_TABLE_NAME"]
    assert variables["HERALD_TABLE_NAME"] != "stale"
    assert variables["HERALD_STAGE"] == "local"
    assert variables["POWERTOOLS_SERVICE_NAME"] == "herald-local"
    assert variables["POWERTOOLS_METRICS_DISABLED"] == "true"
    assert deployment.process_environment({})["HERALD_CORS_ORIGINS"] == "https://app.example.com"


def python_function(variables: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.13",
            "Handler": "functions.auth.app.handler",
            "Environment": {"Variables": variables},
        },
    }


def test_functions_that_disagree_on_a_variable_cannot_share_the_process(
    cloud: LocalCloud,
) -> None:
    template = {
        "Resources": {
            "One": python_function({"LOG_LEVEL": "INFO"}),
            "Two": python_function({"LOG_LEVEL": "DEBUG"}),
        }
    }

    with pytest.raises(TemplateError, match="LOG_LEVEL is 'INFO' for herald-local-One"):
        provision(template, cloud.client)


def test_an_unsupported_intrinsic_function_is_an_error(cloud: LocalCloud) -> None:
    template = {"Resources": {"One": python_function({"X": {"Fn::ImportValue": "Other"}})}}

    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        provision(template, cloud.client)


def test_the_token_signing_key_signs_es256_for_the_auth_function(
    cloud: LocalCloud, herald_deployment: Deployment
) -> None:
    kms_client = cloud.client("kms")
    key_id = herald_deployment.environment["HERALD_JWT_SIGNING_KEY_ID"]

    metadata = kms_client.describe_key(KeyId=key_id)["KeyMetadata"]
    message = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0"
    signature = kms_client.sign(
        KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256"
    )["Signature"]
    public_der = kms_client.get_public_key(KeyId=key_id)["PublicKey"]

    assert metadata["Arn"] == key_id
    assert (metadata["KeySpec"], metadata["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    assert metadata["SigningAlgorithms"] == ["ECDSA_SHA_256"]
    aliases = kms_client.list_aliases(KeyId=metadata["KeyId"])["Aliases"]
    assert [alias["AliasName"] for alias in aliases] == ["alias/herald-test-signing"]
    public_key = serialization.load_der_public_key(public_der)
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))  # raises if invalid


def test_the_due_index_of_herald_s_table_exists_in_moto(
    cloud: LocalCloud, herald_deployment: Deployment
) -> None:
    dynamodb_client = cloud.client("dynamodb")
    name = herald_deployment.environment["HERALD_TABLE_NAME"]

    table = dynamodb_client.describe_table(TableName=name)["Table"]

    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"by-due", "by-thread"}  # by-thread: the inbox's conversations
    index = indexes["by-due"]
    assert index["KeySchema"] == [
        {"AttributeName": "due_bucket", "KeyType": "HASH"},
        {"AttributeName": "due_at", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["workspace_id", "account_id", "post_id"],
    }
    # Usable: an account item with the index's attributes is found through it.
    dynamodb_client.put_item(
        TableName=name,
        Item={
            "PK": {"S": "WS#w1"},
            "SK": {"S": "ACCOUNT#a1"},
            "due_bucket": {"S": "3"},
            "due_at": {"S": "2030-01-01T00:00:00Z"},
            "workspace_id": {"S": "w1"},
            "account_id": {"S": "a1"},
        },
    )
    found = dynamodb_client.query(
        TableName=name,
        IndexName="by-due",
        KeyConditionExpression="due_bucket = :bucket AND due_at < :before",
        ExpressionAttributeValues={":bucket": {"S": "3"}, ":before": {"S": "2030-01-02"}},
    )["Items"]
    assert [(item["workspace_id"]["S"], item["account_id"]["S"]) for item in found] == [
        ("w1", "a1")
    ]


def test_the_signing_key_and_mail_settings_reach_the_local_process(
    herald_deployment: Deployment,
) -> None:
    shell = {"HERALD_JWT_SIGNING_KEY_ID": "alias/stale", "HERALD_MAIL_FROM": "me@example.org"}

    variables = herald_deployment.process_environment(shell)

    # The key names a local resource: always the provisioned one.
    assert (
        variables["HERALD_JWT_SIGNING_KEY_ID"]
        == (herald_deployment.environment["HERALD_JWT_SIGNING_KEY_ID"])
    )
    assert "HERALD_MAIL_FROM" not in variables  # a literal: the shell's wins
    defaults = herald_deployment.process_environment({})
    assert defaults["HERALD_MAIL_FROM"] == "Herald <no-reply@example.com>"
    assert defaults["HERALD_DASHBOARD_URL"] == "http://localhost:3000"
    # Set by `python -m infra.local` (its outbox folder), never by the template.
    assert "HERALD_MAIL_OUTBOX_DIR" not in defaults
