"""Notifications: the notifier (every Herald event on the bus) and the daily digest, both running
the webhooks group's code, and the secret that signs one-click unsubscribe links.

Each function may read and write the application table, read that secret and send email as the
`mailFrom` identity; nothing else. The webhooks API function reads the secret too, to verify
the links. See docs/notifications.md.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import HeraldConfig
from infra.foundation import Foundation
from infra.function_group import (
    READ_SECRET,
    SEND_MAIL,
    FunctionGroupConstruct,
    mail_identity_arn,
)
from infra.herald_function import HeraldFunction
from infra.nag import acknowledge

# Transactions are authorised through the item actions they contain. DeleteItem: a real-time
# push drops the joins of connections that are gone (functions/webhooks/domain/realtime.py).
NOTIFIER_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
DIGEST_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
)
# Every morning at 07:00 UTC, for the previous UTC day.
DIGEST_HOUR_UTC = "7"


class Notifications(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        webhooks: FunctionGroupConstruct,
        code_path: Path,
        foundation: Foundation,
        config: HeraldConfig,
        api_base_url: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.unsubscribe_secret = secretsmanager.Secret(
            self,
            "UnsubscribeSecret",
            description="Herald: HMAC key of the one-click unsubscribe links of emails",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.unsubscribe_secret,
            "AwsSolutions-SMG4",
            "Rotating this key would break every unsubscribe link already emailed, which mail "
            "providers require to keep working; it is rotated by hand if it ever leaks.",
        )
        secret_arn = self.unsubscribe_secret.secret_arn
        webhooks.function.add_environment("HERALD_UNSUBSCRIBE_SECRET", secret_arn)
        webhooks.allow(READ_SECRET, secret_arn)

        environment = {
            **webhooks.environment,
            "HERALD_UNSUBSCRIBE_SECRET": secret_arn,
            "HERALD_MAIL_FROM": config.mail_from,
            "HERALD_API_BASE_URL": api_base_url,
        }
        self.notifier = HeraldFunction(
            self,
            "Notifier",
            title="Herald notifier",
            description="Herald notifier: notifications and instant emails from domain events",
            handler="functions.webhooks.workers.notifier.handler",
            code_path=code_path,
            foundation=foundation,
            service_name="herald-notifier",
            environment=environment,
            memory_mb=512,
            timeout=Duration.minutes(1),
        )
        self.digest = HeraldFunction(
            self,
            "Digest",
            title="Herald notification digest",
            description="Herald notification digest: the daily email of unread notifications",
            handler="functions.webhooks.workers.digest.handler",
            code_path=code_path,
            foundation=foundation,
            service_name="herald-notification-digest",
            environment=environment,
            memory_mb=512,
            timeout=Duration.minutes(15),
        )
        mail_identity = mail_identity_arn(self, config)
        for function, table_actions in (
            (self.notifier, NOTIFIER_TABLE_ACTIONS),
            (self.digest, DIGEST_TABLE_ACTIONS),
        ):
            function.allow(table_actions, foundation.app_table.table_arn)
            function.allow(READ_SECRET, secret_arn)
            function.allow(SEND_MAIL, mail_identity)

        self.notifier_rule = events.Rule(
            self,
            "NotifierRule",
            description="Herald: every domain event to the notifier",
            event_bus=foundation.event_bus,
            event_pattern=events.EventPattern(source=events.Match.prefix("herald.")),
        )
        self.notifier_rule.add_target(
            targets.LambdaFunction(
                self.notifier.function,
                # Deliveries are idempotent per event and recipient, so retries are safe.
                max_event_age=Duration.hours(24),
                retry_attempts=185,
                dead_letter_queue=foundation.async_dlq,
            )
        )
        self.digest_schedule = events.Rule(
            self,
            "DigestSchedule",
            description="Herald: the daily digest of unread notifications",
            schedule=events.Schedule.cron(minute="0", hour=DIGEST_HOUR_UTC),
        )
        self.digest_schedule.add_target(
            targets.LambdaFunction(
                self.digest.function,
                # A digest is claimed per user before it is sent: a retry sends the rest only.
                max_event_age=Duration.hours(6),
                retry_attempts=3,
                dead_letter_queue=foundation.async_dlq,
            )
        )
