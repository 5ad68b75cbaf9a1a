"""RFC 9457 problem details: the one error format of every Herald endpoint.

Domain code raises a `Problem` subclass; the handlers installed by `install_problem_handlers` turn
it, framework errors (404, 405, validation) and anything unexpected into `application/problem+json`.
"""

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from functions.shared.observability import logger

PROBLEM_MEDIA_TYPE = "application/problem+json"


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

    def to_response(self) -> JSONResponse:
        body = ProblemDetails(
            type=self.type,
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=self.errors,
        )
        return problem_response(body, self.headers)


class BadRequest(Problem):
    status = HTTPStatus.BAD_REQUEST


class Unauthorized(Problem):
    status = HTTPStatus.UNAUTHORIZED

    def __init__(self, detail: str, *, token_presented: bool = True) -> None:
        # RFC 6750 section 3.1: a request without credentials gets a bare challenge.
        challenge = 'Bearer error="invalid_token"' if token_presented else "Bearer"
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class Forbidden(Problem):
    status = HTTPStatus.FORBIDDEN


class NotFound(Problem):
    status = HTTPStatus.NOT_FOUND


class Conflict(Problem):
    status = HTTPStatus.CONFLICT


class Gone(Problem):
    status = HTTPStatus.GONE


class ValidationFailed(Problem):
    status = HTTPStatus.UNPROCESSABLE_CONTENT
    type = "urn:herald:problem:validation"


class TooManyRequests(Problem):
    status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_seconds))})


class ServiceUnavailable(Problem):
    status = HTTPStatus.SERVICE_UNAVAILABLE


def problem_response(
    body: ProblemDetails, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=body.status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _pointer(location: Sequence[int | str]) -> str:
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in location)
    return "/" + "/".join(escaped)


def _validation_problem(exc: RequestValidationError) -> ValidationFailed:
    errors = [
        FieldError(pointer=_pointer(error["loc"]), detail=error["msg"], code=error["type"])
        for error in exc.errors()
    ]
    noun = "field is" if len(errors) == 1 else "fields are"
    return ValidationFailed(f"{len(errors)} {noun} invalid.", errors=errors)


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return exc.to_response()


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _validation_problem(exc).to_response()


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if exc.detail != title else None
    if exc.status_code == HTTPStatus.NOT_FOUND and detail is None:
        detail = f"No route matches {request.url.path}."
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED and detail is None:
        detail = f"{request.method} is not allowed on {request.url.path}."
    body = ProblemDetails(title=title, status=exc.status_code, detail=detail)
    return problem_response(body, exc.headers)


class UnhandledErrorMiddleware:
    """Answers an unexpected exception with a bare 500 problem, keeping internals in the log only.

    Starlette's own server-error handler re-raises after responding, which Mangum then logs a
    second time; catching here ends the request once, cleanly.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("Unhandled error", extra={"path": scope.get("path")})
            if response_started:
                raise
            body = ProblemDetails(
                title=HTTPStatus.INTERNAL_SERVER_ERROR.phrase,
                status=HTTPStatus.INTERNAL_SERVER_ERROR,
                detail="An unexpected error occurred. It has been logged.",
            )
            await problem_response(body)(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_middleware(UnhandledErrorMiddleware)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ProblemDetails,
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        },
        "description": description,
    }
    for status, description in (
        ("4XX", "Client error (problem details)."),
        (422, "Validation failed; `errors` lists every invalid field."),
        ("5XX", "Server error (problem details, no internals)."),
    )
}
