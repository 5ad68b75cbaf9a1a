"""RFC 9457 problem details: the one error format of every Herald endpoint.

Domain code raises a `Problem` subclass, a plain exception that knows its status and title; the
HTTP edge (`functions/shared/http/problems.py`) turns it, framework errors and anything unexpected
into `application/problem+json`. Nothing here imports a web framework, so workers raise the same
errors without loading one.
"""

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import ClassVar

from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"


def json_pointer(location: Sequence[int | str]) -> str:
    """An RFC 6901 pointer to `location`, with `~` and `/` inside a name escaped."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in location)
    return "/" + "/".join(escaped)


class FieldError(BaseModel):
    pointer: str = Field(description="JSON pointer to the offending input, e.g. `/body/email`.")
    detail: str = Field(description="What is wrong with it.")
    code: str = Field(description="Machine-readable reason, e.g. `missing` or `string_too_short`.")


class ProblemDetails(BaseModel):
    type: str = Field("about:blank", description="URI identifying the problem type.")
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="HTTP status code.")
    detail: str | None = Field(None, description="Explanation specific to this occurrence.")
    errors: list[FieldError] | None = Field(None, description="Field-level validation errors.")


class Problem(Exception):
    """An error that reaches the client as problem details; subclasses fix status and title."""

    status: ClassVar[int] = HTTPStatus.BAD_REQUEST
    type: ClassVar[str] = "about:blank"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase

    def details(self) -> ProblemDetails:
        return ProblemDetails(
            type=self.type,
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=self.errors,
        )


class BadRequest(Problem):
    status = HTTPStatus.BAD_REQUEST


class Unauthorized(Problem):
    """401 with a bare `Bearer` challenge: no bearer token was presented (none at all, or the
    failure is about a password or a refresh token in the body), so RFC 6750 section 3.1 gives
    no error code to name."""

    status = HTTPStatus.UNAUTHORIZED
    challenge: ClassVar[str] = "Bearer"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": self.challenge})


class InvalidToken(Unauthorized):
    """401 for a bearer token that was presented and refused (RFC 6750 section 3.1)."""

    challenge = 'Bearer error="invalid_token"'


class Forbidden(Problem):
    status = HTTPStatus.FORBIDDEN


class NotFound(Problem):
    status = HTTPStatus.NOT_FOUND


class NotAcceptable(Problem):
    status = HTTPStatus.NOT_ACCEPTABLE


class Conflict(Problem):
    status = HTTPStatus.CONFLICT


class Gone(Problem):
    status = HTTPStatus.GONE


class ContentTooLarge(Problem):
    status = HTTPStatus.CONTENT_TOO_LARGE


class ValidationFailed(Problem):
    status = HTTPStatus.UNPROCESSABLE_CONTENT
    type = "urn:herald:problem:validation"


class TooManyRequests(Problem):
    status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_seconds))})


class ServiceUnavailable(Problem):
    status = HTTPStatus.SERVICE_UNAVAILABLE
