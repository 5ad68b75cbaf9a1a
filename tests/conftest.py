"""Test-wide environment: fake AWS credentials and a test JWT key, set before any app is imported.

Functions read their settings once per process, so the environment is fixed here, at collection.
"""

import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

TEST_KEY_ID = "test-key-1"
_SIGNING_KEY = ec.generate_private_key(ec.SECP256R1())


def _public_jwks() -> str:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(_SIGNING_KEY.public_key()))
    jwk.update(kid=TEST_KEY_ID, alg="ES256", use="sig")
    return json.dumps({"keys": [jwk]})


for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HERALD_STAGE": "test",
        "HERALD_JWT_PUBLIC_JWKS": _public_jwks(),
        "POWERTOOLS_SERVICE_NAME": "herald-test",
        "HERALD_MAIL_OUTBOX_DIR": tempfile.mkdtemp(prefix="herald-test-outbox-"),
    }
)

TokenFactory = Callable[..., str]


@pytest.fixture
def make_token() -> TokenFactory:
    """Sign an access token as the auth function would; keyword arguments override claims."""

    def sign(
        *,
        key: Any = _SIGNING_KEY,
        kid: str = TEST_KEY_ID,
        algorithm: str = "ES256",
        lifetime: timedelta = timedelta(minutes=15),
        **claims: Any,
    ) -> str:
        now = datetime.now(UTC)
        payload = {
            "sub": "01JBCDEFGHJKMNPQRSTVWXYZ00",
            "sid": "01JBCDEFGHJKMNPQRSTVWXYZ01",
            "iss": "herald",
            "aud": "herald-api",
            "iat": now,
            "exp": now + lifetime,
            **claims,
        }
        return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})

    return sign
