"""Time spent inside moto answering a benchmark's AWS requests, so a figure can tell Herald's
own time from the emulator's.

moto answers botocore's requests from its `before-send` hook (`BotocoreStubber`), after
botocore has built and signed the request and before it parses the answer: the clock times that
hook alone, so botocore's own work, which a Lambda pays in AWS too, stays in Herald's figure.
Only requests moto answered are counted (the hook passes on the others, e.g. when no mock is
active). Used by every benchmark that runs Herald against moto in its own process.
"""

import time
from typing import Any, Self


class EmulatorClock:
    """While entered: the seconds moto spent answering, and how many requests it answered."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.requests = 0

    @property
    def milliseconds(self) -> float:
        return self.seconds * 1000

    def reset(self) -> None:
        self.seconds, self.requests = 0.0, 0

    def __enter__(self) -> Self:
        from moto.core.botocore_stubber import BotocoreStubber

        self._original = BotocoreStubber.__call__
        clock, original = self, self._original

        def timed(stubber: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            response = original(stubber, *args, **kwargs)
            if response is not None:
                clock.seconds += time.perf_counter() - started
                clock.requests += 1
            return response

        BotocoreStubber.__call__ = timed  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        from moto.core.botocore_stubber import BotocoreStubber

        BotocoreStubber.__call__ = self._original  # type: ignore[method-assign]
