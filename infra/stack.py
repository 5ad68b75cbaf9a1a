"""The Herald stack: the shared foundation, the API, and one construct per function group."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from functions.shared.groups import GROUPS
from infra.ai_endpoint import AiEndpoint
from infra.analytics_tracking import AnalyticsTracking
from infra.api import HeraldApi
from infra.bundling import Bundle
from infra.config import HeraldConfig
from infra.engagement_function import EngagementFunction
from infra.event_relay import EventRelay
from infra.foundation import Foundation
from infra.function_group import FunctionGroupConstruct, construct_id_for
from infra.inbound import InboundWebhooks
from infra.inbox_assistant import InboxAssistant
from infra.media_jobs import MediaJobs
from infra.metrics_collector import MetricsCollector
from infra.notifications import Notifications
from infra.publish_events import PublishEvents
from infra.publish_worker import PublishWorker
from infra.realtime import RealtimeApi
from infra.webhook_delivery import WebhookDelivery


class HeraldStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: HeraldConfig,
        bundle: Bundle,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id, description=description)
        self.config = config
        self.foundation = Foundation(self, "Foundation", config=config, layer_path=bundle.layer)
        self.api = HeraldApi(self, "Api", config=config)
        self.groups: dict[str, FunctionGroupConstruct] = {}
        for group in GROUPS:
            construct = FunctionGroupConstruct(
                self,
                construct_id_for(group),
                group=group,
                code_path=bundle.functions[group.code],
                foundation=self.foundation,
                config=config,
                api_base_url=self.api.base_url,
            )
            self.api.route(group, construct.function)
            self.groups[group.name] = construct

        self.ai_endpoint = AiEndpoint(
            self, "AiEndpoint", dependencies_layer_path=bundle.layer, config=config
        )
        for ai_group in ("publish", "webhooks"):
            self.ai_endpoint.serve(self.groups[ai_group], bundle.functions[ai_group])
        self.ai_endpoint.show_images(self.groups["publish"], self.foundation.media_bucket)
        self.publish_worker = PublishWorker(
            self,
            "PublishWorker",
            publish=self.groups["publish"],
            code_path=bundle.functions["publish"],
            foundation=self.foundation,
            config=config,
        )
        self.publish_events = PublishEvents(
            self,
            "PublishEvents",
            publish=self.groups["publish"],
            code_path=bundle.functions["publish"],
            foundation=self.foundation,
            publish_worker_arn=self.publish_worker.function_arn,
        )
        self.engagement = EngagementFunction(
            self,
            "Engagement",
            publish=self.groups["publish"],
            webhooks=self.groups["webhooks"],
            code_path=bundle.functions["publish"],
            foundation=self.foundation,
            config=config,
        )
        self.metrics_collector = MetricsCollector(
            self,
            "MetricsCollector",
            publish=self.groups["publish"],
            analytics=self.groups["analytics"],
            code_path=bundle.functions["publish"],
            foundation=self.foundation,
            config=config,
        )
        self.media_jobs = MediaJobs(
            self,
            "MediaJobs",
            media=self.groups["media"],
            generation=self.groups["generation"],
            code_path=bundle.functions["media"],
            dependencies_layer_path=bundle.layer,
            foundation=self.foundation,
            config=config,
        )
        self.event_relay = EventRelay(
            self,
            "EventRelay",
            code_path=bundle.functions["webhooks"],
            foundation=self.foundation,
            config=config,
        )
        self.notifications = Notifications(
            self,
            "Notifications",
            webhooks=self.groups["webhooks"],
            code_path=bundle.functions["webhooks"],
            foundation=self.foundation,
            config=config,
            api_base_url=self.api.base_url,
        )
        self.webhook_delivery = WebhookDelivery(
            self,
            "WebhookDelivery",
            webhooks=self.groups["webhooks"],
            code_path=bundle.functions["webhooks"],
            foundation=self.foundation,
            config=config,
        )
        self.inbound = InboundWebhooks(
            self,
            "Inbound",
            webhooks=self.groups["webhooks"],
            code_path=bundle.functions["webhooks"],
            foundation=self.foundation,
        )
        self.publish_worker.send_to_inbound_queue(self.inbound.queue)
        # The processor reads an Instagram mention's text through it (docs/inbox.md).
        self.engagement.invoked_by(self.inbound.processor)
        self.inbox_assistant = InboxAssistant(
            self,
            "InboxAssistant",
            webhooks=self.groups["webhooks"],
            code_path=bundle.functions["webhooks"],
            foundation=self.foundation,
            ai_endpoint=self.ai_endpoint,
            engagement_function_arn=self.engagement.function_arn,
        )
        self.realtime = RealtimeApi(
            self,
            "Realtime",
            code_path=bundle.functions["webhooks"],
            foundation=self.foundation,
            config=config,
        )
        self.analytics_tracking = AnalyticsTracking(
            self,
            "AnalyticsTracking",
            analytics=self.groups["analytics"],
            foundation=self.foundation,
        )
        # A new notification reaches its user's WebSocket connections at once.
        self.realtime.grant_push(self.notifications.notifier)
        # The AI strategist streams its answers to the asker's connections (docs/ai.md).
        self.realtime.grant_push(self.groups["publish"])
        # Completing an upload probes video and audio with the same FFmpeg build.
        self.groups["media"].function.add_layers(self.media_jobs.ffmpeg_layer)
        # Generated speech and video are probed by the same ffprobe, without ffmpeg beside it,
        # which leaves room for the openai layer (docs/ai.md).
        generation = self.groups["generation"]
        generation.function.add_layers(self.media_jobs.ffprobe_layer)
        self.ai_endpoint.serve(
            generation, bundle.functions["media"], self.media_jobs.ffprobe_layer_path
        )
        # Scheduled posts are delivered to the publish worker, and to nothing else.
        self.foundation.scheduler_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[self.publish_worker.function_arn],
            )
        )

        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url)
        CfnOutput(
            self,
            "PlatformCredentialsSecretArn",
            description="Put the platforms' OAuth client credentials (JSON) into this secret",
            value=self.foundation.platform_credentials.secret_arn,
        )
        CfnOutput(
            self,
            "AiApiKeySecretArn",
            description="Put the AI endpoint's API key into this secret (docs/ai.md)",
            value=self.ai_endpoint.api_key.secret_arn,
        )
        CfnOutput(self, "RealtimeUrl", value=self.realtime.stage.url)
        CfnOutput(self, "MediaBucketName", value=self.foundation.media_bucket.bucket_name)
        CfnOutput(self, "AlarmTopicArn", value=self.foundation.alarm_topic.topic_arn)
