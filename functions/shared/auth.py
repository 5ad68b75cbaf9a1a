"""Who is calling: access tokens and API keys (the HTTP edge reads them from the request).

Access tokens are ES256 JWTs signed by the auth function with an asymmetric KMS key; no other
function can sign. Verification pins the algorithm before it looks at the key, so neither
`alg: none` nor an HMAC token keyed with the public key can pass, and picks the key by `kid`:
the signing key's public half (read from KMS once per process, `kid` = its RFC 7638 thumbprint)
or an extra key from the JWKS in settings. A valid signature is not enough: the token's session
must still be live, so logout, logout-all and password changes take effect at once.

API keys (`hk_...`) are opaque; their SHA-256 digest finds the key, bound to one workspace.
"""

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from functions.shared.problems import InvalidToken, ServiceUnavailable
from functions.shared.settings import get_settings

if TYPE_CHECKING:
    from jwt import PyJWK

ACCESS_TOKEN_ALGORITHM = "ES256"  # noqa: S105 (an algorithm name, not a secret)
CLOCK_SKEW_SECONDS = 30
API_KEY_PREFIX = "hk_"


@dataclass(frozen=True, slots=True)
class UserPrincipal:
    """A signed-in user, acting through one of their sessions."""

    user_id: str
    session_id: str
    claims: Mapping[str, Any]

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}"


@dataclass(frozen=True, slots=True)
class ApiKeyPrincipal:
    """A workspace API key: bound to its workspace, limited to its scopes."""

    key_id: str
    workspace_id: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        return f"api_key:{self.key_id}"


Principal = UserPrincipal | ApiKeyPrincipal


def digest(secret: str) -> str:
    """How opaque secrets (refresh tokens, API keys, one-time tokens) are stored and looked up.

    They carry 256 random bits, so a fast hash is as strong as a slow one here.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an EC public key: a `kid` every function derives alike."""
    canonical = json.dumps(
        {name: jwk[name] for name in ("crv", "kty", "x", "y")}, separators=(",", ":")
    )
    return (
        base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    )


@cache
def signing_public_jwk(key_id: str) -> dict[str, str]:
    """The public JWK of the KMS signing key, with its thumbprint as `kid`."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from jwt.algorithms import ECAlgorithm

    from functions.shared import aws

    try:
        der = aws.kms().get_public_key(KeyId=key_id)["PublicKey"]
    except Exception as error:  # any failure to reach KMS leaves verification impossible
        raise ServiceUnavailable("The token signing key cannot be read right now.") from error
    public_key = load_der_public_key(der)
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ServiceUnavailable("The token signing key is not an elliptic-curve key.")
    jwk: dict[str, str] = json.loads(ECAlgorithm.to_jwk(public_key))
    jwk.update(kid=jwk_thumbprint(jwk), alg=ACCESS_TOKEN_ALGORITHM, use="sig")
    return jwk


def public_jwks() -> dict[str, list[dict[str, str]]]:
    """Every key that verifies access tokens: the signing key first, then any extra keys."""
    settings = get_settings()
    keys = [signing_public_jwk(settings.jwt_signing_key_id)]
    if settings.jwt_public_jwks:
        keys.extend(json.loads(settings.jwt_public_jwks)["keys"])
    return {"keys": keys}


@cache
def _static_verification_keys(jwks_json: str) -> Mapping[str, "PyJWK"]:
    from jwt import PyJWKSet

    return _by_kid(PyJWKSet.from_json(jwks_json).keys) if jwks_json else {}


def _by_kid(keys: list["PyJWK"]) -> dict[str, "PyJWK"]:
    return {
        key.key_id: key
        for key in keys
        if key.key_id and key.algorithm_name == ACCESS_TOKEN_ALGORITHM
    }


def _verification_key(kid: str) -> "PyJWK | None":
    from jwt import PyJWK

    settings = get_settings()
    extra = _static_verification_keys(settings.jwt_public_jwks).get(kid)
    if extra is not None:
        return extra
    signing = signing_public_jwk(settings.jwt_signing_key_id)
    return PyJWK.from_dict(signing) if signing["kid"] == kid else None


def verify_access_token(token: str) -> Mapping[str, Any]:
    """The claims of a well-signed, current access token; 401 for anything else."""
    import jwt

    settings = get_settings()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise InvalidToken("The access token is malformed.") from None
    if header.get("alg") != ACCESS_TOKEN_ALGORITHM:
        raise InvalidToken(f"The access token must be signed with {ACCESS_TOKEN_ALGORITHM}.")
    key = _verification_key(str(header.get("kid")))
    if key is None:
        raise InvalidToken("The access token was signed with an unknown key.")
    try:
        claims: Mapping[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ACCESS_TOKEN_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iat", "sub", "iss", "aud", "sid"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("The access token has expired.") from None
    except jwt.InvalidTokenError:
        raise InvalidToken("The access token is invalid.") from None
    return claims


def _user_principal(token: str) -> UserPrincipal:
    from functions.shared.identity_items import SessionItem

    claims = verify_access_token(token)
    user_id, session_id = str(claims["sub"]), str(claims["sid"])
    session = SessionItem.find(user_id, session_id)
    if session is None or session.revoked_at is not None:
        raise InvalidToken("The session of this access token has ended; sign in again.")
    return UserPrincipal(user_id=user_id, session_id=session_id, claims=claims)


def _api_key_principal(secret: str) -> ApiKeyPrincipal:
    from functions.shared.identity_items import ApiKeyLookupItem

    lookup = ApiKeyLookupItem.find(digest(secret))
    if lookup is None:
        raise InvalidToken("The API key is not valid; it may have been revoked.")
    if lookup.valid_until is not None and lookup.valid_until <= datetime.now(UTC):
        raise InvalidToken("The API key has expired.")
    return ApiKeyPrincipal(
        key_id=lookup.key_id,
        workspace_id=lookup.workspace_id,
        scopes=frozenset(lookup.scopes or ()),
    )


def principal_for(token: str) -> Principal:
    """Whoever presents `token`: an API key (`hk_...`) or a user's access token; 401 otherwise."""
    if token.startswith(API_KEY_PREFIX):
        return _api_key_principal(token)
    return _user_principal(token)
