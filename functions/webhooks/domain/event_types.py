"""The event catalogue as webhook receivers see it: each type's Standard Webhooks body.

A delivery's body is `{"type", "timestamp", "data"}` where `data` is the event's data plus the
`workspace_id` it happened in (https://www.standardwebhooks.com/, "Payload structure"). The
models here describe that body for each type; `GET /v1/webhooks/event-types` lists them and the
OpenAPI document's `webhooks` section has one operation per type.
"""

from datetime import datetime
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from functions.shared.event_catalogue import CATALOGUE, EventData, EventType

EXAMPLE_WORKSPACE_ID = "01JQ7ZJ1A3C5E7G9K2M4P6R8T0"
EXAMPLE_TIMESTAMP = "2025-05-01T08:12:41Z"


class WorkspaceEvent(BaseModel):
    workspace_id: str = Field(description="The workspace (brand) the event happened in.")


@cache
def webhook_data_model(model: type[EventData]) -> type[BaseModel]:
    """The `data` of a delivery: the event's data and its workspace id."""
    name = model.__name__.removesuffix("Data") + "WebhookData"
    return create_model(name, __base__=(model, WorkspaceEvent), __module__=__name__)


def webhook_body_example(event: EventType) -> dict[str, Any]:
    return {
        "type": event.name,
        "timestamp": EXAMPLE_TIMESTAMP,
        "data": {**event.example, "workspace_id": EXAMPLE_WORKSPACE_ID},
    }


def _model_name(event: EventType) -> str:
    return "".join(part.capitalize() for part in event.name.replace("_", ".").split(".")) + "Event"


@cache
def webhook_body_model(event: EventType) -> type[BaseModel]:
    """The body of a delivery of one event type, with its example."""
    return create_model(
        _model_name(event),
        __config__=ConfigDict(json_schema_extra={"examples": [webhook_body_example(event)]}),
        __doc__=event.description,
        __module__=__name__,
        type=(Literal[event.name], Field(description="The event type.")),  # type: ignore[arg-type]
        timestamp=(
            datetime,
            Field(description="When the change happened (RFC 3339, UTC); the event's time."),
        ),
        data=(webhook_data_model(event.model), Field(description="What happened.")),
    )


class EventTypeView(BaseModel):
    type: str = Field(description="The event type, e.g. `post.published`.")
    description: str = Field(description="When the event is sent.")
    version: int = Field(description="The version of the data's schema.")
    emitted_by: str = Field(description="The part of Herald whose change it describes.")
    recipients: str = Field(description="Who may receive it.")
    data_schema: dict[str, Any] = Field(
        description="JSON Schema (2020-12) of the webhook body's `data`."
    )
    example: dict[str, Any] = Field(description="An example webhook body.")


class EventTypeList(BaseModel):
    items: list[EventTypeView] = Field(description="Every event type, in catalogue order.")


@cache
def event_type_list() -> EventTypeList:
    return EventTypeList(
        items=[
            EventTypeView(
                type=event.name,
                description=event.description,
                version=event.version,
                emitted_by=event.emitted_by,
                recipients=event.recipients,
                data_schema=webhook_data_model(event.model).model_json_schema(),
                example=webhook_body_example(event),
            )
            for event in CATALOGUE
        ]
    )


# Sent only by `POST /v1/webhooks/endpoints/{id}/test`, to that endpoint, whatever it subscribes.
TEST_EVENT_TYPE = "webhook.test"
# What an endpoint may subscribe to: every catalogued event but the test.
SUBSCRIBABLE_EVENT_TYPES: tuple[str, ...] = tuple(
    event.name for event in CATALOGUE if event.name != TEST_EVENT_TYPE
)
