"""Builds a function group's FastAPI app and its Lambda entry point, with what all groups share."""

import asyncio
import importlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from pydantic import BaseModel, Field

from functions.shared.groups import group_named
from functions.shared.observability import logger, metrics
from functions.shared.problems import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_RESPONSES,
    install_problem_handlers,
)
from functions.shared.settings import get_settings

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


class Health(BaseModel):
    function: str = Field(description="Name of the function answering (the Lambda function name).")
    group: str = Field(description="Function group: auth, publish, media, webhooks or analytics.")
    version: str = Field(description="Herald build version.")
    stage: str = Field(description="Deployment stage.")


def create_app(group_name: str, *routers: APIRouter) -> FastAPI:
    group = group_named(group_name)
    settings = get_settings()
    app = FastAPI(
        title=f"Herald {group.name}",
        version=settings.version,
        responses=PROBLEM_RESPONSES,
        openapi_url=f"/v1/{group.name}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", f"herald-{group.name}")

    @app.get(
        group.health_path,
        tags=[group.name],
        operation_id=f"{group.name}_health",
        summary=f"Health of the {group.name} function",
    )
    async def health() -> Health:
        return Health(
            function=function_name,
            group=group.name,
            version=settings.version,
            stage=settings.stage,
        )

    for router in routers:
        app.include_router(router)
    install_problem_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Workspace-Id", "Idempotency-Key"],
        max_age=600,
    )
    return app


def task_handler(tasks: Mapping[str, str]) -> LambdaHandler:
    """The entry point of a worker function: each event names its task (`{"herald": "<task>"}`)
    and `tasks` maps the task to `"module:function"`, imported when such an event first arrives
    and called with the event and the Lambda context."""

    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        task = str(event.get("herald"))
        if task not in tasks:
            raise ValueError(f"unknown task {task!r}")
        module_name, function_name = tasks[task].split(":")
        function = getattr(importlib.import_module(module_name), function_name)
        result: dict[str, Any] = function(event, context)
        logger.info("task done", extra={"task": task})
        return {"task": task, "result": result}

    wrapped: LambdaHandler = logger.inject_lambda_context(clear_state=True)(handler)
    return wrapped


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
