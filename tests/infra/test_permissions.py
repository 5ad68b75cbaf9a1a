"""Each function's role reaches its own resources and nothing else.

Every (action, resource) pair of a role's policies is mapped to a named resource of the stack
("app_table", "media:users/*"...) and compared, per service, with the table below: a grant that
is missing, broader or pointed elsewhere fails. Extend the table when a function needs more.
The media job steps have their own test (tests/infra/test_media_jobs.py).
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from functions.shared.groups import GROUPS
from infra.herald_function import HeraldFunction
from tests.infra.synthesized import Synthesized, as_list, flatten, statements_of_role

# The API groups' functions, by group name, the publish worker, the webhook workers and the
# real-time functions.
REALTIME_FUNCTIONS = ("realtime_connections", "realtime_pusher")
FUNCTIONS = [
    *(group.name for group in GROUPS),
    "publish_worker",
    "webhook_fanout",
    "webhook_deliverer",
    "inbound_processor",
    "inbox_assistant",
    *REALTIME_FUNCTIONS,
]

# Every function: its own log group, the async-invocation DLQ, X-Ray (no resource scope), and
# the token signing key's public key, to verify access tokens.
COMMON: dict[str, set[str]] = {
    "logs": {"own_log_group"},
    "sqs": {"async_dlq"},
    "xray": {"*"},
    "dynamodb": {"app_table", "app_indexes"},
    "kms": {"signing_key"},
}
# What the publish API and its worker both do.
PUBLISHING: dict[str, set[str]] = {
    "dynamodb": {"idempotency_table"},
    "kms": {"data_key"},
    "scheduler": {"schedules"},
    "iam": {"scheduler_role"},
    "secretsmanager": {"platform_credentials"},
}
EXPECTED: dict[str, dict[str, set[str]]] = {
    "auth": {
        "s3": {"media:users/*"},
        "ses": {"mail_identity"},
    },
    # Publishing now and retrying start the worker at once.
    # And queue what polling finds for the inbound processor (infra/inbound.py).
    # And read the AI endpoint's key for the `/v1/ai` routes, and library images for its vision
    # routes (infra/ai_endpoint.py).
    # And stream the AI strategist's answers to WebSocket connections (docs/ai.md).
    "publish": {
        **PUBLISHING,
        "lambda": {"publish_worker"},
        "secretsmanager": {"platform_credentials", "ai_api_key"},
        "s3": {"media:workspaces/*:read"},
        "execute-api": {"realtime:POST", "realtime:DELETE"},
    },
    # The publish group's work, and reading media to upload it (infra/publish_worker.py).
    "publish_worker": {
        **PUBLISHING,
        "s3": {"media:workspaces/*:read"},
        "sqs": {"inbound_events:send"},
    },
    "media": {
        "s3": {"media:workspaces/*"},
        "states": {"media_jobs", "media_job_executions"},
    },
    # Generated media: stored as they come (no upload to tag), a generated video's job started
    # (never stopped: the media API cancels jobs), and the AI endpoint's key. The same grants
    # serve its StartVideo and PollVideo steps (infra/media_jobs.py).
    "generation": {
        "s3": {"media:workspaces/*:untagged"},
        "states": {"media_jobs"},
        "secretsmanager": {"ai_api_key"},
    },
    "webhooks": {
        "dynamodb": {"idempotency_table"},
        "events": {"event_bus"},
        # The platforms' webhook secrets verify their webhooks (functions/webhooks/routes/).
        # And the AI endpoint's key, for the inbox's suggestions and classification.
        "secretsmanager": {"unsubscribe_secret", "platform_credentials", "ai_api_key"},
        "kms": {"data_key"},
        "sqs": {"webhook_deliveries", "inbound_events:send"},
        # The inbox's replies and moderation (infra/engagement_function.py).
        "lambda": {"engagement_function"},
    },
    # infra/inbox_assistant.py: inbox items, the conversation index, the AI key, and hiding or
    # replying through the engagement function.
    "inbox_assistant": {
        "dynamodb": {"thread_index"},
        "secretsmanager": {"ai_api_key"},
        "lambda": {"engagement_function"},
    },
    # infra/webhook_delivery.py: they verify no tokens and query no index.
    "webhook_fanout": {"sqs": {"webhook_deliveries"}},
    "webhook_deliverer": {"kms": {"data_key:decrypt"}, "sqs": {"webhook_deliveries"}},
    # infra/inbound.py: links, inbox items and the outbox; fed by its queue; an Instagram
    # mention's text through the engagement function.
    "inbound_processor": {"sqs": {"inbound_events"}, "lambda": {"engagement_function"}},
    # infra/analytics_tracking.py: puts tracked events on their stream, reads them back; runs
    # funnels and retention on Athena in its workgroup (infra/analytics_engine.py).
    "analytics": {
        "firehose": {"tracked_events_stream"},
        # And writes large CSV exports of reports, signing their downloads.
        "s3": {
            "tracked_events_bucket",
            "tracked_events:events/*",
            "athena_results_bucket",
            "athena_results:athena/*",
            "media:workspaces/*/exports/*",
        },
        "athena": {"analytics_workgroup"},
        "glue": {"glue_catalog", "events_database", "events_table"},
        # Refreshing a post's platform metrics now (infra/metrics_collector.py).
        "lambda": {"metrics_collector"},
    },
    "realtime_connections": {},
    # Sends to connections, and closes them, on the WebSocket API's stage only.
    "realtime_pusher": {"execute-api": {"realtime:POST", "realtime:DELETE"}},
}
# What the webhook workers lack of COMMON (the deliverer is invoked by SQS, never asynchronously).
NOT_COMMON: dict[str, dict[str, set[str]]] = {
    "webhook_fanout": {"kms": {"signing_key"}, "dynamodb": {"app_indexes"}},
    "webhook_deliverer": {
        "kms": {"signing_key"},
        "dynamodb": {"app_indexes"},
        "sqs": {"async_dlq"},
    },
    "inbound_processor": {
        "kms": {"signing_key"},
        "dynamodb": {"app_indexes"},
        "sqs": {"async_dlq"},
    },
    "inbox_assistant": {"kms": {"signing_key"}, "dynamodb": {"app_indexes"}},
}
# Which actions may be used on each named resource.
ALLOWED_ACTIONS: dict[str, set[str]] = {
    "own_log_group": {"logs:CreateLogStream", "logs:PutLogEvents"},
    "async_dlq": {"sqs:SendMessage"},
    "*": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
    "app_table": {
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    },
    "app_indexes": {"dynamodb:Query"},
    "thread_index": {"dynamodb:Query"},
    "tracked_events_stream": {"firehose:PutRecordBatch"},
    "tracked_events_bucket": {"s3:ListBucket", "s3:GetBucketLocation"},
    "tracked_events:events/*": {"s3:GetObject"},
    "athena_results_bucket": {"s3:ListBucket", "s3:GetBucketLocation"},
    "athena_results:athena/*": {
        "s3:GetObject",
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
    },
    "analytics_workgroup": {
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
    },
    "glue_catalog": {"glue:GetDatabase", "glue:GetTable"},
    "events_database": {"glue:GetDatabase", "glue:GetTable"},
    "events_table": {"glue:GetDatabase", "glue:GetTable"},
    # PutObjectTagging: the presigned POSTs they sign tag each upload as pending.
    "media:users/*": {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging"},
    "media:workspaces/*": {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:PutObjectTagging",
    },
    "data_key": {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"},
    "signing_key": {"kms:GetPublicKey", "kms:Sign"},
    "mail_identity": {"ses:SendEmail"},
    "event_bus": {"events:PutEvents"},
    "schedules": {
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:GetSchedule",
    },
    "scheduler_role": {"iam:PassRole"},
    "platform_credentials": {"secretsmanager:GetSecretValue"},
    "unsubscribe_secret": {"secretsmanager:GetSecretValue"},
    "ai_api_key": {"secretsmanager:GetSecretValue"},
    "media:workspaces/*:read": {"s3:GetObject"},
    "media:workspaces/*:untagged": {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
    "media:workspaces/*/exports/*": {"s3:PutObject", "s3:PutObjectTagging", "s3:GetObject"},
    "publish_worker": {"lambda:InvokeFunction"},
    "engagement_function": {"lambda:InvokeFunction"},
    "metrics_collector": {"lambda:InvokeFunction"},
    "media_jobs": {"states:StartExecution"},
    "media_job_executions": {"states:StopExecution"},
    "webhook_deliveries": {
        "sqs:SendMessage",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    },
    "inbound_events:send": {"sqs:SendMessage"},
    "inbound_events": {
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    },
    "data_key:decrypt": {"kms:Decrypt"},
    "realtime:POST": {"execute-api:ManageConnections"},
    "realtime:DELETE": {"execute-api:ManageConnections"},
}
ALLOWED_ACTIONS["idempotency_table"] = ALLOWED_ACTIONS["app_table"]


# The domain of the default `mailFrom` context value, "Herald <no-reply@example.com>".
MAIL_IDENTITY = "arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/example.com"
# The worker is named in the stack, so schedules can target it without a reference to itself.
WORKER_ARN = (
    "arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:herald-dev-publish-worker"
)


def herald_function(synthesized: Synthesized, name: str) -> HeraldFunction:
    if name == "publish_worker":
        return synthesized.stack.publish_worker
    if name == "webhook_fanout":
        return synthesized.stack.webhook_delivery.fanout
    if name == "webhook_deliverer":
        return synthesized.stack.webhook_delivery.deliverer
    if name == "inbound_processor":
        return synthesized.stack.inbound.processor
    if name == "inbox_assistant":
        return synthesized.stack.inbox_assistant.function
    if name in REALTIME_FUNCTIONS:
        realtime = synthesized.stack.realtime
        return realtime.connections if name == "realtime_connections" else realtime.pusher
    return synthesized.stack.groups[name]


def expected_grants(name: str) -> dict[str, set[str]]:
    grants: dict[str, set[str]] = defaultdict(set)
    for table in (COMMON, EXPECTED[name]):
        for service, resources in table.items():
            grants[service] |= resources
    for service, resources in NOT_COMMON.get(name, {}).items():
        grants[service] -= resources
    return {service: resources for service, resources in grants.items() if resources}


def resource_names(synthesized: Synthesized, name: str) -> dict[str, str]:
    """Flattened resource -> name, for every resource a role may legitimately name."""
    foundation = synthesized.stack.foundation
    lid = synthesized.logical_id
    names = {
        "*": "*",
        f"<{lid(herald_function(synthesized, name).log_group)}.Arn>": "own_log_group",
        f"<{lid(foundation.async_dlq)}.Arn>": "async_dlq",
        f"<{lid(foundation.app_table)}.Arn>": "app_table",
        f"<{lid(foundation.app_table)}.Arn>/index/*": "app_indexes",
        f"<{lid(foundation.app_table)}.Arn>/index/by-thread": "thread_index",
        f"<{lid(foundation.idempotency_table)}.Arn>": "idempotency_table",
        f"<{lid(foundation.data_key)}.Arn>": "data_key",
        f"<{lid(foundation.signing_key)}.Arn>": "signing_key",
        MAIL_IDENTITY: "mail_identity",
        f"<{lid(foundation.event_bus)}.Arn>": "event_bus",
        f"<{lid(foundation.scheduler_role)}.Arn>": "scheduler_role",
        f"<{lid(foundation.platform_credentials)}>": "platform_credentials",
        f"<{lid(synthesized.stack.notifications.unsubscribe_secret)}>": "unsubscribe_secret",
        f"<{lid(synthesized.stack.ai_endpoint.api_key)}>": "ai_api_key",
        WORKER_ARN: "publish_worker",
        WORKER_ARN.replace("publish-worker", "engagement"): "engagement_function",
        WORKER_ARN.replace("publish-worker", "metrics-collector"): "metrics_collector",
        (
            "arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/"
            f"<{synthesized.stack.resolve(foundation.schedule_group.logical_id)}>/*"
        ): "schedules",
    }
    for prefix in ("users/*", "workspaces/*", "workspaces/*/exports/*"):
        names[f"<{lid(foundation.media_bucket)}.Arn>/{prefix}"] = f"media:{prefix}"
    if name in {"publish_worker", "publish"}:
        names[f"<{lid(foundation.media_bucket)}.Arn>/workspaces/*"] = "media:workspaces/*:read"
    if name == "generation":
        names[f"<{lid(foundation.media_bucket)}.Arn>/workspaces/*"] = "media:workspaces/*:untagged"
    if name == "webhook_deliverer":
        names[f"<{lid(foundation.data_key)}.Arn>"] = "data_key:decrypt"
    names[f"<{lid(synthesized.stack.webhook_delivery.queue)}.Arn>"] = "webhook_deliveries"
    inbound = f"<{lid(synthesized.stack.inbound.queue)}.Arn>"
    names[inbound] = "inbound_events" if name == "inbound_processor" else "inbound_events:send"
    tracking = synthesized.stack.analytics_tracking
    stream = synthesized.stack.resolve(synthesized.stack.get_logical_id(tracking.stream))
    names[f"<{stream}.Arn>"] = "tracked_events_stream"
    names[f"<{lid(tracking.bucket)}.Arn>"] = "tracked_events_bucket"
    names[f"<{lid(tracking.bucket)}.Arn>/events/*"] = "tracked_events:events/*"
    results = f"<{lid(tracking.engine.results_bucket)}.Arn>"
    names[results] = "athena_results_bucket"
    names[f"{results}/athena/*"] = "athena_results:athena/*"
    workgroup = f":workgroup/{tracking.engine.workgroup_name}"
    names[f"arn:<AWS::Partition>:athena:<AWS::Region>:<AWS::AccountId>{workgroup}"] = (
        "analytics_workgroup"
    )
    catalog = tracking.catalog
    for arn, resource in (
        (catalog.catalog_arn, "glue_catalog"),
        (catalog.database_arn, "events_database"),
        (catalog.table_arn, "events_table"),
    ):
        names[flatten(synthesized.stack.resolve(arn))] = resource
    media_jobs = synthesized.stack.media_jobs
    names[f"<{lid(media_jobs.state_machine)}>"] = "media_jobs"
    names[flatten(synthesized.stack.resolve(media_jobs.named_state_machine_arn))] = "media_jobs"
    realtime = synthesized.stack.realtime
    for method in ("POST", "DELETE"):
        connections = (
            "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
            f"<{lid(realtime.api)}>/{synthesized.stack.config.stage}/{method}/@connections/*"
        )
        names[connections] = f"realtime:{method}"
    names[flatten(synthesized.stack.resolve(media_jobs.executions_arn))] = "media_job_executions"
    return names


@pytest.mark.parametrize("function", FUNCTIONS)
def test_role_reaches_only_its_own_resources(synthesized: Synthesized, function: str) -> None:
    role_id = synthesized.logical_id(herald_function(synthesized, function).role)
    trust = synthesized.resources[role_id]["Properties"]["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]

    names = resource_names(synthesized, function)
    granted: dict[str, set[str]] = defaultdict(set)
    for statement in statements_of_role(synthesized, role_id):
        assert statement["Effect"] == "Allow"
        for resource in as_list(statement["Resource"]):
            flat = flatten(resource)
            assert flat in names, f"{function} may reach an unexpected resource: {flat}"
            name = names[flat]
            for action in as_list(statement["Action"]):
                assert "*" not in action, f"wildcard action {action}"
                service = action.split(":")[0]
                assert action in ALLOWED_ACTIONS[name], f"{function}: {action} on {name}"
                if name == "*":
                    assert service == "xray", f"{action} on every resource"
                if name == "scheduler_role":
                    assert statement["Condition"] == {
                        "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
                    }
                granted[service].add(name)
    assert dict(granted) == expected_grants(function)


def test_table_covers_every_function() -> None:
    assert set(EXPECTED) == set(FUNCTIONS)


def test_scheduler_role_invokes_only_the_publish_worker(synthesized: Synthesized) -> None:
    foundation = synthesized.stack.foundation
    role_id = synthesized.logical_id(foundation.scheduler_role)
    (trust,) = synthesized.resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}

    granted = {
        (action, flatten(resource))
        for statement in statements_of_role(synthesized, role_id)
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    assert granted == {
        ("lambda:InvokeFunction", WORKER_ARN),
        ("sqs:SendMessage", f"<{synthesized.logical_id(foundation.scheduler_dlq)}.Arn>"),
    }


def test_no_role_outside_the_known_ones(synthesized: Synthesized) -> None:
    """New roles (from a construct's defaults) must be looked at, and added here."""
    known = {synthesized.logical_id(herald_function(synthesized, f).role) for f in FUNCTIONS}
    known.add(synthesized.logical_id(synthesized.stack.foundation.scheduler_role))
    # The media job steps and their state machine (tests/infra/test_media_jobs.py).
    known.add(synthesized.logical_id(synthesized.stack.media_jobs.steps.role))
    known.add(synthesized.logical_id(synthesized.stack.media_jobs.state_machine_role))
    known.add(synthesized.logical_id(synthesized.stack.media_jobs.reconciler.role))
    known.add(synthesized.logical_id(synthesized.stack.publish_events.role))
    # test_the_engagement_function_opens_tokens_and_only_webhooks_invokes_it below.
    known.add(synthesized.logical_id(synthesized.stack.engagement.role))
    # test_the_metrics_collector_opens_tokens_and_only_analytics_invokes_it below.
    known.add(synthesized.logical_id(synthesized.stack.metrics_collector.role))
    # Firehose's delivery of tracked events (test_firehose_writes_only_to_its_bucket below).
    known.add(synthesized.logical_id(synthesized.stack.analytics_tracking.delivery_role))
    # The outbox relay (tests/infra/test_event_relay.py).
    known.add(synthesized.logical_id(synthesized.stack.event_relay.role))
    # The notifier and the digest (test_notification_functions_reach_only_their_own below).
    known.add(synthesized.logical_id(synthesized.stack.notifications.notifier.role))
    known.add(synthesized.logical_id(synthesized.stack.notifications.digest.role))
    others = {
        logical_id: role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        for logical_id, role in synthesized.of_type("AWS::IAM::Role").items()
        if logical_id not in known
    }
    # API Gateway's account-level role for CloudWatch logging (see the IAM4 acknowledgement).
    assert list(others.values()) == [{"Service": "apigateway.amazonaws.com"}]


def grants_of(synthesized: Synthesized, function: str) -> set[tuple[str, str]]:
    """(action, flattened resource) of every statement of the function's role."""
    role_id = synthesized.logical_id(herald_function(synthesized, function).role)
    return {
        (action, flatten(resource))
        for statement in statements_of_role(synthesized, role_id)
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }


def test_only_auth_signs_tokens_and_only_with_the_signing_key(synthesized: Synthesized) -> None:
    signing_key = f"<{synthesized.logical_id(synthesized.stack.foundation.signing_key)}.Arn>"
    signers = {
        function: {
            resource
            for action, resource in grants_of(synthesized, function)
            if action == "kms:Sign"
        }
        for function in FUNCTIONS
    }
    assert {name: keys for name, keys in signers.items() if keys} == {"auth": {signing_key}}


def test_every_function_reads_the_signing_keys_public_key(synthesized: Synthesized) -> None:
    signing_key = f"<{synthesized.logical_id(synthesized.stack.foundation.signing_key)}.Arn>"
    for function in set(FUNCTIONS) - set(NOT_COMMON):  # the webhook workers verify no tokens
        readable = {
            resource
            for action, resource in grants_of(synthesized, function)
            if action == "kms:GetPublicKey"
        }
        assert readable == {signing_key}, function


def test_only_auth_sends_email_and_only_as_the_mail_identity(synthesized: Synthesized) -> None:
    senders = {
        function: {
            (action, resource)
            for action, resource in grants_of(synthesized, function)
            if action.startswith("ses:")
        }
        for function in FUNCTIONS
    }
    assert {name: grants for name, grants in senders.items() if grants} == {
        "auth": {("ses:SendEmail", MAIL_IDENTITY)}
    }


def test_only_publish_its_worker_and_the_webhooks_api_read_the_platform_credentials(
    synthesized: Synthesized,
) -> None:
    secret = synthesized.logical_id(synthesized.stack.foundation.platform_credentials)
    data_key = f"<{synthesized.logical_id(synthesized.stack.foundation.data_key)}.Arn>"
    readers = {
        function: {
            (action, resource)
            for action, resource in grants_of(synthesized, function)
            if secret in resource
        }
        for function in FUNCTIONS
    }
    assert {name: grants for name, grants in readers.items() if grants} == {
        "publish": {("secretsmanager:GetSecretValue", f"<{secret}>")},
        "publish_worker": {("secretsmanager:GetSecretValue", f"<{secret}>")},
        "webhooks": {("secretsmanager:GetSecretValue", f"<{secret}>")},
    }
    # The secret is encrypted with the data key, which only they may decrypt with.
    decrypters = {
        function
        for function in FUNCTIONS
        if ("kms:Decrypt", data_key) in grants_of(synthesized, function)
    }
    # The webhooks API and deliverer open endpoint signing secrets; without GetSecretValue
    # they cannot read the credentials secret.
    assert decrypters == {"publish", "publish_worker", "webhooks", "webhook_deliverer"}
    # No resource policy widens who may read it.
    assert synthesized.of_type("AWS::SecretsManager::ResourcePolicy") == {}


def test_only_the_worker_rules_invoke_a_function_from_eventbridge(
    synthesized: Synthesized,
) -> None:
    """And the media jobs' ended-execution rule its reconciler (tests/infra/test_media_jobs.py),
    and a deleted workspace the publish events function, and the rule on Herald's bus the
    real-time pusher, and new inbox items the inbox assistant."""
    worker = synthesized.stack.publish_worker
    publish_events = synthesized.stack.publish_events
    reconciler = synthesized.stack.media_jobs.reconciler.function
    from_events = sorted(
        (
            permission["Properties"]
            for permission in synthesized.of_type("AWS::Lambda::Permission").values()
            if permission["Properties"]["Principal"] == "events.amazonaws.com"
        ),
        key=lambda properties: str(properties["SourceArn"]),
    )
    targets = sorted(
        (
            (synthesized.logical_id(rule), synthesized.logical_id(function))
            for rule, function in (
                (worker.sweeper, worker.function),
                (worker.token_refresher, worker.function),
                (worker.engagement_poller, worker.function),
                (synthesized.stack.media_jobs.ended_execution_rule, reconciler),
                (synthesized.stack.media_jobs.workspace_deleted_rule, reconciler),
                (publish_events.workspace_deleted_rule, publish_events.function),
                (publish_events.platform_notice_rule, publish_events.function),
                (
                    synthesized.stack.notifications.notifier_rule,
                    synthesized.stack.notifications.notifier.function,
                ),
                (
                    synthesized.stack.notifications.digest_schedule,
                    synthesized.stack.notifications.digest.function,
                ),
                (
                    synthesized.stack.webhook_delivery.rule,
                    synthesized.stack.webhook_delivery.fanout.function,
                ),
                (synthesized.stack.realtime.rule, synthesized.stack.realtime.pusher.function),
                (
                    synthesized.stack.metrics_collector.schedule,
                    synthesized.stack.metrics_collector.function,
                ),
                (
                    synthesized.stack.inbox_assistant.rule,
                    synthesized.stack.inbox_assistant.function.function,
                ),
            )
        ),
        key=lambda ids: str({"Fn::GetAtt": [ids[0], "Arn"]}),
    )
    assert from_events == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]},
        }
        for rule_id, function_id in targets
    ]


