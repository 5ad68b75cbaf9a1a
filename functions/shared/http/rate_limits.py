"""Rate limits over HTTP: charge each workspace request, and say where its budgets stand.

The workspace access dependencies call `charge_request` once they know the workspace and the
caller; `RateLimitHeadersMiddleware` then adds the IETF `RateLimit-Policy` and `RateLimit`
fields (draft-ietf-httpapi-ratelimit-headers) to whatever response the request ends with,
success, problem or 429, since an error handler builds a new response without a dependency's
headers. The counting is in the framework-free core, `functions/shared/rate_limits.py`.
"""

from typing import TYPE_CHECKING

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from functions.shared.access import WorkspaceAccess
    from functions.shared.rate_limits import BudgetUsage

_STATE_KEY = "rate_limit_usages"
# What a browser page may read of a cross-origin answer beyond the CORS-safelisted fields.
EXPOSED_HEADERS = ("RateLimit-Policy", "RateLimit", "Retry-After")


def charge_request(request: Request, access: "WorkspaceAccess") -> None:
    """Count the request against its budgets; 429 when one is spent (headers either way)."""
    # Imported here: the counters need PynamoDB, which an app's health check should not load.
    from functions.shared import rate_limits

    usages = rate_limits.charge(access, request.method)
    setattr(request.state, _STATE_KEY, usages)
    rate_limits.enforce(usages)


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
