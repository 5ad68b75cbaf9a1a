"""The event catalogue: `GET /v1/webhooks/event-types`, and one OpenAPI `webhooks` operation
per event type (the request Herald sends to a subscribed endpoint)."""

from typing import Annotated

from fastapi import APIRouter, Body, Header, Response

from functions.shared.event_catalogue import CATALOGUE, EventType
from functions.shared.http.app import operation_id
from functions.shared.http.dependencies import Caller
from functions.webhooks.domain.event_types import (
    EventTypeList,
    event_type_list,
    webhook_body_example,
    webhook_body_model,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.get(
    "/event-types",
    description="Any signed-in user or API key (no role or scope): the catalogue is the same "
    "for every workspace.",
)
async def list_event_types(caller: Caller) -> EventTypeList:
    """Every event type Herald sends, with its version, data schema and an example body."""
    return event_type_list()


# --- the OpenAPI document's `webhooks` -----------------------------------------------------------

# Not included in the app, so it names its operations itself, the way the app does.
webhooks = APIRouter(tags=["webhook events"], generate_unique_id_function=operation_id)

# https://www.standardwebhooks.com/ ("Signature scheme"): the three headers of every delivery.
WebhookId = Annotated[
    str,
    Header(
        description="The event's id (`evt_...`): the same on every retry or replay of the "
        "event, so deduplicate by it."
    ),
]
WebhookTimestamp = Annotated[
    str,
    Header(description="Seconds since the Unix epoch when this attempt was signed."),
]
WebhookSignature = Annotated[
    str,
    Header(
        description="Space-separated `v1,<base64 HMAC-SHA256>` signatures of "
        "`<webhook-id>.<webhook-timestamp>.<body>` with the endpoint's `whsec_` secret (two "
        "for 24 hours after a rotation)."
    ),
]


def _document(event: EventType) -> None:
    body_model = webhook_body_model(event)

    async def receive(
        body: Annotated[
            body_model,  # type: ignore[valid-type]
            Body(openapi_examples={"example": {"value": webhook_body_example(event)}}),
        ],
        webhook_id: WebhookId,
        webhook_timestamp: WebhookTimestamp,
        webhook_signature: WebhookSignature,
    ) -> None:
        raise NotImplementedError  # documents a request Herald sends; never served

    webhooks.post(
        event.name,
        name=event.name.replace(".", "_") + "_webhook",
        summary=event.name,
        description=f"{event.description}\n\nVersion {event.version}; emitted by "
        f"`{event.emitted_by}`; sent to {event.recipients}.",
        status_code=204,
        response_class=Response,
        responses={
            204: {"description": "Any 2xx acknowledges it; anything else is retried."},
            410: {"description": "Disables the endpoint: no further deliveries."},
        },
    )(receive)


for event_type in CATALOGUE:
    _document(event_type)