def test_a_deleted_workspace_reaches_the_publish_events_function(synthesized: Synthesized) -> None:
    publish_events = synthesized.stack.publish_events
    lid = synthesized.logical_id
    rule = synthesized.resources[lid(publish_events.workspace_deleted_rule)]["Properties"]

    assert rule["EventBusName"] == {"Ref": lid(synthesized.stack.foundation.event_bus)}
    assert rule["EventPattern"] == {"source": ["herald.auth"], "detail-type": ["workspace.deleted"]}
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [lid(publish_events.function), "Arn"]}
    assert "Input" not in target
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3}
    assert target["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": [lid(synthesized.stack.foundation.async_dlq), "Arn"]}
    }


def test_the_publish_events_function_only_lists_and_deletes_herald_schedules(
    synthesized: Synthesized,
) -> None:
    publish_events = synthesized.stack.publish_events
    foundation = synthesized.stack.foundation
    lid = synthesized.logical_id
    log_group = f"<{lid(publish_events.log_group)}.Arn>"
    schedules = (
        "arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/"
        f"<{synthesized.stack.resolve(foundation.schedule_group.logical_id)}>/*"
    )

    assert {
        (action, flatten(resource))
        for statement in statements_of_role(synthesized, lid(publish_events.role))
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    } == {
        ("logs:CreateLogStream", log_group),
        ("logs:PutLogEvents", log_group),
        ("scheduler:ListSchedules", schedules),
        ("scheduler:DeleteSchedule", schedules),
        ("sqs:SendMessage", f"<{lid(foundation.async_dlq)}.Arn>"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
        # Platform notices: accounts marked, targets read, their checks started at once.
        *(
            (action, f"<{lid(foundation.app_table)}.Arn>")
            for action in ALLOWED_ACTIONS["app_table"]
        ),
        ("lambda:InvokeFunction", WORKER_ARN),
    }


def test_only_the_inbound_processors_notices_reach_the_publish_events_function(
    synthesized: Synthesized,
) -> None:
    """Internal events are on their own source, which the `herald.` prefix of the webhook
    fan-out, the notifier and the real-time pusher does not match."""
    publish_events = synthesized.stack.publish_events
    lid = synthesized.logical_id
    rule = synthesized.resources[lid(publish_events.platform_notice_rule)]["Properties"]

    assert rule["EventPattern"] == {
        "source": ["herald-internal.webhooks"],
        "detail-type": ["platform.notice"],
    }
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [lid(publish_events.function), "Arn"]}
    for consumer_rule in (
        synthesized.stack.webhook_delivery.rule,
        synthesized.stack.notifications.notifier_rule,
        synthesized.stack.realtime.rule,
    ):
        pattern = synthesized.resources[lid(consumer_rule)]["Properties"]["EventPattern"]
        assert pattern["source"] == [{"prefix": "herald."}]


