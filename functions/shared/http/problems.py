"""Problem details over HTTP: every error an app meets leaves as `application/problem+json`.

`install_problem_handlers` turns Herald's `Problem` exceptions, FastAPI's validation errors,
Starlette's 404 and 405, and anything unexpected into the one format of
`functions/shared/problems.py`.
"""

from collections.abc import Iterator, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from functions.shared.inputs import SINGLE_LINE_DETAIL, SINGLE_LINE_PATTERN
from functions.shared.observability import logger
from functions.shared.problems import (
    PROBLEM_MEDIA_TYPE,
    FieldError,
    Problem,
    ProblemDetails,
    ValidationFailed,
    json_pointer,
)


def problem_response(
    body: ProblemDetails, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=body.status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


_ABSENT = object()
Reading = tuple[tuple[int | str, ...], int, bool]


def _child(node: Any, segment: int | str) -> Any:
    if isinstance(node, dict) and isinstance(segment, str):
        return node.get(segment, _ABSENT)
    if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
        return node[segment]
    return _ABSENT


def _readings(node: Any, segments: Sequence[int | str]) -> Iterator[Reading]:
    """Each way to read pydantic's `segments` in the request as sent: (the segments kept, how
    many of them the request has, whether the last one is kept).

    Pydantic's location also names the union member it validated against: a tagged union's tag
    (`reframe` in `/body/reframe/preset`) or a plain union's member type (`list[str]`). Such a
    segment is absent from the request, or is the value of a field beside it (the tag `preset`
    of `{"type": "preset", "preset": ...}`), so only those are read both ways.
    """
    if not segments:
        yield (), 0, False
        return
    head, rest = segments[0], segments[1:]
    child = _child(node, head)
    is_tag_value = isinstance(node, dict) and head in node.values()
    if child is not _ABSENT:
        for kept, present, last_kept in _readings(child, rest):
            yield (head, *kept), present + 1, last_kept or not rest
    elif not rest and isinstance(node, dict) and not is_tag_value:
        yield (head,), 0, True  # a missing or unexpected field
    if isinstance(head, str) and (child is _ABSENT or is_tag_value):
        yield from _readings(node, rest)


def _location_as_sent(location: Sequence[int | str], body: Any) -> Sequence[int | str]:
    """The body part of a location as the request has it: the reading that finds most of its
    segments in the request, then the one that keeps the field the error is about."""
    if not location or location[0] != "body" or not isinstance(body, dict | list):
        return location
    best = max(_readings(body, location[1:]), key=lambda reading: reading[1:], default=None)
    return location if best is None else ("body", *best[0])


def _field_error(error: Mapping[str, Any], body: Any) -> FieldError:
    pointer = json_pointer(_location_as_sent(error["loc"], body))
    pattern = (error.get("ctx") or {}).get("pattern")
    if error["type"] == "string_pattern_mismatch" and pattern == SINGLE_LINE_PATTERN:
        return FieldError(pointer=pointer, detail=SINGLE_LINE_DETAIL, code="control_character")
    return FieldError(pointer=pointer, detail=error["msg"], code=error["type"])


def _validation_problem(exc: RequestValidationError) -> ValidationFailed:
    errors = [_field_error(error, exc.body) for error in exc.errors()]
    noun = "field is" if len(errors) == 1 else "fields are"
    return ValidationFailed(f"{len(errors)} {noun} invalid.", errors=errors)


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.details(), exc.headers)


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(_validation_problem(exc).details())


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


def drop_json_twins_of_problems(document: dict[str, Any]) -> None:
    """FastAPI documents a response `model` in the route's own media type (`application/json`,
    `text/html`) beside the problem media type it is given; errors leave only as
    `application/problem+json`, so the twin goes (the model stays declared, which keeps
    `ProblemDetails` in the document's schemas)."""
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if PROBLEM_MEDIA_TYPE in content:
                    response["content"] = {PROBLEM_MEDIA_TYPE: content[PROBLEM_MEDIA_TYPE]}
