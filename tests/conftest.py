"""Test-wide environment: fake AWS credentials and a test JWT key, set before any app is imported.

Functions read their settings once per process, so the environment is fixed here, at collection.
The shared worlds of tests/support are registered below; a test asks for their fixtures by name.
"""

import os
import tempfile
from pathlib import Path

import pytest

# Before the first import from tests/support, so that its asserts explain their failures as
# those of test modules do.
pytest.register_assert_rewrite("tests.support")

from tests.support.signing_key import public_jwks  # noqa: E402

pytest_plugins = [
    "tests.support.auth_world",
    "tests.support.logs",
    "tests.support.realtime",
    "tests.support.signing_key",
]

for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HERALD_STAGE": "test",
        "HERALD_JWT_PUBLIC_JWKS": public_jwks(),
        "POWERTOOLS_SERVICE_NAME": "herald-test",
        "HERALD_MAIL_OUTBOX_DIR": tempfile.mkdtemp(prefix="herald-test-outbox-"),
    }
)


TESTS = Path(__file__).parent
MARKER_OF_DIRECTORY = {"e2e": pytest.mark.e2e, "infra": pytest.mark.cdk}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers that follow from where a test lives or what world it needs (pyproject.toml
    describes each). Modules and tests elsewhere that synthesize CDK or run FFmpeg say so with
    `pytestmark` or a decorator."""
    for item in items:
        directory = item.path.relative_to(TESTS).parts[0]
        if directory in MARKER_OF_DIRECTORY:
            item.add_marker(MARKER_OF_DIRECTORY[directory])
        # Signing people up in moto takes about a second per test; nothing else here comes close.
        if "herald" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
