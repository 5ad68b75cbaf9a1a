"""Lambda handlers that schedules target in the local scheduler's tests."""

from typing import Any

received: list[tuple[Any, str]] = []
"""(event, function name) of every call to `record`, in order."""


def record(event: Any, context: Any) -> dict[str, bool]:
    received.append((event, context.function_name))
    return {"recorded": True}


def fail(event: Any, context: Any) -> None:
    raise RuntimeError("the platform is down")