def test_notification_functions_reach_only_their_own(synthesized: Synthesized) -> None:
    """The notifier and the digest: the table (no index, no delete), the unsubscribe key, mail."""
    notifications = synthesized.stack.notifications
    lid = synthesized.logical_id
    foundation = synthesized.stack.foundation
    secret = f"<{lid(notifications.unsubscribe_secret)}>"
    table = f"<{lid(foundation.app_table)}.Arn>"
    stage = (
        "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
        f"<{lid(synthesized.stack.realtime.api)}>/{synthesized.stack.config.stage}"
    )
    # The notifier pushes each new notification to its user's connections (docs/realtime.md).
    pushes = {
        ("execute-api:ManageConnections", f"{stage}/{method}/@connections/*")
        for method in ("POST", "DELETE")
    }
    for function, table_actions, others in (
        (
            notifications.notifier,
            {"GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"},
            pushes,
        ),
        (notifications.digest, {"GetItem", "Query", "BatchGetItem", "PutItem"}, set()),
    ):
        granted = {
            (action, flatten(resource))
            for statement in statements_of_role(synthesized, lid(function.role))
            for action in as_list(statement["Action"])
            for resource in as_list(statement["Resource"])
        }
        assert granted == {
            ("logs:CreateLogStream", f"<{lid(function.log_group)}.Arn>"),
            ("logs:PutLogEvents", f"<{lid(function.log_group)}.Arn>"),
            ("sqs:SendMessage", f"<{lid(foundation.async_dlq)}.Arn>"),
            ("xray:PutTraceSegments", "*"),
            ("xray:PutTelemetryRecords", "*"),
            *((f"dynamodb:{action}", table) for action in table_actions),
            ("secretsmanager:GetSecretValue", secret),
            ("ses:SendEmail", MAIL_IDENTITY),
            *others,
        }


