"""What the identity routes read from the HTTP request itself."""

from fastapi import Request


def client_ip(request: Request) -> str:
    """The caller's address as API Gateway saw it (not a header the caller could forge)."""
    event = request.scope.get("aws.event") or {}
    source = (event.get("requestContext") or {}).get("identity", {}).get("sourceIp")
    if source:
        return str(source)
    return request.client.host if request.client else "unknown"


def user_agent(request: Request) -> str | None:
    return request.headers.get("user-agent")
