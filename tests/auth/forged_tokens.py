"""Access tokens made by hand (Herald's own claims and key, tampered, unsigned, HMAC-keyed with
the public key, signed by a stranger) and the refusals they earn.

Used by test_tokens.py, which forges them against one endpoint, and test_isolation.py, which
forges them against every route.
"""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from ulid import ULID

from functions.shared.auth import signing_public_jwk
from functions.shared.settings import get_settings

MISSING = "A bearer token is required in the Authorization header."
MALFORMED = "The access token is malformed."
WRONG_ALGORITHM = "The access token must be signed with ES256."
UNKNOWN_KEY = "The access token was signed with an unknown key."
EXPIRED = "The access token has expired."
INVALID = "The access token is invalid."
SESSION_ENDED = "The session of this access token has ended; sign in again."
INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'

# Valid ULIDs naming nobody.
NOBODY = "01JD5W3X8F2Q9Y7K6T4M2N1P0R"
NO_SESSION = "01JD5W3X8F2Q9Y7K6T4M2N1P0S"


# Forging helpers


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def herald_claims(
    user_id: str = NOBODY, session_id: str = NO_SESSION, **changes: Any
) -> dict[str, Any]:
    """The claims Herald puts in an access token; a change set to None drops that claim."""
    settings = get_settings()
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user_id,
        "sid": session_id,
        "iat": now,
        "exp": now + 900,
        "jti": str(ULID()),
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def herald_signed(claims: dict[str, Any]) -> str:
    """A token signed by Herald's own KMS key, exactly as /login signs."""
    from functions.auth.adapters.signer import sign_access_token

    return sign_access_token(claims)


def herald_kid() -> str:
    return signing_public_jwk(get_settings().jwt_signing_key_id)["kid"]


def token_claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(b64url_decode(token.split(".")[1]))
    return claims


def tampered(token: str, **changes: Any) -> str:
    """The token with its payload changed and its original signature kept."""
    header, _, signature = token.split(".")
    claims = token_claims(token) | changes
    return f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"


def unsigned(token: str) -> str:
    """The token's payload under `alg: none` (RFC 7519 section 6), keeping its `kid`."""
    kid = jwt.get_unverified_header(token).get("kid")
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{token.split('.')[1]}."


def _herald_public_pem() -> bytes:
    jwk = signing_public_jwk(get_settings().jwt_signing_key_id)
    key = jwt.PyJWK(jwk).key
    pem: bytes = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem


def hmac_keyed_with_public_key(token: str, secret: bytes | None = None) -> str:
    """The token's payload under HS256 keyed with Herald's public key (RFC 8725 section 2.1).

    PyJWT itself refuses a PEM as an HMAC key, which is exactly the attack; sign by hand.
    """
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": herald_kid()}).encode())
    signing_input = f"{header}.{token.split('.')[1]}".encode()
    mac = hmac.new(secret or _herald_public_pem(), signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{b64url(mac)}"


def foreign_signed(claims: dict[str, Any], kid: str) -> str:
    """Signed ES256 by a key Herald has never seen, under the given `kid`."""
    return jwt.encode(
        claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": kid}
    )