def token_opener_table_grants(synthesized: Synthesized, function: HeraldFunction) -> set[str]:
    """Assert that a publish-group function reached from another group (the engagement function,
    the metrics collector) may open and seal tokens and read the platform credentials, and
    nothing more than its logs, DLQ and traces; its grants on the table, by resource."""
    foundation = synthesized.stack.foundation
    lid = synthesized.logical_id
    log_group = f"<{lid(function.log_group)}.Arn>"
    data_key = f"<{lid(foundation.data_key)}.Arn>"
    granted = {
        (action, flatten(resource))
        for statement in statements_of_role(synthesized, lid(function.role))
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    assert {(a, r) for a, r in granted if not a.startswith("dynamodb:")} == {
        ("logs:CreateLogStream", log_group),
        ("logs:PutLogEvents", log_group),
        ("kms:Encrypt", data_key),
        ("kms:Decrypt", data_key),
        ("kms:GenerateDataKey", data_key),
        ("secretsmanager:GetSecretValue", f"<{lid(foundation.platform_credentials)}>"),
        ("sqs:SendMessage", f"<{lid(foundation.async_dlq)}.Arn>"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    }
    return {f"{a} {r}" for a, r in granted if a.startswith("dynamodb:")}


def invoking_groups(synthesized: Synthesized, function_name: str) -> set[str]:
    lid = synthesized.logical_id
    return {
        name
        for name, group in synthesized.stack.groups.items()
        if any(
            "lambda:InvokeFunction" in as_list(statement["Action"])
            and function_name in flatten(statement["Resource"])
            for statement in statements_of_role(synthesized, lid(group.role))
        )
    }


def test_the_engagement_function_opens_tokens_and_only_the_inbox_invokes_it(
    synthesized: Synthesized,
) -> None:
    table = f"<{synthesized.logical_id(synthesized.stack.foundation.app_table)}.Arn>"
    dynamodb = token_opener_table_grants(synthesized, synthesized.stack.engagement)
    assert {grant.split()[1] for grant in dynamodb} == {table}
    assert invoking_groups(synthesized, "herald-dev-engagement") == {"webhooks"}
    # And the inbound processor, which reads Instagram mentions' text (infra/inbound.py).
    processor = synthesized.stack.inbound.processor
    assert any(
        "lambda:InvokeFunction" in as_list(statement["Action"])
        and "herald-dev-engagement" in flatten(statement["Resource"])
        for statement in statements_of_role(synthesized, synthesized.logical_id(processor.role))
    )


def test_the_metrics_collector_opens_tokens_and_only_analytics_invokes_it(
    synthesized: Synthesized,
) -> None:
    collector = synthesized.stack.metrics_collector
    table = f"<{synthesized.logical_id(synthesized.stack.foundation.app_table)}.Arn>"
    dynamodb = token_opener_table_grants(synthesized, collector)
    # The table's items, and of its indexes only the one that says what is due.
    assert {grant.split()[1] for grant in dynamodb} == {table, f"{table}/index/by-due"}
    assert {grant for grant in dynamodb if grant.endswith("/index/by-due")} == {
        f"dynamodb:Query {table}/index/by-due"
    }
    assert invoking_groups(synthesized, "herald-dev-metrics-collector") == {"analytics"}
    (rule,) = [
        resource
        for logical_id, resource in synthesized.of_type("AWS::Events::Rule").items()
        if logical_id.startswith("MetricsCollector")
    ]
    assert rule["Properties"]["ScheduleExpression"] == "rate(15 minutes)"
    (target,) = rule["Properties"]["Targets"]
    assert json.loads(target["Input"]) == {"herald": "collect-metrics"}


def test_firehose_writes_only_to_its_bucket(synthesized: Synthesized) -> None:
    tracking = synthesized.stack.analytics_tracking
    role_id = synthesized.logical_id(tracking.delivery_role)
    (trust,) = synthesized.resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    bucket = f"<{synthesized.logical_id(tracking.bucket)}.Arn>"
    granted = {
        (action, flatten(resource))
        for statement in statements_of_role(synthesized, role_id)
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    bucket_actions = {
        "s3:AbortMultipartUpload",
        "s3:GetBucketLocation",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:PutObject",
    }
    logs = f"<{synthesized.logical_id(tracking.delivery_logs)}.Arn>"
    # Record format conversion reads the Glue table's schema, and nothing else of the catalog.
    schema = {
        flatten(synthesized.stack.resolve(arn))
        for arn in (
            tracking.catalog.catalog_arn,
            tracking.catalog.database_arn,
            tracking.catalog.table_arn,
        )
    }
    glue_actions = {"glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"}
    assert granted == {
        *((action, resource) for action in bucket_actions for resource in (bucket, f"{bucket}/*")),
        *((action, resource) for action in glue_actions for resource in schema),
        ("logs:PutLogEvents", logs),
    }
