"""An in-process Lambda runtime: the stack's functions, callable by name or ARN.

Local mode runs every function in one Python process, so "invoking a Lambda" means importing its
handler (the template's `Handler` string, importable from the repository root) and calling it
with an event and a context object carrying what the real Python runtime provides.
"""

import importlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

logger = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]


class UnknownFunction(LookupError):
    """No in-process function answers to this name or ARN."""


@dataclass(frozen=True, slots=True)
class LocalFunction:
    name: str
    arn: str
    handler: str
    timeout_seconds: int = 3
    memory_mb: int = 128


@dataclass(slots=True)
class LambdaContext:
    """The context object of the Python runtime, with the attributes Powertools reads."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        # Informational only: nothing stops a local handler that runs past its timeout.
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def function_name_of(name_or_arn: str) -> str:
    """The bare function name in a name, a partial ARN or a full ARN, without any qualifier."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def load_handler(handler: str) -> Handler:
    # The Python runtime accepts `dir/module.function` as well as `dir.module.function`.
    module_name, _, attribute = handler.replace("/", ".").rpartition(".")
    if not module_name:
        raise ValueError(f"Handler {handler!r} must look like module.function")
    function: Handler = getattr(importlib.import_module(module_name), attribute)
    return function


class InProcessLambdas:
    """The registry of local functions; handlers are imported on their first invocation."""

    def __init__(self, functions: list[LocalFunction] | None = None) -> None:
        self._functions: dict[str, LocalFunction] = {}
        self._handlers: dict[str, Handler] = {}
        self._lock = Lock()
        for function in functions or []:
            self.register(function)

    def register(self, function: LocalFunction) -> None:
        self._functions[function.name] = function

    def __contains__(self, name_or_arn: str) -> bool:
        return function_name_of(name_or_arn) in self._functions

    def function(self, name_or_arn: str) -> LocalFunction:
        try:
            return self._functions[function_name_of(name_or_arn)]
        except KeyError:
            raise UnknownFunction(name_or_arn) from None

    def _handler(self, function: LocalFunction) -> Handler:
        with self._lock:
            if function.name not in self._handlers:
                self._handlers[function.name] = load_handler(function.handler)
            return self._handlers[function.name]

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        """Call the function's handler and return its result; its exceptions propagate."""
        function = self.function(name_or_arn)
        handler = self._handler(function)
        context = LambdaContext(
            function_name=function.name,
            invoked_function_arn=function.arn,
            memory_limit_in_mb=function.memory_mb,
            timeout_seconds=function.timeout_seconds,
        )
        logger.debug("Invoking %s (%s)", function.name, function.handler)
        return handler(event, context)
