"""The synthesized template holds what the issue asks for, shaped as the local emulator reads it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from functions.shared.groups import GROUPS, FunctionGroup
from functions.shared.settings import PREFIX, environment_variables
from tests.infra.synthesized import Synthesized

ROOT = Path(__file__).resolve().parents[2]
# Not set by the stack: extra verification keys are only needed while a signing key is rolled
# (set by hand then); the outbox folder and the credentials file are local mode's stand-ins for
# SES and the credentials secret.
UNSET_SETTINGS = {
    "jwt_public_jwks",
    "mail_outbox_dir",
    "platform_credentials_file",
    "webhooks_allow_local_http",  # local mode only
    # Local mode signs and verifies in one process (a random key); to use sandbox comments in
    # AWS, set the same value on the publish and webhooks functions (docs/inbox.md).
    "sandbox_webhook_secret",
    "ai_api_key",  # local mode: in AWS the key is read from its secret
}
# The same in every deployment: the defaults in settings.py are the values (for the platform
# API versions, the ones the adapters were written and tested against).
LEFT_AT_DEFAULT = {
    "media_quota_bytes",
    "jwt_issuer",
    "jwt_audience",
    "meta_graph_version",
    "threads_api_version",
    "linkedin_api_version",
    # Rate limits: the documented defaults (docs/api-conventions.md) until a stage needs others.
    "rate_limit_window_seconds",
    "rate_limit_workspace_reads",
    "rate_limit_workspace_writes",
    "rate_limit_api_key_reads",
    "rate_limit_api_key_writes",
    "analytics_write_key_requests",
    "analytics_redirect_requests",
    # Analytics CSV exports answered inline up to the documented size (docs/analytics.md).
    "analytics_export_inline_bytes",
    # The AI endpoint: base URL and text model from context when given (tests/infra/test_app.py),
    # the other models likewise, the timeout, the monthly budgets and the video poll interval
    # (docs/ai.md).
    "ai_base_url",
    "ai_text_model",
    "ai_vision_model",
    "ai_image_model",
    "ai_speech_model",
    "ai_video_model",
    "ai_timeout_seconds",
    "ai_monthly_token_budget",
    "ai_monthly_image_budget",
    "ai_monthly_audio_seconds_budget",
    "ai_monthly_video_seconds_budget",
    "ai_video_poll_seconds",
}
# Set only on the functions that use them.
ONLY_ON = {
    "mail_from": {"auth"},
    # The webhooks API verifies platform webhooks with their secrets, and gives Meta the URL
    # of a data deletion request's status.
    "platform_credentials_secret": {"publish", "webhooks"},
    "api_base_url": {"publish", "webhooks"},
    "publish_worker_arn": {"publish"},
    "engagement_function_arn": {"webhooks"},
    "metrics_collector_arn": {"analytics"},
    "scheduler_dead_letter_arn": {"publish"},
    # The generation function starts generated videos' jobs.
    "media_jobs_state_machine_arn": {"media", "generation"},
    # And the notifier and the digest (test_the_notifier_gets_every_herald_event_...).
    "unsubscribe_secret": {"webhooks"},
    "webhook_delivery_queue_url": {"webhooks"},
    # And the publish worker and the inbound processor (infra/inbound.py).
    "inbound_queue_url": {"webhooks"},
    "analytics_stream_name": {"analytics"},
    "analytics_bucket": {"analytics"},
    "analytics_engine": {"analytics"},
    "analytics_athena_workgroup": {"analytics"},
    "analytics_glue_database": {"analytics"},
    # On the functions that push real-time messages: the pusher (tests/infra/test_realtime.py)
    # and the publish API, which streams the AI strategist's answers (docs/ai.md).
    "realtime_callback_url": {"publish"},
    "ai_api_key_secret": {"publish", "webhooks", "generation"},
}
WORKER_ARN = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":lambda:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":function:herald-dev-publish-worker",
        ],
    ]
}
ENGAGEMENT_ARN = {
    "Fn::Join": [
        "",
        [*WORKER_ARN["Fn::Join"][1][:-1], ":function:herald-dev-engagement"],
    ]
}
METRICS_COLLECTOR_ARN = {
    "Fn::Join": [
        "",
        [*WORKER_ARN["Fn::Join"][1][:-1], ":function:herald-dev-metrics-collector"],
    ]
}
FOURTEEN_DAYS = 14 * 24 * 3600


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def only(resources: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.items()))


def test_resource_counts(synthesized: Synthesized) -> None:
    expected = {
        # And the publish worker and events function, the media job steps, their execution
        # reconciler, the event relay, the notifier, the notification digest, the webhook fan-out
        # and deliverer, the real-time connection function and pusher, the inbox's engagement
        # function, the inbound processor, the metrics collector, the inbox assistant.
        "AWS::Lambda::Function": len(GROUPS) + 15,
        # The table's stream to the relay; deliveries; inbound platform events.
        "AWS::Lambda::EventSourceMapping": 3,
        "AWS::Lambda::LayerVersion": 4,  # the dependencies, FFmpeg, ffprobe and openai
        "AWS::StepFunctions::StateMachine": 1,  # media jobs
        "AWS::DynamoDB::Table": 2,
        # The platforms' OAuth client credentials, the unsubscribe links' key, the AI key.
        "AWS::SecretsManager::Secret": 3,
        # The publish sweeper, the token refresher, the engagement poller, the media jobs' ended
        # executions, the media files and the schedules of deleted workspaces, the notifier, the
        # daily digest, every domain event to the webhook fan-out and to the real-time pusher,
        # platform notices to the publish events function, the metrics collector, and new inbox
        # items to the inbox assistant.
        "AWS::Events::Rule": 13,
        "AWS::S3::Bucket": 4,  # media, its access logs, tracked events, Athena's results
        "AWS::KinesisFirehose::DeliveryStream": 1,  # tracked events
        "AWS::Glue::Database": 1,  # tracked events, for Athena
        "AWS::Glue::Table": 1,
        "AWS::Athena::WorkGroup": 1,
        "AWS::KMS::Key": 3,  # platform tokens, token signing and the alarm topic
        "AWS::KMS::Alias": 2,  # platform tokens and token signing
        "AWS::Events::EventBus": 1,
        "AWS::Scheduler::ScheduleGroup": 1,
        # Async invocations, schedules, the relay; deliveries and theirs; inbound and theirs.
        "AWS::SQS::Queue": 7,
        "AWS::SNS::Topic": 1,
        "AWS::ApiGateway::RestApi": 1,
        "AWS::ApiGateway::Stage": 1,
        "AWS::WAFv2::WebACL": 1,
        "AWS::WAFv2::WebACLAssociation": 1,
        "AWS::ApiGatewayV2::Api": 1,  # real-time updates (WebSocket)
        "AWS::ApiGatewayV2::Stage": 1,
        # Errors and Throttles per function (the groups, the worker, the publish events function,
        # the media jobs' reconciler, the event relay, the notifier, the digest, the two webhook
        # workers, the two real-time functions, the engagement function, the inbound processor
        # the metrics collector and the inbox assistant), depth per dead-letter queue (five); the
        # media job steps' throttles and crashes (tests/infra/test_media_jobs.py); the relay's
        # iterator age; the webhook delivery failure rate; the inbound queue's age.
        "AWS::CloudWatch::Alarm": 2 * (len(GROUPS) + 14) + 5 + 2 + 1 + 1 + 1,
    }
    for cfn_type, count in expected.items():
        synthesized.template.resource_count_is(cfn_type, count)


def test_application_table(synthesized: Synthesized) -> None:
    logical_id = synthesized.logical_id(synthesized.stack.foundation.app_table)
    table = synthesized.resources[logical_id]
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "PK", "AttributeType": "S"},
        {"AttributeName": "SK", "AttributeType": "S"},
        {"AttributeName": "due_at", "AttributeType": "S"},
        {"AttributeName": "due_bucket", "AttributeType": "S"},
        {"AttributeName": "thread_key", "AttributeType": "S"},
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}  # the event relay's
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_application_table_indexes_work_by_due_time(synthesized: Synthesized) -> None:
    logical_id = synthesized.logical_id(synthesized.stack.foundation.app_table)
    props = synthesized.resources[logical_id]["Properties"]
    index, thread_index = props["GlobalSecondaryIndexes"]
    # An inbox conversation's items, whole (tests/webhooks/test_inbox_api.py uses it).
    assert thread_index == {
        "IndexName": "by-thread",
        "KeySchema": [
            {"AttributeName": "thread_key", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }
    assert index == {
        "IndexName": "by-due",
        "KeySchema": [
            {"AttributeName": "due_bucket", "KeyType": "HASH"},
            {"AttributeName": "due_at", "KeyType": "RANGE"},
        ],
        "Projection": {
            "ProjectionType": "INCLUDE",
            "NonKeyAttributes": ["workspace_id", "account_id", "post_id"],
        },
    }


def test_idempotency_table(synthesized: Synthesized) -> None:
    logical_id = synthesized.logical_id(synthesized.stack.foundation.idempotency_table)
    props = synthesized.resources[logical_id]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True


def _ssl_only_policy(
    synthesized: Synthesized, policy_type: str, target_key: str, target: Any
) -> None:
    """A resource policy on `target` denies every request that does not use TLS."""
    policies = [
        policy["Properties"]
        for policy in synthesized.of_type(policy_type).values()
        if target in json.dumps(policy["Properties"][target_key])
    ]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    assert any(
        s["Effect"] == "Deny"
        and s["Principal"] in ({"AWS": "*"}, "*")
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    ), statements


def test_media_bucket(synthesized: Synthesized) -> None:
    foundation = synthesized.stack.foundation
    media_id = synthesized.logical_id(foundation.media_bucket)
    logs_id = synthesized.logical_id(foundation.logs_bucket)
    bucket = synthesized.resources[media_id]
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LoggingConfiguration"]["DestinationBucketName"] == ref(logs_id)
    (cors,) = props["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedOrigins"] == ["http://localhost:3000"]
    assert "POST" in cors["AllowedMethods"]  # presigned POST uploads from the browser
    assert bucket["DeletionPolicy"] == "Retain"
    # Abandoned browser uploads (tagged pending by their presigned POST, stored anew untagged
    # when completed) expire after the 24-hour completion window, at the next day boundary.
    assert props["LifecycleConfiguration"]["Rules"] == [
        {
            "Id": "tidy-versions-and-uploads",
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        },
        {
            "Id": "expire-abandoned-uploads",
            "Status": "Enabled",
            "TagFilters": [{"Key": "herald-upload", "Value": "pending"}],
            "ExpirationInDays": 2,
        },
        # Large CSV exports of analytics reports, tagged when written, with the versions that
        # expiring leaves (the bucket is versioned).
        {
            "Id": "expire-downloads",
            "Status": "Enabled",
            "TagFilters": [{"Key": "herald-download", "Value": "expiring"}],
            "ExpirationInDays": 1,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        },
    ]
    for bucket_id in (media_id, logs_id):
        _ssl_only_policy(synthesized, "AWS::S3::BucketPolicy", "Bucket", bucket_id)
        assert synthesized.resources[bucket_id]["Properties"]["PublicAccessBlockConfiguration"]


def test_symmetric_kms_keys_rotate_and_data_key_has_alias(synthesized: Synthesized) -> None:
    signing_key_id = synthesized.logical_id(synthesized.stack.foundation.signing_key)
    keys = synthesized.of_type("AWS::KMS::Key")
    symmetric = {
        logical_id: key for logical_id, key in keys.items() if logical_id != signing_key_id
    }
    assert len(symmetric) == 2
    for key in symmetric.values():
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["Properties"].get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    data_key_id = synthesized.logical_id(synthesized.stack.foundation.data_key)
    synthesized.template.has_resource_properties(
        "AWS::KMS::Alias",
        {"AliasName": "alias/herald-dev", "TargetKeyId": arn_of(data_key_id)},
    )


def test_token_signing_key_is_an_es256_key_kept_with_an_alias(synthesized: Synthesized) -> None:
    signing_key_id = synthesized.logical_id(synthesized.stack.foundation.signing_key)
    key = synthesized.resources[signing_key_id]
    props = key["Properties"]
    assert props["KeySpec"] == "ECC_NIST_P256"
    assert props["KeyUsage"] == "SIGN_VERIFY"
    # KMS cannot rotate asymmetric keys.
    assert props.get("EnableKeyRotation", False) is False
    assert key["DeletionPolicy"] == "Retain"
    assert key["UpdateReplacePolicy"] == "Retain"
    synthesized.template.has_resource_properties(
        "AWS::KMS::Alias",
        {"AliasName": "alias/herald-dev-signing", "TargetKeyId": arn_of(signing_key_id)},
    )


def _resource_paths(synthesized: Synthesized) -> dict[str, str]:
    """Logical id -> full path (`/v1/auth/{proxy+}`) of every API Gateway resource."""
    resources = synthesized.of_type("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            parent = props["ParentId"]
            parent_path = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
            paths[logical_id] = f"{parent_path}/{props['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def test_rest_api_has_one_proxy_route_per_prefix(synthesized: Synthesized) -> None:
    _, api = only(synthesized.of_type("AWS::ApiGateway::RestApi"))
    assert api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    paths = _resource_paths(synthesized)
    prefixes = [prefix for group in GROUPS for prefix in group.prefixes]
    assert sorted(paths.values()) == sorted(
        {"/v1", *prefixes, *(f"{prefix}/{{proxy+}}" for prefix in prefixes)}
    )

    routes: dict[str, str] = {}
    for method in synthesized.of_type("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        assert props["HttpMethod"] == "ANY"
        assert props["Integration"]["Type"] == "AWS_PROXY"
        targets = [
            logical_id
            for logical_id in synthesized.of_type("AWS::Lambda::Function")
            if logical_id in json.dumps(props["Integration"]["Uri"])
        ]
        assert len(targets) == 1, props["Integration"]["Uri"]
        routes[paths[props["ResourceId"]["Ref"]]] = targets[0]

    for group in GROUPS:
        function_id = synthesized.function_id(group.name)
        for prefix in group.prefixes:
            assert routes[prefix] == function_id, prefix
            assert routes[f"{prefix}/{{proxy+}}"] == function_id, prefix
    assert len(routes) == 2 * len(prefixes)


def test_stage_throttles_traces_and_logs_access_as_json(synthesized: Synthesized) -> None:
    _, stage = only(synthesized.of_type("AWS::ApiGateway::Stage"))
    props = stage["Properties"]
    assert props["StageName"] == "dev"
    assert props["TracingEnabled"] is True
    (settings,) = props["MethodSettings"]
    assert settings["HttpMethod"] == "*"
    assert settings["ResourcePath"] == "/*"
    assert settings["ThrottlingRateLimit"] == 50
    assert settings["ThrottlingBurstLimit"] == 100
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    access_logs_id = synthesized.logical_id(synthesized.stack.api.access_logs)
    assert access_logs_id in json.dumps(props["AccessLogSetting"]["DestinationArn"])
    access_format = json.loads(props["AccessLogSetting"]["Format"])
    assert access_format["requestId"] == "$context.requestId"
    assert access_format["status"] == "$context.status"
    assert synthesized.resources[access_logs_id]["Properties"]["RetentionInDays"] > 0


def test_waf_guards_the_stage(synthesized: Synthesized) -> None:
    acl_id, acl = only(synthesized.of_type("AWS::WAFv2::WebACL"))
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL"
    statements = [rule["Statement"] for rule in props["Rules"]]
    assert any(
        s.get("ManagedRuleGroupStatement", {}).get("Name") == "AWSManagedRulesCommonRuleSet"
        for s in statements
    )
    assert any(s.get("RateBasedStatement", {}).get("AggregateKeyType") == "IP" for s in statements)
    stage_id, _ = only(synthesized.of_type("AWS::ApiGateway::Stage"))
    _, association = only(synthesized.of_type("AWS::WAFv2::WebACLAssociation"))
    assert association["Properties"]["WebACLArn"] == arn_of(acl_id)
    assert ref(stage_id) in association["Properties"]["ResourceArn"]["Fn::Join"][1]


def test_platform_credentials_secret_holds_no_value_and_is_kept(
    synthesized: Synthesized,
) -> None:
    foundation = synthesized.stack.foundation
    logical_id = synthesized.logical_id(foundation.platform_credentials)
    secret = synthesized.resources[logical_id]
    props = secret["Properties"]
    # Only an empty JSON object: ops put the credentials; nothing is generated either (a random
    # string would not be JSON).
    assert props["SecretString"] == "{}"
    assert "GenerateSecretString" not in props
    assert props["KmsKeyId"] == arn_of(synthesized.logical_id(foundation.data_key))
    assert secret["DeletionPolicy"] == "Retain"
    assert secret["UpdateReplacePolicy"] == "Retain"
    assert synthesized.of_type("AWS::SecretsManager::RotationSchedule") == {}
    outputs = synthesized.template.to_json()["Outputs"]
    assert outputs["PlatformCredentialsSecretArn"]["Value"] == ref(logical_id)


@pytest.mark.parametrize(
    ("rule", "every", "task"),
    [
        ("token_refresher", "30 minutes", "refresh-tokens"),
        ("sweeper", "5 minutes", "sweep"),
        ("engagement_poller", "5 minutes", "poll-engagement"),
    ],
)
def test_rules_invoke_the_publish_worker(
    synthesized: Synthesized, rule: str, every: str, task: str
) -> None:
    worker = synthesized.stack.publish_worker
    rule_id = synthesized.logical_id(getattr(worker, rule))
    props = synthesized.resources[rule_id]["Properties"]
    assert props["ScheduleExpression"] == f"rate({every})"
    assert props["State"] == "ENABLED"
    assert "EventBusName" not in props  # schedules run on the default bus
    (target,) = props["Targets"]
    assert target["Arn"] == arn_of(synthesized.logical_id(worker.function))
    assert json.loads(target["Input"]) == {"herald": task}
    async_dlq = synthesized.logical_id(synthesized.stack.foundation.async_dlq)
    assert target["DeadLetterConfig"] == {"Arn": arn_of(async_dlq)}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= int(every.split()[0]) * 60


def test_publish_worker(synthesized: Synthesized) -> None:
    worker = synthesized.stack.publish_worker
    props = synthesized.resources[synthesized.logical_id(worker.function)]["Properties"]
    assert props["FunctionName"] == "herald-dev-publish-worker"
    assert props["Handler"] == "functions.publish.workers.publisher.handler"
    assert props["Timeout"] == 15 * 60
    # Its own role (its grants: tests/infra/test_permissions.py).
    assert props["Role"] == arn_of(synthesized.logical_id(worker.role))
    variables = props["Environment"]["Variables"]
    api_variables = synthesized.resources[synthesized.function_id("publish")]["Properties"][
        "Environment"
    ]["Variables"]
    inbound_queue = {"Ref": synthesized.logical_id(synthesized.stack.inbound.queue)}
    # The AI routes are the API's alone: the worker never reads the AI endpoint's key, nor
    # pushes the strategist's answers to real-time connections.
    shared = {
        name: value
        for name, value in api_variables.items()
        if not name.startswith("HERALD_AI_") and name != "HERALD_REALTIME_CALLBACK_URL"
    }
    assert variables == shared | {
        "POWERTOOLS_SERVICE_NAME": "herald-publish-worker",
        # Its engagement poller queues what it finds (tests/infra/test_publish_worker_inbound.py).
        "HERALD_INBOUND_QUEUE_URL": inbound_queue,
    }
    assert variables["HERALD_PUBLISH_WORKER_ARN"] == WORKER_ARN


def test_eventbridge_may_dead_letter_into_the_async_queue_for_its_rules_only(
    synthesized: Synthesized,
) -> None:
    async_dlq = synthesized.logical_id(synthesized.stack.foundation.async_dlq)
    worker = synthesized.stack.publish_worker
    jobs = synthesized.stack.media_jobs
    notifications = synthesized.stack.notifications
    rules = [
        synthesized.logical_id(rule)
        for rule in (
            worker.sweeper,
            worker.token_refresher,
            worker.engagement_poller,
            jobs.ended_execution_rule,
            jobs.workspace_deleted_rule,
            synthesized.stack.publish_events.workspace_deleted_rule,
            synthesized.stack.publish_events.platform_notice_rule,
            notifications.notifier_rule,
            notifications.digest_schedule,
            synthesized.stack.webhook_delivery.rule,
            synthesized.stack.realtime.rule,
            synthesized.stack.metrics_collector.schedule,
            synthesized.stack.inbox_assistant.rule,
        )
    ]
    statements = [
        statement
        for policy in synthesized.of_type("AWS::SQS::QueuePolicy").values()
        if ref(async_dlq) in policy["Properties"]["Queues"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    ]
    assert sorted(
        (json.dumps(s["Principal"]), s["Action"], json.dumps(s["Condition"])) for s in statements
    ) == sorted(
        (
            json.dumps({"Service": "events.amazonaws.com"}),
            "sqs:SendMessage",
            json.dumps({"ArnEquals": {"aws:SourceArn": arn_of(rule_id)}}),
        )
        for rule_id in rules
    )


def test_event_bus_and_schedule_group(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties("AWS::Events::EventBus", {"Name": "herald-dev"})
    synthesized.template.has_resource_properties(
        "AWS::Scheduler::ScheduleGroup", {"Name": "herald-dev"}
    )


def test_dead_letter_queues(synthesized: Synthesized) -> None:
    foundation = synthesized.stack.foundation
    async_dlq = synthesized.logical_id(foundation.async_dlq)
    relay_dlq = synthesized.stack.event_relay.dead_letters
    for queue in (foundation.async_dlq, foundation.scheduler_dlq, relay_dlq):
        logical_id = synthesized.logical_id(queue)
        props = synthesized.resources[logical_id]["Properties"]
        assert props["MessageRetentionPeriod"] == FOURTEEN_DAYS
        assert props["SqsManagedSseEnabled"] is True
        _ssl_only_policy(synthesized, "AWS::SQS::QueuePolicy", "Queues", logical_id)
    # The webhook deliverer and the inbound processor are invoked by SQS only: their failed
    # messages go to their queues' DLQs.
    sqs_fed = {
        synthesized.logical_id(synthesized.stack.webhook_delivery.deliverer.function),
        synthesized.logical_id(synthesized.stack.inbound.processor.function),
    }
    for logical_id, function in synthesized.of_type("AWS::Lambda::Function").items():
        if logical_id in sqs_fed:
            assert "DeadLetterConfig" not in function["Properties"]
            continue
        assert function["Properties"]["DeadLetterConfig"] == {"TargetArn": arn_of(async_dlq)}


def test_alarms_notify_the_encrypted_topic(synthesized: Synthesized) -> None:
    foundation = synthesized.stack.foundation
    topic_id = synthesized.logical_id(foundation.alarm_topic)
    topic = synthesized.resources[topic_id]["Properties"]
    assert topic["KmsMasterKeyId"] == arn_of(synthesized.logical_id(foundation.alarm_key))
    _ssl_only_policy(synthesized, "AWS::SNS::TopicPolicy", "Topics", topic_id)

    alarms = [
        alarm["Properties"] for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
    ]
    assert all(alarm["AlarmActions"] == [ref(topic_id)] for alarm in alarms)
    assert all(alarm["ComparisonOperator"] == "GreaterThanThreshold" for alarm in alarms)
    # Any error, throttle or dead letter alarms; the inbound queue's oldest message over 300 s;
    # the relay's iterator age above 5 minutes; the webhook delivery failure rate at a quarter
    # of attempts.
    failure_rate = [alarm for alarm in alarms if "Metrics" in alarm]
    assert [alarm["Threshold"] for alarm in failure_rate] == [0.25]
    alarms = [alarm for alarm in alarms if "Metrics" not in alarm]
    assert sorted(alarm["Threshold"] for alarm in alarms) == [0] * (len(alarms) - 2) + [
        300,
        300_000,
    ]

    def watched(namespace: str, metric: str, dimension: str) -> set[str]:
        return {
            alarm["Dimensions"][0]["Value"]["Ref"]
            if "Ref" in alarm["Dimensions"][0]["Value"]
            else alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
            for alarm in alarms
            if alarm.get("Namespace") == namespace
            and alarm["MetricName"] == metric
            and alarm["Dimensions"][0]["Name"] == dimension
        }

    functions = {synthesized.function_id(group.name) for group in GROUPS}
    functions.add(synthesized.logical_id(synthesized.stack.publish_worker.function))
    functions.add(synthesized.logical_id(synthesized.stack.media_jobs.reconciler.function))
    functions.add(synthesized.logical_id(synthesized.stack.publish_events.function))
    functions.add(synthesized.logical_id(synthesized.stack.engagement.function))
    functions.add(synthesized.logical_id(synthesized.stack.metrics_collector.function))
    relay = synthesized.logical_id(synthesized.stack.event_relay.function)
    functions.add(relay)
    for notification_function in (
        synthesized.stack.notifications.notifier,
        synthesized.stack.notifications.digest,
    ):
        functions.add(synthesized.logical_id(notification_function.function))
    delivery = synthesized.stack.webhook_delivery
    functions |= {synthesized.logical_id(w.function) for w in (delivery.fanout, delivery.deliverer)}
    for realtime in (synthesized.stack.realtime.connections, synthesized.stack.realtime.pusher):
        functions.add(synthesized.logical_id(realtime.function))
    functions.add(synthesized.logical_id(synthesized.stack.inbound.processor.function))
    functions.add(synthesized.logical_id(synthesized.stack.inbox_assistant.function.function))
    assert watched("AWS/Lambda", "Errors", "FunctionName") == functions
    # The media job steps' errors include rejected inputs: their crashes are alarmed instead.
    functions.add(synthesized.logical_id(synthesized.stack.media_jobs.steps.function))
    assert watched("AWS/Lambda", "Throttles", "FunctionName") == functions
    dead_letters = (
        foundation.async_dlq,
        foundation.scheduler_dlq,
        synthesized.stack.event_relay.dead_letters,
        delivery.dead_letters,
        synthesized.stack.inbound.dead_letters,
    )
    queues = {synthesized.logical_id(q) for q in dead_letters}
    assert watched("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName") == queues
    assert watched("AWS/Lambda", "IteratorAge", "FunctionName") == {relay}


def _stage_url(synthesized: Synthesized) -> dict[str, Any]:
    """`https://<api id>.execute-api.<region>.amazonaws.com/<stage>`, without a final slash."""
    api_id, _ = only(synthesized.of_type("AWS::ApiGateway::RestApi"))
    parts = ["https://", ref(api_id), ".execute-api.", ref("AWS::Region"), "."]
    return {"Fn::Join": ["", [*parts, ref("AWS::URLSuffix"), "/dev"]]}


def _expected_environment(synthesized: Synthesized, group: FunctionGroup) -> dict[str, Any]:
    foundation = synthesized.stack.foundation
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return {
        "HERALD_STAGE": "dev",
        "HERALD_VERSION": version,
        "HERALD_TABLE_NAME": ref(synthesized.logical_id(foundation.app_table)),
        "HERALD_IDEMPOTENCY_TABLE_NAME": ref(synthesized.logical_id(foundation.idempotency_table)),
        "HERALD_MEDIA_BUCKET": ref(synthesized.logical_id(foundation.media_bucket)),
        "HERALD_KMS_KEY_ID": arn_of(synthesized.logical_id(foundation.data_key)),
        "HERALD_EVENT_BUS_NAME": ref(synthesized.logical_id(foundation.event_bus)),
        "HERALD_SCHEDULE_GROUP": ref(
            synthesized.stack.resolve(foundation.schedule_group.logical_id)
        ),
        "HERALD_SCHEDULER_ROLE_ARN": arn_of(synthesized.logical_id(foundation.scheduler_role)),
        "HERALD_JWT_SIGNING_KEY_ID": arn_of(synthesized.logical_id(foundation.signing_key)),
        "HERALD_DASHBOARD_URL": "http://localhost:3000",
        **({"HERALD_MAIL_FROM": "Herald <no-reply@example.com>"} if group.name == "auth" else {}),
        **(
            {
                "HERALD_WEBHOOK_DELIVERY_QUEUE_URL": ref(
                    synthesized.logical_id(synthesized.stack.webhook_delivery.queue)
                ),
                "HERALD_ENGAGEMENT_FUNCTION_ARN": ENGAGEMENT_ARN,
            }
            if group.name == "webhooks"
            else {}
        ),
        **(
            {
                "HERALD_INBOUND_QUEUE_URL": ref(
                    synthesized.logical_id(synthesized.stack.inbound.queue)
                )
            }
            if group.name == "webhooks"
            else {}
        ),
        **(
            {
                "HERALD_PLATFORM_CREDENTIALS_SECRET": ref(
                    synthesized.logical_id(foundation.platform_credentials)
                ),
                "HERALD_API_BASE_URL": _stage_url(synthesized),
                "HERALD_AI_API_KEY_SECRET": ref(
                    synthesized.logical_id(synthesized.stack.ai_endpoint.api_key)
                ),
                "HERALD_PUBLISH_WORKER_ARN": WORKER_ARN,
                "HERALD_SCHEDULER_DEAD_LETTER_ARN": arn_of(
                    synthesized.logical_id(foundation.scheduler_dlq)
                ),
                "HERALD_REALTIME_CALLBACK_URL": synthesized.stack.resolve(
                    synthesized.stack.realtime.callback_url
                ),
            }
            if group.name == "publish"
            else {}
        ),
        **(
            {
                "HERALD_PLATFORM_CREDENTIALS_SECRET": ref(
                    synthesized.logical_id(foundation.platform_credentials)
                ),
                "HERALD_API_BASE_URL": _stage_url(synthesized),
                # The inbox's suggestions and classification (infra/ai_endpoint.py).
                "HERALD_AI_API_KEY_SECRET": ref(
                    synthesized.logical_id(synthesized.stack.ai_endpoint.api_key)
                ),
            }
            if group.name == "webhooks"
            else {}
        ),
        **(
            {
                "HERALD_UNSUBSCRIBE_SECRET": ref(
                    synthesized.logical_id(synthesized.stack.notifications.unsubscribe_secret)
                )
            }
            if group.name == "webhooks"
            else {}
        ),
        **(
            {
                "HERALD_ANALYTICS_STREAM_NAME": ref(
                    synthesized.stack.resolve(
                        synthesized.stack.get_logical_id(
                            synthesized.stack.analytics_tracking.stream
                        )
                    )
                ),
                "HERALD_ANALYTICS_BUCKET": ref(
                    synthesized.logical_id(synthesized.stack.analytics_tracking.bucket)
                ),
                "HERALD_METRICS_COLLECTOR_ARN": METRICS_COLLECTOR_ARN,
                # Funnels and retention run on Athena (infra/analytics_engine.py).
                "HERALD_ANALYTICS_ENGINE": "athena",
                "HERALD_ANALYTICS_ATHENA_WORKGROUP": ref(
                    synthesized.stack.resolve(
                        synthesized.stack.get_logical_id(
                            synthesized.stack.analytics_tracking.engine.workgroup
                        )
                    )
                ),
                "HERALD_ANALYTICS_GLUE_DATABASE": (
                    synthesized.stack.analytics_tracking.catalog.database_name
                ),
            }
            if group.name == "analytics"
            else {}
        ),
        **(
            {
                "HERALD_MEDIA_JOBS_STATE_MACHINE_ARN": ref(
                    synthesized.logical_id(synthesized.stack.media_jobs.state_machine)
                )
            }
            if group.name == "media"
            else {}
        ),
        **(
            {
                # By name: the state machine invokes this function (infra/media_jobs.py).
                "HERALD_MEDIA_JOBS_STATE_MACHINE_ARN": synthesized.stack.resolve(
                    synthesized.stack.media_jobs.named_state_machine_arn
                ),
                "HERALD_AI_API_KEY_SECRET": ref(
                    synthesized.logical_id(synthesized.stack.ai_endpoint.api_key)
                ),
            }
            if group.name == "generation"
            else {}
        ),
        "HERALD_CORS_ORIGINS": "http://localhost:3000",
        "POWERTOOLS_SERVICE_NAME": f"herald-{group.name}",
        "POWERTOOLS_METRICS_NAMESPACE": "Herald",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_functions(synthesized: Synthesized) -> None:
    layer_id = synthesized.logical_id(synthesized.stack.foundation.dependencies_layer)
    for group in GROUPS:
        logical_id = synthesized.function_id(group.name)
        assert logical_id.startswith(f"{group.name.capitalize()}Function"), logical_id
        function = synthesized.resources[logical_id]
        props = function["Properties"]
        assert props["Handler"] == group.handler
        assert props["Runtime"] == "python3.13"
        assert props["Architectures"] == ["x86_64"]
        # argon2id password hashing is CPU-bound, and Lambda's CPU grows with memory; media
        # decodes large images and probes videos it downloads to /tmp; generation downloads a
        # generated video of up to 1 GiB to /tmp in its PollVideo step, which may take minutes.
        memory = {"auth": 1024, "media": 2048, "generation": 1024}.get(group.name, 512)
        assert props["MemorySize"] == memory
        tmp = 2048 if group.name in ("media", "generation") else 512
        assert props["EphemeralStorage"] == {"Size": tmp}
        assert props["Timeout"] == (300 if group.name == "generation" else 29)
        assert props["TracingConfig"] == {"Mode": "Active"}
        ffmpeg = synthesized.logical_id(synthesized.stack.media_jobs.ffmpeg_layer)
        openai = synthesized.logical_id(synthesized.stack.ai_endpoint.openai_layer)
        ffprobe = synthesized.logical_id(synthesized.stack.media_jobs.ffprobe_layer)
        layers = {
            "media": [ref(layer_id), ref(ffmpeg)],
            # Without ffmpeg: openai fits beside ffprobe alone (test_ffmpeg_layer.py).
            "generation": [ref(openai), ref(layer_id), ref(ffprobe)],
            "publish": [ref(openai), ref(layer_id)],
            "webhooks": [ref(openai), ref(layer_id)],
        }.get(group.name, [ref(layer_id)])
        assert props["Layers"] == layers
        assert props["Environment"]["Variables"] == _expected_environment(synthesized, group)
        log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert log_group_id == synthesized.logical_id(
            synthesized.stack.groups[group.name].log_group
        )
        assert synthesized.resources[log_group_id]["Properties"]["RetentionInDays"] == 30
        assert props["Role"] == arn_of(
            synthesized.logical_id(synthesized.stack.groups[group.name].role)
        )
        assert props["Code"]["S3Key"].endswith(".zip")


def test_environment_names_are_read_by_settings(synthesized: Synthesized) -> None:
    """Each HERALD_ variable the stack sets is a setting, so a rename cannot go unnoticed.

    And every setting is set on every function, but for the few deliberately left unset (or
    only set where used): a new setting cannot be forgotten in the stack either.
    """
    variables = environment_variables()
    read = set(variables.values())
    always = {
        variable
        for name, variable in variables.items()
        if variable.startswith(PREFIX)
        and name not in UNSET_SETTINGS | LEFT_AT_DEFAULT
        and name not in ONLY_ON
    }
    for group in GROUPS:
        function = synthesized.resources[synthesized.function_id(group.name)]
        names = set(function["Properties"]["Environment"]["Variables"])
        herald_names = {name for name in names if name.startswith(PREFIX)}
        assert herald_names <= read, herald_names - read
        assert {variables[name] for name in UNSET_SETTINGS} & names == set()
        expected = always | {variables[n] for n, groups in ONLY_ON.items() if group.name in groups}
        assert herald_names == expected, group.name


def test_every_layer_is_python_313_x86(synthesized: Synthesized) -> None:
    """Each layer, not one of them: a function with a layer built for another runtime or
    architecture fails at its first import."""
    layers = synthesized.of_type("AWS::Lambda::LayerVersion")
    expected = {
        synthesized.logical_id(synthesized.stack.foundation.dependencies_layer),
        synthesized.logical_id(synthesized.stack.media_jobs.ffmpeg_layer),
        synthesized.logical_id(synthesized.stack.media_jobs.ffprobe_layer),
        synthesized.logical_id(synthesized.stack.ai_endpoint.openai_layer),
    }

    assert set(layers) == expected
    for logical_id, layer in layers.items():
        props = layer["Properties"]
        assert props["CompatibleRuntimes"] == ["python3.13"], logical_id
        assert props["CompatibleArchitectures"] == ["x86_64"], logical_id
        assert props["Content"]["S3Key"].endswith(".zip"), logical_id


def test_the_notifier_gets_every_herald_event_and_the_digest_runs_daily(
    synthesized: Synthesized,
) -> None:
    notifications = synthesized.stack.notifications
    notifier_rule = synthesized.resources[synthesized.logical_id(notifications.notifier_rule)]
    assert notifier_rule["Properties"]["EventPattern"] == {"source": [{"prefix": "herald."}]}
    assert notifier_rule["Properties"]["EventBusName"] == ref(
        synthesized.logical_id(synthesized.stack.foundation.event_bus)
    )
    (target,) = notifier_rule["Properties"]["Targets"]
    assert target["Arn"] == arn_of(synthesized.logical_id(notifications.notifier.function))
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
    digest_rule = synthesized.resources[synthesized.logical_id(notifications.digest_schedule)]
    assert digest_rule["Properties"]["ScheduleExpression"] == "cron(0 7 * * ? *)"
    (target,) = digest_rule["Properties"]["Targets"]
    assert target["Arn"] == arn_of(synthesized.logical_id(notifications.digest.function))
    for function, handler in (
        (notifications.notifier, "functions.webhooks.workers.notifier.handler"),
        (notifications.digest, "functions.webhooks.workers.digest.handler"),
    ):
        props = synthesized.resources[synthesized.logical_id(function.function)]["Properties"]
        assert props["Handler"] == handler
        variables = props["Environment"]["Variables"]
        assert variables["HERALD_UNSUBSCRIBE_SECRET"] == ref(
            synthesized.logical_id(notifications.unsubscribe_secret)
        )
        assert variables["HERALD_API_BASE_URL"] == _stage_url(synthesized)
    secret = synthesized.resources[synthesized.logical_id(notifications.unsubscribe_secret)]
    assert "GenerateSecretString" in secret["Properties"]
    assert secret["DeletionPolicy"] == "Retain"
