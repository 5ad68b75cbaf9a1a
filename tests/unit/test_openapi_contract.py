"""What a client of the merged OpenAPI document relies on: stable operation ids, request bodies
with examples the API accepts, and a description for every field it answers with.

See docs/api-conventions.md (OpenAPI document).
"""

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from infra.local.openapi import merged_openapi

OPERATION_IDS = Path(__file__).resolve().parents[1] / "data" / "operation_ids.txt"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
LOWER_CAMEL_CASE = re.compile(r"[a-z]+(?:[A-Z][a-z0-9]+)*")
REF_PREFIX = "#/components/schemas/"


@cache
def document() -> dict[str, Any]:
    return merged_openapi()


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def component(reference: str) -> dict[str, Any]:
    assert reference.startswith(REF_PREFIX), reference
    schema: dict[str, Any] = document()["components"]["schemas"][reference.removeprefix(REF_PREFIX)]
    return schema


def checked_in_operations() -> list[str]:
    lines = OPERATION_IDS.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def test_operation_ids_are_the_checked_in_list() -> None:
    served = [
        f"{operation['operationId']} {method} {path}" for method, path, operation in operations()
    ]

    assert sorted(served) == sorted(checked_in_operations()), (
        "an operation id, method or path changed: if on purpose, update "
        f"{OPERATION_IDS.relative_to(OPERATION_IDS.parents[2])}"
    )


def test_operation_ids_are_unique_lower_camel_case_names() -> None:
    ids = [operation["operationId"] for _, _, operation in operations()]

    assert len(ids) == len(set(ids))
    assert [i for i in ids if not LOWER_CAMEL_CASE.fullmatch(i)] == []


def body_examples(media: dict[str, Any]) -> Iterator[Any]:
    """The examples a reader of one request body's media type sees: its own, and those of its
    schema (a union shows one per variant, so each variant must carry its own)."""
    if "example" in media:
        yield media["example"]
    for example in media.get("examples", {}).values():
        yield example["value"]
    yield from schema_examples(media["schema"])


def schema_examples(schema: dict[str, Any]) -> Iterator[Any]:
    if "$ref" in schema:
        schema = component(schema["$ref"])
    yield from schema.get("examples", ())
    variants = schema.get("oneOf", schema.get("anyOf", []))
    for variant in variants:
        if variant.get("type") == "null":
            continue
        examples = list(schema_examples(variant))
        assert examples, f"{variant} (a variant of a request body) has no example"
        yield from examples


def request_bodies() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for method, path, operation in operations():
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{operation['operationId']} ({method} {path})", media_type, media


def test_every_request_body_has_an_example_its_own_schema_accepts() -> None:
    bodies = list(request_bodies())
    without_example = [name for name, _, media in bodies if not list(body_examples(media))]
    assert len(bodies) >= 33
    assert without_example == []

    for name, media_type, media in bodies:
        # The body's schema, with the document's components beside it so its $refs resolve.
        schema = {**media["schema"], "components": document()["components"]}
        validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        for example in body_examples(media):
            errors = [error.message for error in validator.iter_errors(example)]
            assert errors == [], f"the {media_type} example of {name} breaks its schema"


def models_with_examples() -> Iterator[type[BaseModel]]:
    document()  # imports every route module, so every request model is a subclass by now
    seen: set[type[BaseModel]] = set()
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        model = pending.pop()
        for subclass in model.__subclasses__():
            if subclass not in seen:
                seen.add(subclass)
                pending.append(subclass)
    for model in seen:
        extra = model.model_config.get("json_schema_extra")
        if model.__module__.startswith("functions.") and isinstance(extra, dict):
            yield model


def test_every_model_example_is_accepted_by_the_model_itself() -> None:
    # Beyond the schema: the model's own validators (cross-field rules, limits) accept it too.
    models = list(models_with_examples())
    assert len(models) >= 30
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        assert isinstance(extra, dict)
        assert isinstance(extra["examples"], list)
        for example in extra["examples"]:
            model.model_validate(example)


def response_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    for method, path, operation in operations():
        for status, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                yield f"{operation['operationId']} ({method} {path}) {status}", media["schema"]


