"""Free-form JSON from outside, bounded in how deep it nests and how large it is.

Every request field that takes JSON of no fixed shape carries `bounded_json`: without
bounds, JSON nested a few hundred levels deep fails when Herald serializes it (a 500 where the
client deserves a 422), DynamoDB refuses documents nested more than 32 levels, and one large value
could fill a 400 KB item. The checks run before pydantic validates the value, iteratively, so no
depth of nesting can exhaust the stack.
"""

import json
from typing import Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError


def _deeper_than(value: Any, max_depth: int) -> bool:
    """Whether objects and arrays nest more than `max_depth` levels (a scalar is level 0)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        node, level = pending.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if level + 1 > max_depth:
            return True
        pending.extend((child, level + 1) for child in children)
    return False


def bounded_json(*, max_depth: int, max_bytes: int) -> BeforeValidator:
    """A validator refusing JSON nested deeper than `max_depth` or larger than `max_bytes` (the
    value serialized as compact UTF-8 JSON). Each field picks bounds that fit what it holds, well
    under DynamoDB's 32 levels and 400 KB items."""

    def check(value: Any) -> Any:
        if _deeper_than(value, max_depth):
            raise PydanticCustomError(
                "json_too_deep",
                "JSON nested more than {max_depth} levels deep is not accepted",
                {"max_depth": max_depth},
            )
        # Not JSON-serializable values are left for the type's own validation to name.
        serialized = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        size = len(serialized.encode())
        if size > max_bytes:
            raise PydanticCustomError(
                "json_too_large",
                "JSON larger than {max_bytes} bytes is not accepted",
                {"max_bytes": max_bytes},
            )
        return value

    return BeforeValidator(check)
