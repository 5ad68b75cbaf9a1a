"""What the shared logging setup keeps out of the logs."""

import logging

import functions.shared.observability  # noqa: F401  (configures the loggers on import)


def test_request_urls_are_not_logged_since_some_carry_tokens() -> None:
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
