"""One OpenAPI 3.1 document for the whole API, merged from the function groups' apps.

The local server serves it at /openapi.json; CI writes it to a file for openapi-typescript:
`python -m infra.local.openapi openapi.json` (without a path it goes to standard output).
"""

import importlib
import json
import sys
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from functions.shared.groups import GROUPS, FunctionGroup, owner

TITLE = "Herald API"


class OpenAPIMergeError(ValueError):
    """The groups' documents cannot form one API (a path or component claimed twice)."""


def group_apps() -> dict[FunctionGroup, FastAPI]:
    """Each group's FastAPI app, imported now (so settings must already be in the environment)."""
    apps = {}
    for group in GROUPS:
        app = importlib.import_module(group.module).app
        assert isinstance(app, FastAPI)
        apps[group] = app
    return apps


def _merge_operations(
    kind: str, documents: Mapping[FunctionGroup, dict[str, Any]]
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    owners: dict[str, str] = {}
    operation_ids: dict[str, str] = {}
    for group, document in documents.items():
        for path, item in document.get(kind, {}).items():
            if path in merged:
                raise OpenAPIMergeError(f"{path} is served by both {owners[path]} and {group.name}")
            if kind == "paths" and owner(path, documents) != group:
                raise OpenAPIMergeError(
                    f"{path} of {group.name} is outside its prefixes {group.prefixes} or under "
                    "another group's more specific one; neither API Gateway nor the local "
                    "server would route it there"
                )
            for operation in item.values():
                operation_id = isinstance(operation, dict) and operation.get("operationId")
                if not operation_id:
                    continue
                if operation_id in operation_ids:
                    raise OpenAPIMergeError(
                        f"operationId {operation_id} is used by both "
                        f"{operation_ids[operation_id]} and {group.name}"
                    )
                operation_ids[operation_id] = group.name
            merged[path] = item
            owners[path] = group.name
    return merged


def _merge_components(documents: Mapping[FunctionGroup, dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, dict[str, Any]] = {}
    owners: dict[tuple[str, str], str] = {}
    for group, document in documents.items():
        for kind, entries in document.get("components", {}).items():
            target = merged.setdefault(kind, {})
            for name, value in entries.items():
                if name in target and target[name] != value:
                    raise OpenAPIMergeError(
                        f"components/{kind}/{name} differs between {owners[kind, name]} and "
                        f"{group.name}; rename one of the models"
                    )
                target[name] = value
                owners.setdefault((kind, name), group.name)
    return merged


def merge_openapi(
    documents: Mapping[FunctionGroup, dict[str, Any]], version: str
) -> dict[str, Any]:
    """Union of the groups' paths, webhooks, components and tags, refusing any ambiguity."""
    for group, document in documents.items():
        if not str(document.get("openapi", "")).startswith("3.1."):
            raise OpenAPIMergeError(f"{group.name} does not produce OpenAPI 3.1")
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": version},
        "paths": _merge_operations("paths", documents),
    }
    webhooks = _merge_operations("webhooks", documents)
    if webhooks:
        merged["webhooks"] = webhooks
    components = _merge_components(documents)
    if components:
        merged["components"] = components
    tags: list[dict[str, Any]] = []
    for document in documents.values():
        tags.extend(tag for tag in document.get("tags", []) if tag not in tags)
    if tags:
        merged["tags"] = tags
    return merged


def merged_openapi(apps: Mapping[FunctionGroup, FastAPI] | None = None) -> dict[str, Any]:
    from functions.shared.settings import get_settings

    apps = apps if apps is not None else group_apps()
    documents = {group: app.openapi() for group, app in apps.items()}
    return merge_openapi(documents, version=get_settings().version)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = json.dumps(merged_openapi(), indent=2) + "\n"
    if args:
        with open(args[0], "w", encoding="utf-8") as output:
            output.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
