"""Builds the FastAPI app of a function group with everything groups have in common."""

import os

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel, Field

from functions.shared.groups import group_named
from functions.shared.problems import PROBLEM_RESPONSES, install_problem_handlers
from functions.shared.settings import get_settings


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