def undescribed_properties(schema: dict[str, Any], where: str, seen: set[str]) -> Iterator[str]:
    """Every property reachable from `schema` that carries no description, as `Model.field`."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(REF_PREFIX)
        if name in seen:
            return
        seen.add(name)
        where, schema = name, component(schema["$ref"])
    for field, field_schema in schema.get("properties", {}).items():
        if not field_schema.get("description"):
            yield f"{where}.{field}"
        yield from undescribed_properties(field_schema, f"{where}.{field}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from undescribed_properties(schema[key], where, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for variant in schema.get(key, []):
            yield from undescribed_properties(variant, where, seen)


def test_every_field_of_every_response_is_described() -> None:
    seen: set[str] = set()
    undescribed = sorted(
        {
            field
            for where, schema in response_schemas()
            for field in undescribed_properties(schema, where, seen)
        }
    )

    assert "Post" in seen
    assert undescribed == []


def acts_in_a_workspace(operation: dict[str, Any]) -> bool:
    """Named by `X-Workspace-Id` or the path's `workspace_id`: the requests charged to a
    workspace's rate limits (docs/api-conventions.md, Rate limits)."""
    parameters = {
        (parameter["in"], parameter["name"]) for parameter in operation.get("parameters", ())
    }
    return bool(parameters & {("header", "X-Workspace-Id"), ("path", "workspace_id")})


def test_every_error_answer_is_documented_as_problem_details_only() -> None:
    """Errors leave as `application/problem+json` (RFC 9457), so a generated client must not be
    told they could be plain JSON."""
    twins = [
        f"{method} {path} {status}"
        for method, path, operation in operations()
        for status, response in operation["responses"].items()
        if status.startswith(("4", "5"))
        and "$ref" not in response
        and set(response.get("content", {})) != {"application/problem+json"}
    ]

    assert twins == []


# Public operations with a budget of their own (docs/analytics.md#tracked-links).
LIMITED_OUTSIDE_A_WORKSPACE = {"followTrackedLink"}


def test_every_rate_limited_operation_documents_the_429_and_the_ratelimit_fields() -> None:
    """draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy` and `RateLimit` on each answer;
    RFC 6585 section 4: 429 with `Retry-After`. Operations outside a workspace claim neither."""
    fields = {
        "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"},
        "RateLimit": {"$ref": "#/components/headers/RateLimit"},
    }
    limited = [op for _, _, op in operations() if acts_in_a_workspace(op)]
    unlimited = [op for _, _, op in operations() if not acts_in_a_workspace(op)]
    assert len(limited) >= 60
    assert {"getAuthHealth", "getPublishHealth", "login"} <= {op["operationId"] for op in unlimited}

    for operation in limited:
        responses = operation["responses"]
        assert responses["429"] == {"$ref": "#/components/responses/TooManyRequests"}
        assert any(status.startswith("2") for status in responses)  # the success has them too
        for status, response in responses.items():
            if status != "429":
                # A report's CSV export too large to answer is a 303 with its `Location`.
                own = {"Location"} if status == "303" else set()
                assert set(response["headers"]) - set(fields) == own, operation["operationId"]
                assert response["headers"] | fields == response["headers"], status
    for operation in unlimited:
        answers = operation["responses"]
        if operation["operationId"] in LIMITED_OUTSIDE_A_WORKSPACE:
            # Its own budget (per address and code), with Retry-After but no workspace fields.
            assert set(answers["429"]["headers"]) == {"Retry-After"}
            continue
        assert "429" not in answers, operation["operationId"]
        assert not any("headers" in answer for answer in answers.values())

    components = document()["components"]
    too_many = components["responses"]["TooManyRequests"]
    assert too_many["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
    }
    assert too_many["headers"]["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}
    assert components["headers"]["Retry-After"]["required"] is True
    assert set(components["headers"]) >= {"RateLimit-Policy", "RateLimit", "Retry-After"}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"properties": {"a": {"type": "string"}}}, ["R.a"]),
        ({"properties": {"a": {"type": "string", "description": "A."}}}, []),
        ({"items": {"properties": {"b": {"type": "integer"}}}}, ["R.b"]),
        ({"anyOf": [{"properties": {"c": {}}}, {"type": "null"}]}, ["R.c"]),
    ],
)
def test_the_description_check_sees_nested_fields(
    schema: dict[str, Any], expected: list[str]
) -> None:
    assert list(undescribed_properties(schema, "R", set())) == expected
