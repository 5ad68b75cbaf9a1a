"""The test key that stands in for Herald's KMS signing key when a test signs its own tokens.

Its public half is in HERALD_JWT_PUBLIC_JWKS (set by tests/conftest.py), so the functions
accept what `make_token` signs.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

TEST_KEY_ID = "test-key-1"
_SIGNING_KEY = ec.generate_private_key(ec.SECP256R1())

TokenFactory = Callable[..., str]


def public_jwks() -> str:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(_SIGNING_KEY.public_key()))
    jwk.update(kid=TEST_KEY_ID, alg="ES256", use="sig")
    return json.dumps({"keys": [jwk]})


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
