"""Every setting Herald reads from its environment, typed, in one place.

The README's configuration table lists the same variables; a test keeps the two in step.
"""

from functools import cache
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HERALD_", frozen=True, extra="ignore")

    stage: Literal["local", "test", "dev", "staging", "prod"] = Field(
        "local", description="Deployment stage; `local` for `make dev` and the test suite."
    )
    version: str = Field("0.1.0-dev", description="Build version reported by every health route.")
    region: str = Field(
        "us-east-1",
        validation_alias="AWS_REGION",
        description="AWS region for every client (set by Lambda itself).",
    )
    table_name: str = Field("herald-app", description="Application DynamoDB table.")
    idempotency_table_name: str = Field(
        "herald-idempotency", description="DynamoDB table for Powertools idempotency records."
    )
    media_bucket: str = Field("herald-media-local", description="S3 bucket for media and uploads.")
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
    jwt_public_jwks: str = Field(
        "",
        description="JSON Web Key Set (JSON text) of the public keys that verify access tokens.",
    )
    jwt_issuer: str = Field("herald", description="Required `iss` claim of access tokens.")
    jwt_audience: str = Field("herald-api", description="Required `aud` claim of access tokens.")
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        ("http://localhost:3000",),
        description="Comma-separated origins allowed by CORS (the dashboard).",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value


@cache
def get_settings() -> Settings:
    return Settings()
