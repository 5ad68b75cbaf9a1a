"""Requests and answers of the outbound webhooks API."""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from functions.shared.inputs import Rfc3339DateTime, SingleLine
from functions.webhooks.domain.event_types import SUBSCRIBABLE_EVENT_TYPES

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 200


def _subscribable(name: str) -> str:
    if name not in SUBSCRIBABLE_EVENT_TYPES:
        raise ValueError("must be one of the event types of GET /v1/webhooks/event-types")
    return name


EventTypeName = Annotated[
    str,
    AfterValidator(_subscribable),
    WithJsonSchema({"type": "string", "enum": list(SUBSCRIBABLE_EVENT_TYPES)}),
]
EventTypes = Annotated[
    list[EventTypeName] | Literal["all"],
    Field(
        description='The event types sent to the endpoint: a list of names, or `"all"` for every '
        "type (including types added later)."
    ),
]
EndpointUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="Where events are POSTed: an https URL on the standard port whose host "
        "resolves to public internet addresses only.",
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EndpointCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/herald",
                    "description": "Order system",
                    "event_types": ["post.published", "post.failed"],
                    "enabled": True,
                }
            ]
        }
    )

    url: EndpointUrl
    description: SingleLine = Field("", max_length=MAX_DESCRIPTION_LENGTH)
    event_types: EventTypes = Field("all", max_length=len(SUBSCRIBABLE_EVENT_TYPES))
    enabled: bool = True


class EndpointUpdate(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"event_types": "all", "enabled": False}]}
    )

    url: EndpointUrl | None = None
    description: SingleLine | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)
    event_types: EventTypes | None = Field(None, max_length=len(SUBSCRIBABLE_EVENT_TYPES))
    enabled: bool | None = None


class Endpoint(BaseModel):
    id: str = Field(description="The endpoint's id (a ULID).")
    url: str = Field(description="Where events are POSTed.")
    description: str = Field(description="What the endpoint is for.")
    event_types: list[str] | Literal["all"] = Field(
        description='The event types sent to it, or `"all"`.'
    )
    enabled: bool = Field(description="Whether events are sent to it.")
    disabled_reason: str | None = Field(
        description="Why Herald disabled it (a 410 answer, or 5 days of failures); null when "
        "enabled or disabled by a person."
    )
    last_success_at: str | None = Field(description="Its last successful delivery (RFC 3339).")
    failing_since: str | None = Field(
        description="The first failed attempt since its last success (RFC 3339), or null."
    )
    created_by: str = Field(description="Who created it.")
    created_at: str = Field(description="When it was created (RFC 3339).")
    updated_at: str = Field(description="When it last changed (RFC 3339).")


class EndpointCreated(Endpoint):
    secret: str = Field(
        description="The signing secret (`whsec_` and base64), shown this once: keep it to "
        "verify the `webhook-signature` header."
    )


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret, shown this once.")
    previous_secret_expires_at: str = Field(
        description="Until then (RFC 3339, 24 hours from now) deliveries are signed with the "
        "previous secret as well, so receivers can switch over."
    )


class AttemptRecord(BaseModel):
    at: str = Field(description="When the attempt started (RFC 3339).")
    status_code: int | None = Field(description="The HTTP status answered; null if none was.")
    latency_ms: int = Field(description="How long the attempt took, in milliseconds.")
    error: str | None = Field(description="Why no answer came (timeout, connection, refused).")


class Delivery(BaseModel):
    id: str = Field(description="The delivery's id (a ULID).")
    endpoint_id: str = Field(description="The endpoint it goes to.")
    event_id: str = Field(description="The event's id, sent as `webhook-id`.")
    event_type: str = Field(description="The event's type.")
    status: Literal["pending", "delivered", "failed"] = Field(
        description="`pending` (an attempt is due or running), `delivered` (a 2xx answer) or "
        "`failed` (no more attempts; retry it by hand)."
    )
    attempts: int = Field(description="How many attempts were made.")
    last_status_code: int | None = Field(description="The last attempt's HTTP status, if any.")
    last_latency_ms: int | None = Field(description="The last attempt's duration, in ms.")
    last_error: str | None = Field(description="Why the last attempt got no answer, if so.")
    response_excerpt: str | None = Field(
        description="The start of the last answer's body (at most 2 KB)."
    )
    next_attempt_at: str | None = Field(description="When the next attempt is due (RFC 3339).")
    attempt_log: list[AttemptRecord] = Field(description="Every attempt, oldest first.")
    created_at: str = Field(description="When the delivery was created (RFC 3339).")
    updated_at: str = Field(description="When it last changed (RFC 3339).")


class ReplayRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"since": "2030-03-01T09:00:00Z"}]})

    since: Rfc3339DateTime = Field(
        description="Re-send the events that occurred at or after this time (with an offset); "
        "events are kept 30 days."
    )


class ReplayStarted(BaseModel):
    queued: int = Field(description="How many deliveries were queued.")
    resume_since: str | None = Field(
        description="Null when every event since the time was queued; otherwise the replay "
        "stopped at its bound and this is the `since` that continues it."
    )
