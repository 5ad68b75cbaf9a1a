"""Access-token verification, as a FastAPI dependency every protected route declares.

Tokens are ES256 JWTs signed by the auth function. Verification pins the algorithm before it looks
at the key, so neither `alg: none` nor an HMAC token keyed with the public key can pass, and picks
the key by `kid` from the JSON Web Key Set in settings.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from functions.shared.problems import ServiceUnavailable, Unauthorized
from functions.shared.settings import get_settings

if TYPE_CHECKING:
    from jwt import PyJWK

ACCESS_TOKEN_ALGORITHM = "ES256"  # noqa: S105 (an algorithm name, not a secret)
CLOCK_SKEW_SECONDS = 30

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An access token from `POST /v1/auth/login`.",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the verified subject of an access token."""

    user_id: str
    claims: Mapping[str, Any]


@cache
def _verification_keys(jwks_json: str) -> Mapping[str, "PyJWK"]:
    # PyJWT pulls in `cryptography`; importing it here keeps it off routes that need no token.
    from jwt import PyJWKSet

    keys = PyJWKSet.from_json(jwks_json).keys
    return {
        key.key_id: key
        for key in keys
        if key.key_id and key.algorithm_name == ACCESS_TOKEN_ALGORITHM
    }


def verify_access_token(token: str) -> Principal:
    import jwt

    settings = get_settings()
    if not settings.jwt_public_jwks:
        raise ServiceUnavailable("Access-token verification is not configured on this function.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Unauthorized("The access token is malformed.") from None
    if header.get("alg") != ACCESS_TOKEN_ALGORITHM:
        raise Unauthorized(f"The access token must be signed with {ACCESS_TOKEN_ALGORITHM}.")
    key = _verification_keys(settings.jwt_public_jwks).get(str(header.get("kid")))
    if key is None:
        raise Unauthorized("The access token was signed with an unknown key.")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ACCESS_TOKEN_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired.") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("The access token is invalid.") from None
    return Principal(user_id=claims["sub"], claims=claims)


async def require_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("A bearer token is required in the Authorization header.")
    return verify_access_token(credentials.credentials)
