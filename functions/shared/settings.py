"""Every setting Herald reads from its environment, typed, in one place.

docs/configuration.md lists the same variables; a test keeps the two in step.
A plain pydantic model rather than pydantic-settings: that package imports every settings source
it supports (CLI, dotenv, cloud secret stores), about 90 ms of each cold start for nothing here.
"""

import os
from collections.abc import Mapping
from functools import cache
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PREFIX = "HERALD_"
# Settings whose variable is not PREFIX + the field name in capitals.
_VARIABLE_OVERRIDES = {"region": "AWS_REGION"}


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Literal["local", "test", "dev", "staging", "prod"] = Field(
        "local", description="Deployment stage; `local` for `make dev` and the test suite."
    )
    version: str = Field("0.1.0-dev", description="Build version reported by every health route.")
    region: str = Field("us-east-1", description="AWS region for every client (set by Lambda).")
    table_name: str = Field("herald-app", description="Application DynamoDB table.")
    idempotency_table_name: str = Field(
        "herald-idempotency", description="DynamoDB table for Powertools idempotency records."
    )
    media_bucket: str = Field("herald-media-local", description="S3 bucket for media and uploads.")
    media_quota_bytes: int = Field(
        10 * 1024**3,
        gt=0,
        description="Storage quota of each workspace's media library, in bytes.",
    )
    media_jobs_state_machine_arn: str = Field(
        "arn:aws:states:us-east-1:123456789012:stateMachine:herald-local-media-jobs",
        description="Step Functions state machine that runs media jobs (video and audio).",
    )
    kms_key_id: str = Field(
        "alias/herald-local", description="KMS key (id, ARN or alias) for envelope encryption."
    )
    event_bus_name: str = Field("herald-local", description="EventBridge bus for domain events.")
    schedule_group: str = Field(
        "herald-local", description="EventBridge Scheduler group holding Herald's schedules."
    )
    scheduler_role_arn: str = Field(
        "arn:aws:iam::123456789012:role/herald-local-scheduler",
        description="Role EventBridge Scheduler assumes to invoke targets.",
    )
    publish_worker_arn: str = Field(
        "arn:aws:lambda:us-east-1:123456789012:function:herald-local-publish-worker",
        description="The publish worker function: the target of every post's schedule.",
    )
    engagement_function_arn: str = Field(
        "arn:aws:lambda:us-east-1:123456789012:function:herald-local-engagement",
        description="The publish group's engagement function, which the inbox invokes to reply "
        "to, hide, unhide and delete comments on the platforms.",
    )
    metrics_collector_arn: str = Field(
        "arn:aws:lambda:us-east-1:123456789012:function:herald-local-metrics-collector",
        description="The publish group's metrics collector, which analytics invokes to refresh "
        "a post's platform metrics now.",
    )
    scheduler_dead_letter_arn: str = Field(
        "arn:aws:sqs:us-east-1:123456789012:herald-local-scheduler-dlq",
        description="SQS queue receiving schedule deliveries that failed every retry.",
    )
    webhook_delivery_queue_url: str = Field(
        "https://sqs.us-east-1.amazonaws.com/123456789012/herald-local-webhook-deliveries",
        description="SQS queue of outbound webhook deliveries, one message per delivery attempt.",
    )
    inbound_queue_url: str = Field(
        "https://sqs.us-east-1.amazonaws.com/123456789012/herald-local-inbound",
        description="SQS queue of verified platform webhook events waiting for the processor.",
    )
    sandbox_webhook_secret: str = Field(
        "",
        description="Key of the HMAC that signs the sandbox platform's webhooks to Herald "
        "(`X-Sandbox-Signature-256`); empty: a random key per process, enough for local mode, "
        "where one process sends and verifies them.",
    )
    analytics_stream_name: str = Field(
        "herald-local-tracked-events",
        description="Amazon Data Firehose stream that delivers tracked events to S3.",
    )
    analytics_bucket: str = Field(
        "herald-local-tracked-events",
        description="S3 bucket the tracked events land in (`events/workspace=<ws>/dt=<day>/`).",
    )
    analytics_engine: Literal["duckdb", "athena"] = Field(
        "duckdb",
        description="What runs funnel and retention queries: `duckdb` in this process over the "
        "downloaded event files (local mode, tests), or `athena` (AWS).",
    )
    analytics_athena_workgroup: str = Field(
        "herald-local-analytics",
        description="Athena workgroup of the funnel and retention queries (its result location "
        "and bytes-scanned limit apply).",
    )
    analytics_glue_database: str = Field(
        "herald_local_events",
        description="Glue database holding the `tracked_events` table Athena queries.",
    )
    analytics_write_key_requests: int = Field(
        600,
        gt=0,
        description="Event batches one publishable write key may send per rate-limit window.",
    )
    analytics_export_inline_bytes: int = Field(
        1_000_000,
        gt=0,
        description="Largest CSV export answered in the response; a larger one is written to "
        "the media bucket and answered 303 with a presigned download URL.",
    )
    analytics_redirect_requests: int = Field(
        60,
        gt=0,
        description="Follows of one short link from one client address per rate-limit window.",
    )
    webhooks_allow_local_http: bool = Field(
        False,
        description="Local mode only: webhook endpoints may be plain http on a loopback address "
        "(a receiver on this machine); refused at any stage but local and test.",
    )
    jwt_public_jwks: str = Field(
        "",
        description="JSON Web Key Set (JSON text) of extra public keys that verify access tokens "
        "(besides the signing key's), e.g. a key being rotated out.",
    )
    jwt_signing_key_id: str = Field(
        "alias/herald-local-signing",
        description="Asymmetric KMS key (ECC_NIST_P256) that signs access tokens; only the auth "
        "function may sign with it, every function reads its public key to verify.",
    )
    jwt_issuer: str = Field("herald", description="Required `iss` claim of access tokens.")
    jwt_audience: str = Field("herald-api", description="Required `aud` claim of access tokens.")
    dashboard_url: str = Field(
        "http://localhost:3000",
        description="Base URL of the dashboard, used in the links of emails and redirects.",
    )
    mail_from: str = Field(
        "Herald <no-reply@herald.local>",
        description="Sender of Herald's emails; in AWS an SES-verified identity.",
    )
    mail_outbox_dir: str = Field(
        "",
        description="When set, emails are written as .eml files into this folder instead of "
        "being sent with SES (local mode).",
    )
    api_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public base URL of the API; platforms redirect OAuth logins to "
        "`<api_base_url>/v1/accounts/callback/<platform>`.",
    )
    realtime_callback_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where real-time messages are pushed to WebSocket connections: the API "
        "Gateway Management API endpoint of the WebSocket API's stage "
        "(`https://<api>.execute-api.<region>.amazonaws.com/<stage>`; locally the local server).",
    )
    platform_credentials_secret: str = Field(
        "",
        description="Secrets Manager secret (id or ARN) holding the platforms' OAuth client "
        'credentials as JSON: `{"x": {"client_id": ..., "client_secret": ...}, ...}`.',
    )
    platform_credentials_file: str = Field(
        "",
        description="Local mode: a JSON file with the same content as the secret; "
        "platforms without credentials can only use the sandbox.",
    )
    unsubscribe_secret: str = Field(
        "",
        description="Secrets Manager secret (id or ARN) whose value signs the one-click "
        "unsubscribe links of notification emails; empty locally (a random key per process).",
    )
    ai_base_url: str = Field(
        "",
        description="Base URL of the OpenAI-compatible endpoint the AI features call "
        "(`https://api.openai.com/v1` for OpenAI); empty: AI routes answer 503.",
    )
    ai_api_key_secret: str = Field(
        "",
        description="Secrets Manager secret (id or ARN) whose value is the AI endpoint's API key, "
        "read once per process; when set, it is used instead of `ai_api_key`.",
    )
    ai_api_key: str = Field(
        "",
        description="Local mode: the AI endpoint's API key itself (in AWS, use the secret).",
    )
    ai_text_model: str = Field("", description="Model for text generation (captions, rewrites).")
    ai_vision_model: str = Field("", description="Model that reads images (alt text, captions).")
    ai_image_model: str = Field("", description="Model that generates images.")
    ai_speech_model: str = Field("", description="Model that generates speech.")
    ai_video_model: str = Field("", description="Model that generates video.")
    ai_timeout_seconds: float = Field(
        20, gt=0, le=120, description="How long one call to the AI endpoint may take, in seconds."
    )
    ai_monthly_token_budget: int = Field(
        1_000_000,
        gt=0,
        description="Tokens (prompt and completion) each workspace may spend per calendar month "
        "(UTC) on AI generation.",
    )
    ai_monthly_image_budget: int = Field(
        100, ge=0, description="Images each workspace may generate per calendar month (UTC)."
    )
    ai_monthly_audio_seconds_budget: int = Field(
        3600,
        ge=0,
        description="Seconds of speech each workspace may generate per calendar month (UTC).",
    )
    ai_monthly_video_seconds_budget: int = Field(
        120,
        ge=0,
        description="Seconds of video each workspace may generate per calendar month (UTC).",
    )
    ai_video_poll_seconds: int = Field(
        15,
        ge=1,
        le=300,
        description="How long the media workflow waits between two checks of a video the "
        "endpoint is still generating, in seconds.",
    )
    meta_graph_version: str = Field("v25.0", description="Facebook Graph API version.")
    threads_api_version: str = Field("v1.0", description="Threads API version.")
    linkedin_api_version: str = Field(
        "202608",
        description="LinkedIn-Version header (YYYYMM) of LinkedIn's REST API; one LinkedIn has "
        "published, since an unpublished version fails every /rest call.",
    )
    rate_limit_window_seconds: int = Field(
        60, gt=0, le=3600, description="Length of each rate-limit window, in seconds."
    )
    rate_limit_workspace_reads: int = Field(
        1200,
        gt=0,
        description="Reads (GET, HEAD) a workspace may make per window, all callers together.",
    )
    rate_limit_workspace_writes: int = Field(
        300,
        gt=0,
        description="Writes (POST, PUT, PATCH, DELETE) a workspace may make per window.",
    )
    rate_limit_api_key_reads: int = Field(
        600, gt=0, description="Reads one API key may make per window (besides its workspace's)."
    )
    rate_limit_api_key_writes: int = Field(
        120, gt=0, description="Writes one API key may make per window (besides its workspace's)."
    )
    cors_origins: tuple[str, ...] = Field(
        ("http://localhost:3000",),
        description="Comma-separated origins allowed by CORS (the dashboard).",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @model_validator(mode="after")
    def _local_http_stays_local(self) -> Self:
        if self.webhooks_allow_local_http and self.stage not in ("local", "test"):
            raise ValueError("HERALD_WEBHOOKS_ALLOW_LOCAL_HTTP is for local mode only")
        return self

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Self:
        present = {
            name: environ[variable]
            for name, variable in environment_variables().items()
            if variable in environ
        }
        return cls.model_validate(present)


def environment_variables() -> dict[str, str]:
    """Each setting's field name, mapped to the environment variable it is read from."""
    return {
        name: _VARIABLE_OVERRIDES.get(name, f"{PREFIX}{name.upper()}")
        for name in Settings.model_fields
    }


@cache
def get_settings() -> Settings:
    return Settings.from_environment()
