"""A function group's FastAPI app and its Lambda entry point, with what all groups share."""

import asyncio
import importlib
import os
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from pydantic import BaseModel, Field
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from functions.shared.groups import group_named
from functions.shared.http.problems import (
    PROBLEM_RESPONSES,
    drop_json_twins_of_problems,
    install_problem_handlers,
)
from functions.shared.http.rate_limits import (
    EXPOSED_HEADERS,
    RateLimitHeadersMiddleware,
    document_rate_limits,
)
from functions.shared.observability import logger, metrics
from functions.shared.problems import PROBLEM_MEDIA_TYPE
from functions.shared.settings import get_settings
from functions.shared.workers import LambdaHandler


class Health(BaseModel):
    function: str = Field(description="Name of the function answering (the Lambda function name).")
    group: str = Field(
        description="Function group: auth, publish, media, generation, webhooks or analytics."
    )
    version: str = Field(description="Herald build version.")
    stage: str = Field(description="Deployment stage.")


class GroupApp(FastAPI):
    """A group's app whose routers are imported on the first request that needs them.

    Route modules carry the group's request and response models, most of the import time of an
    API function; a health check answers without them. Routers are included in the order given
    (an earlier router's paths win), all at once, on the first other request or when anything
    reads the routes or the OpenAPI document.
    """

    def __init__(
        self,
        *,
        routers: Sequence[str],
        health_path: str,
        webhook_routers: Sequence[str] = (),
        **settings: Any,
    ) -> None:
        self._pending_routers = tuple(routers)
        self._pending_webhook_routers = tuple(webhook_routers)
        self._health_path = health_path
        self._rate_limits_documented_in: dict[str, Any] | None = None
        super().__init__(**settings)

    def include_pending_routers(self) -> None:
        pending, self._pending_routers = self._pending_routers, ()
        for reference in pending:
            self.include_router(_router(reference))
        # The OpenAPI document's `webhooks`: requests Herald sends, documented, never served.
        pending, self._pending_webhook_routers = self._pending_webhook_routers, ()
        for reference in pending:
            self.webhooks.include_router(_router(reference))

    @property
    def routes(self) -> list[BaseRoute]:
        self.include_pending_routers()
        return super().routes

    def openapi(self) -> dict[str, Any]:
        self.include_pending_routers()
        document = super().openapi()
        # FastAPI keeps the document until the routes change, then makes a new one.
        if document is not self._rate_limits_documented_in:
            drop_json_twins_of_problems(document)
            document_rate_limits(document, self.routes)
            self._rate_limits_documented_in = document
        return document

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != self._health_path:
            self.include_pending_routers()
        await super().__call__(scope, receive, send)


def _router(reference: str) -> APIRouter:
    module_name, attribute = reference.split(":")
    router: APIRouter = getattr(importlib.import_module(module_name), attribute)
    return router


def operation_id(route: APIRoute) -> str:
    """The route's name in lowerCamelCase (`create_post` -> `createPost`): the name a generated
    client gives the call. A route whose function name would read badly there passes `name=`.

    FastAPI's default (`create_post_v1_posts_post`) repeats the path and method; tests/api keeps
    the list of ids, so renaming a route is a deliberate, reviewed change to the public API.
    """
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def create_app(
    group_name: str, routers: Sequence[str] = (), webhook_routers: Sequence[str] = ()
) -> GroupApp:
    """The app of a function group; `routers` name its routers as `"module:attribute"`, and
    `webhook_routers` those documenting the requests it sends (OpenAPI 3.1 `webhooks`)."""
    group = group_named(group_name)
    settings = get_settings()
    app = GroupApp(
        routers=routers,
        webhook_routers=webhook_routers,
        health_path=group.health_path,
        title=f"Herald {group.name}",
        version=settings.version,
        responses=PROBLEM_RESPONSES,
        generate_unique_id_function=operation_id,
        openapi_url=f"{group.prefixes[0]}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", f"herald-{group.name}")

    @app.get(
        group.health_path,
        tags=[group.name],
        name=f"get_{group.name}_health",
        summary=f"Health of the {group.name} function",
    )
    async def health() -> Health:
        return Health(
            function=function_name,
            group=group.name,
            version=settings.version,
            stage=settings.stage,
        )

    install_problem_handlers(app)
    # Outside the unhandled-error middleware, so that even a 500 carries the RateLimit fields.
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Workspace-Id", "Idempotency-Key"],
        expose_headers=list(EXPOSED_HEADERS),
        max_age=600,
    )
    return app


def lambda_handler(app: FastAPI) -> LambdaHandler:
    """Wrap an ASGI app for API Gateway REST proxy events.

    Each log line carries the API Gateway request id as its correlation id, and the cold-start
    metric is emitted once per execution environment.
    """
    asgi_handler = Mangum(
        app,
        lifespan="off",
        # Without this Mangum would base64-encode problem documents as if they were binary.
        text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, PROBLEM_MEDIA_TYPE],
    )

    # Mangum runs each event on the thread's current event loop. Anything that used
    # asyncio.run on this thread before (a library, a test) leaves it with none, so each
    # invocation sets this one.
    loop = asyncio.new_event_loop()

    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        asyncio.set_event_loop(loop)
        return asgi_handler(event, context)

    wrapped: LambdaHandler = logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
    )(handler)
    return wrapped
