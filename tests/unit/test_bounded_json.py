"""`bounded_json`: free-form JSON is refused past its depth or size, named by a code, and never by
exhausting the stack however deep it nests."""

from typing import Annotated, Any

import pytest
from pydantic import TypeAdapter, ValidationError

from functions.shared.bounded_json import bounded_json

Bounded = TypeAdapter(Annotated[Any, bounded_json(max_depth=3, max_bytes=20)])


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def refusal(value: Any) -> tuple[str, str]:
    with pytest.raises(ValidationError) as refused:
        Bounded.validate_python(value)
    (error,) = refused.value.errors()
    return error["type"], error["msg"]


def test_depth_counts_objects_and_arrays_and_stops_at_the_limit() -> None:
    assert Bounded.validate_python({"a": [1]}) == {"a": [1]}
    assert Bounded.validate_python(nested(3)) == [[[1]]]
    assert Bounded.validate_python("scalar") == "scalar"
    assert refusal({"a": {"b": {"c": {}}}}) == (
        "json_too_deep",
        "JSON nested more than 3 levels deep is not accepted",
    )
    # Far deeper than Python's recursion limit: refused all the same, not a RecursionError.
    assert refusal(nested(100_000))[0] == "json_too_deep"


def test_size_is_the_compact_utf8_serialization() -> None:
    # {"a":"ééééééé"}: 8 bytes of punctuation and key, 7 two-byte characters.
    assert Bounded.validate_python({"a": "é" * 6})
    assert refusal({"a": "é" * 7}) == (
        "json_too_large",
        "JSON larger than 20 bytes is not accepted",
    )
