"""Lambda handlers that schedules target in the local scheduler's tests."""

import threading
from typing import Any

received: list[tuple[Any, str]] = []
"""(event, function name) of every call to `record`, in order."""


def record(event: Any, context: Any) -> dict[str, bool]:
    received.append((event, context.function_name))
    return {"recorded": True}


released = threading.Event()
"""Set to let every call to `hold` return."""


def hold(event: Any, context: Any) -> None:
    """A worker still busy (as one waiting for its post's second is): returns once released."""
    released.wait(timeout=10)


def fail(event: Any, context: Any) -> None:
    raise RuntimeError("the platform is down")
