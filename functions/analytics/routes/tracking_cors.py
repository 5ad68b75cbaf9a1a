"""CORS preflight of event ingestion, for the web pages of any workspace.

The dashboard's CORS (settings' origins) cannot list every customer's site, and a preflight does
not carry the write key, so it cannot be checked against the key's origins: the preflight of
`POST /v1/analytics/events` is allowed for any origin. The check is on the request itself, whose
`Origin` must be one of its write key's `allowed_origins` (403 otherwise, and only then does the
answer name the origin in `Access-Control-Allow-Origin`).
"""

from starlette.types import ASGIApp, Receive, Scope, Send

EVENTS_PATH = "/v1/analytics/events"
_PREFLIGHT_HEADERS = [
    (b"access-control-allow-methods", b"POST"),
    (b"access-control-allow-headers", b"Content-Type, X-Herald-Write-Key"),
    (b"access-control-max-age", b"600"),
    (b"vary", b"Origin"),
]


class TrackingCorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        origin = headers.get(b"origin")
        if (
            scope["type"] == "http"
            and scope["method"] == "OPTIONS"
            and scope["path"] == EVENTS_PATH
            and origin
            and b"access-control-request-method" in headers
        ):
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [(b"access-control-allow-origin", origin), *_PREFLIGHT_HEADERS],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)
