"""The local stand-ins for services that act on their own (the scheduler firing schedules, the
outbox announcing emails) each repeat one pass of work on a background thread."""

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class BackgroundLoop:
    """Runs `one_pass` every `interval` seconds on a daemon thread, from `start()` until `stop()`.

    A pass that fails is logged, and the next one runs as planned.
    """

    def __init__(self, name: str, one_pass: Callable[[], object], interval: float) -> None:
        self._name = name
        self._one_pass = one_pass
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._one_pass()
            except Exception:
                logger.exception("A pass of %s failed", self._name)
