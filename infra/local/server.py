"""The local API gateway: one ASGI app routing each request to its function group's app.

Paths keep their prefix, as behind API Gateway's proxy routes, since each group's routes are
declared with their full paths. The gateway also serves the merged OpenAPI document and Swagger
UI, and the WebSocket API of real-time updates (infra/local/realtime.py); any other path is a
problem+json 404, like a route API Gateway does not know.

Swagger UI's files come from the npm package `swagger-ui-dist` (package.json, installed by
`make setup`), served here under /docs/assets/: /docs works offline and loads nothing from a CDN.
"""

from collections.abc import Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from functions.shared.groups import FunctionGroup, owner
from functions.shared.http.problems import problem_response
from functions.shared.problems import ProblemDetails
from infra.local.openapi import TITLE, group_apps, merged_openapi
from infra.local.realtime import (
    CONNECTIONS_PREFIX,
    MANAGEMENT_METHODS,
    REALTIME_PATH,
    LocalWebSocketApi,
)

OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs/assets/"
SWAGGER_UI_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "swagger-ui-dist"
# The files the page loads, and their media types: nothing else of the package is served.
SWAGGER_UI_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


class LocalGateway:
    def __init__(
        self, apps: Mapping[FunctionGroup, FastAPI], realtime: LocalWebSocketApi | None = None
    ) -> None:
        self._apps = dict(apps)
        self.realtime = realtime or LocalWebSocketApi()
        # Merging now makes a clashing path or model a start-up error, not a broken /docs.
        self._openapi = merged_openapi(self._apps)

    @property
    def openapi(self) -> dict[str, Any]:
        return self._openapi

    def app_for(self, path: str) -> ASGIApp | None:
        group = owner(path, self._apps)
        return None if group is None else self._apps[group]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope["path"]
        if self.realtime.serves(scope):
            await self.realtime(scope, receive, send)
            return
        app = self.app_for(path)
        if app is not None:
            await app(scope, receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1000})
            return
        response = self._own_response(path, scope["method"])
        await response(scope, receive, send)

    def _own_response(self, path: str, method: str) -> Any:
        if path == REALTIME_PATH:
            return _problem(HTTPStatus.UPGRADE_REQUIRED, f"{path} takes WebSocket connections.")
        if path.startswith(CONNECTIONS_PREFIX):
            allowed = ", ".join(MANAGEMENT_METHODS)
            return _problem(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed.", allowed)
        asset = path.removeprefix(DOCS_ASSETS) if path.startswith(DOCS_ASSETS) else None
        if path not in (OPENAPI_PATH, DOCS_PATH) and asset not in SWAGGER_UI_FILES:
            return _problem(HTTPStatus.NOT_FOUND, f"No route matches {path}.")
        if method not in ("GET", "HEAD"):
            return _problem(
                HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed on {path}.", "GET, HEAD"
            )
        if path == OPENAPI_PATH:
            return JSONResponse(self._openapi)
        if asset is not None:
            return _swagger_ui_file(asset)
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title=f"{TITLE} (local)",
            swagger_js_url=f"{DOCS_ASSETS}swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}favicon-32x32.png",
            # Swagger UI would otherwise send the document to validator.swagger.io for a badge.
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        # The groups' own lifespans are not run: Mangum runs them with lifespan="off" in AWS.
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _swagger_ui_file(name: str) -> Any:
    file = SWAGGER_UI_DIST / name
    if not file.is_file():
        return _problem(
            HTTPStatus.NOT_FOUND,
            f"Swagger UI's {name} is not installed: `make setup` installs swagger-ui-dist.",
        )
    return FileResponse(file, media_type=SWAGGER_UI_FILES[name])


def _problem(status: HTTPStatus, detail: str, allow: str | None = None) -> JSONResponse:
    body = ProblemDetails(title=status.phrase, status=status, detail=detail)
    headers = {"Allow": allow} if allow else None
    return problem_response(body, headers)


def create_gateway() -> LocalGateway:
    """The gateway over the groups' apps; import it only once the environment is set."""
    return LocalGateway(group_apps())
