"""The process environment of a benchmark that runs Herald in-process against moto.

Settings are read once per process, so a benchmark calls `use_moto_environment()` before it
imports any Herald module.
"""

import os
import tempfile


def use_moto_environment() -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 (moto's fake credentials)
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        HERALD_STAGE="test",
        HERALD_MAIL_OUTBOX_DIR=tempfile.mkdtemp(prefix="herald-bench-outbox-"),
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_DISABLED="true",
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
