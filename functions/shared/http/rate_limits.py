"""Rate limits over HTTP: charge each workspace request, and say where its budgets stand.

The workspace access dependencies call `charge_request` once they know the workspace and the
caller; `RateLimitHeadersMiddleware` then adds the IETF `RateLimit-Policy` and `RateLimit`
fields (draft-ietf-httpapi-ratelimit-headers) to whatever response the request ends with,
success, problem or 429, since an error handler builds a new response without a dependency's
headers. The counting is in the framework-free core, `functions/shared/rate_limits.py`.

`document_rate_limits` writes the same into an app's OpenAPI document: the operations whose
dependencies charge the request answer 429 and carry the fields; the others claim neither.
"""

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from functions.shared.problems import PROBLEM_MEDIA_TYPE

if TYPE_CHECKING:
    from functions.shared.access import WorkspaceAccess
    from functions.shared.rate_limits import BudgetUsage

_STATE_KEY = "rate_limit_usages"
# What a browser page may read of a cross-origin answer beyond the CORS-safelisted fields.
EXPOSED_HEADERS = ("RateLimit-Policy", "RateLimit", "Retry-After")
# The dependencies that call `charge_request`: an operation that depends on one is limited.
_CHARGING_DEPENDENCIES: set[Callable[..., Any]] = set()


def charge_request(request: Request, access: "WorkspaceAccess") -> None:
    """Count the request against its budgets; 429 when one is spent (headers either way).

    The dependency calling this is marked `@charges_rate_limits`, for the OpenAPI document.
    """
    # Imported here: the counters need PynamoDB, which an app's health check should not load.
    from functions.shared import rate_limits

    usages = rate_limits.charge(access, request.method)
    setattr(request.state, _STATE_KEY, usages)
    rate_limits.enforce(usages)


def charges_rate_limits[Dependency: Callable[..., Any]](dependency: Dependency) -> Dependency:
    """Marks a dependency that calls `charge_request`, so the OpenAPI document of every
    operation that depends on it documents the 429 answer and the RateLimit fields."""
    _CHARGING_DEPENDENCIES.add(dependency)
    return dependency


def policy_field(usages: list["BudgetUsage"]) -> str:
    """`RateLimit-Policy`: each budget's quota `q` per window of `w` seconds."""
    return ", ".join(
        f'"{usage.budget.name}";q={usage.budget.quota};w={usage.budget.window_seconds}'
        for usage in usages
    )


def rate_limit_field(usages: list["BudgetUsage"]) -> str:
    """`RateLimit`: each budget's remaining requests `r`, and `t` seconds until it resets."""
    return ", ".join(
        f'"{usage.budget.name}";r={usage.remaining};t={usage.resets_in_seconds}' for usage in usages
    )


class RateLimitHeadersMiddleware:
    """Adds the RateLimit fields to the response of every request that was charged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_fields(message: Message) -> None:
            # Read when the response starts: the dependency stored the usages meanwhile.
            usages = scope.get("state", {}).get(_STATE_KEY)
            if message["type"] == "http.response.start" and usages:
                headers = MutableHeaders(scope=message)
                headers["RateLimit-Policy"] = policy_field(usages)
                headers["RateLimit"] = rate_limit_field(usages)
            await send(message)

        await self.app(scope, receive, send_with_fields)


_HEADER_REF = "#/components/headers/"
_TOO_MANY_REQUESTS_REF = "#/components/responses/TooManyRequests"
# Components of the document, each defined once and referenced by every limited operation.
RATE_LIMIT_COMPONENTS: dict[str, dict[str, Any]] = {
    "headers": {
        "RateLimit-Policy": {
            "description": "The budgets this request spends (draft-ietf-httpapi-ratelimit-headers)"
            ": each budget's quota `q` of requests per window of `w` seconds. Sent on every "
            "answer to a request charged to the workspace, which is any request that got past "
            "authentication and the workspace check.",
            "schema": {"type": "string"},
            "example": '"workspace-reads";q=1200;w=60, "api-key-reads";q=600;w=60',
        },
        "RateLimit": {
            "description": "Where this request left each budget of `RateLimit-Policy`: `r` "
            "requests remain, and the window resets in `t` seconds. Sent with it.",
            "schema": {"type": "string"},
            "example": '"workspace-reads";r=1187;t=42, "api-key-reads";r=598;t=42',
        },
        "Retry-After": {
            "description": "Seconds until the spent budget resets (RFC 9110 section 10.2.3).",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
            "example": 42,
        },
    },
    "responses": {
        "TooManyRequests": {
            "description": "A rate limit of the workspace or of the API key is spent (problem "
            "details naming the budget); retry after `Retry-After` seconds.",
            "headers": {
                name: {"$ref": _HEADER_REF + name}
                for name in ("Retry-After", "RateLimit-Policy", "RateLimit")
            },
            "content": {
                PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
            },
        }
    },
}


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def is_rate_limited(route: RouteContext) -> bool:
    """Whether a request to the route is charged: a dependency of it charges the budgets."""
    return isinstance(route.original_route, APIRoute) and any(
        dependency.call in _CHARGING_DEPENDENCIES for dependency in _dependencies(route.dependant)
    )


def document_rate_limits(document: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Documents, on every operation of a rate-limited route, the 429 answer and the RateLimit
    fields of each of its answers; adds the components they reference.

    `routes` are an app's, included routers and all, as its OpenAPI document was made from.
    """
    limited = [
        route
        for route in iter_route_contexts(routes)
        if route.include_in_schema and is_rate_limited(route)
    ]
    if not limited:
        return
    components = document.setdefault("components", {})
    for kind, entries in RATE_LIMIT_COMPONENTS.items():
        components.setdefault(kind, {}).update(entries)
    fields = {name: {"$ref": _HEADER_REF + name} for name in ("RateLimit-Policy", "RateLimit")}
    for route in limited:
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            responses = operation["responses"]
            for status, response in responses.items():
                responses[status] = {
                    **response,
                    "headers": {**response.get("headers", {}), **fields},
                }
            responses["429"] = {"$ref": _TOO_MANY_REQUESTS_REF}
