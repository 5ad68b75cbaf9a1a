"""Herald's log lines, captured for tests that check what is (and is not) logged."""

import io

import pytest


@pytest.fixture
def log_output(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What Herald logs from here on (its JSON log lines, every field of them)."""
    from functions.shared.observability import logger

    buffer = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", buffer)
    return buffer
