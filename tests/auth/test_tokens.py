"""Access tokens through a real protected endpoint (GET /v1/me) in the moto world.

Herald signs ES256 JWTs (RFC 7515, RFC 7519) with a KMS key and serves its public half as a JWK
(RFC 7517) whose `kid` is the RFC 7638 thumbprint. Verification pins the algorithm before it
picks a key (RFC 8725 section 2.1 and 3.1: no `alg: none`, no HMAC keyed with a public key),
checks issuer and audience (RFC 8725 sections 3.8 and 3.9), requires the claims Herald issues,
and accepts a token only while its session lives. Every refusal is a 401 with a
`WWW-Authenticate: Bearer` challenge (RFC 6750 section 3).
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from functions.shared.auth import signing_public_jwk
from functions.shared.settings import get_settings
from tests.auth.forged_tokens import (
    EXPIRED,
    INVALID,
    INVALID_TOKEN_CHALLENGE,
    MALFORMED,
    MISSING,
    NO_SESSION,
    NOBODY,
    SESSION_ENDED,
    UNKNOWN_KEY,
    WRONG_ALGORITHM,
    b64url,
    b64url_decode,
    foreign_signed,
    herald_claims,
    herald_kid,
    herald_signed,
    hmac_keyed_with_public_key,
    tampered,
    token_claims,
    unsigned,
)
from tests.support.auth_world import Herald
from tests.support.signing_key import TEST_KEY_ID, TokenFactory

# Calling the protected endpoint


def get_me(herald: Herald, token: str | None) -> tuple[int, dict[str, Any], str | None]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = herald.client.get("/v1/me", headers=headers)
    return response.status_code, response.json(), response.headers.get("www-authenticate")


def assert_refused(herald: Herald, token: str, detail: str) -> None:
    status, body, challenge = get_me(herald, token)
    assert (status, body.get("detail"), challenge) == (401, detail, INVALID_TOKEN_CHALLENGE), body
    assert body["status"] == 401


# Forged and damaged tokens: no account needed, each is refused before any session is read


def test_a_missing_token_is_401_with_a_bearer_challenge(herald: Herald) -> None:
    """RFC 6750 section 3.1: a request without credentials gets a bare `Bearer` challenge,
    with no error code."""
    status, body, challenge = get_me(herald, None)

    assert (status, body["detail"], challenge) == (401, MISSING, "Bearer")


def test_a_non_bearer_authorization_scheme_counts_as_missing(herald: Herald) -> None:
    """RFC 6750 section 2.1: only the Bearer scheme carries the token."""
    response = herald.client.get("/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert (response.status_code, response.json()["detail"]) == (401, MISSING)
    assert response.headers["www-authenticate"] == "Bearer"


ForgedToken = Callable[[TokenFactory], str]

FORGED: dict[str, tuple[ForgedToken, str]] = {
    # RFC 7519 section 4.1.4: `exp` in the past (beyond the 30 s clock-skew leeway).
    "expired": (
        lambda _: herald_signed(
            herald_claims(
                iat=int(datetime.now(UTC).timestamp()) - 1200,
                exp=int(datetime.now(UTC).timestamp()) - 300,
            )
        ),
        EXPIRED,
    ),
    # RFC 7515 section 5.2: a payload changed after signing fails signature validation.
    "tampered payload": (
        lambda _: tampered(herald_signed(herald_claims()), sub=NO_SESSION),
        INVALID,
    ),
    "tampered expiry": (
        lambda _: tampered(
            herald_signed(herald_claims()), exp=int(datetime.now(UTC).timestamp()) + 86400
        ),
        INVALID,
    ),
    # RFC 8725 section 2.1 / 3.1: `alg: none` is never accepted.
    "alg none": (lambda _: unsigned(herald_signed(herald_claims())), WRONG_ALGORITHM),
    "alg none, test key": (lambda make_token: unsigned(make_token()), WRONG_ALGORITHM),
    # RFC 8725 section 2.1: HMAC keyed with the public key (algorithm confusion).
    "HS256 keyed with the public key PEM": (
        lambda _: hmac_keyed_with_public_key(herald_signed(herald_claims())),
        WRONG_ALGORITHM,
    ),
    "HS256 keyed with the public JWK text": (
        lambda _: hmac_keyed_with_public_key(
            herald_signed(herald_claims()),
            json.dumps(signing_public_jwk(get_settings().jwt_signing_key_id)).encode(),
        ),
        WRONG_ALGORITHM,
    ),
    "another algorithm (ES384)": (
        lambda _: jwt.encode(
            herald_claims(),
            ec.generate_private_key(ec.SECP384R1()),
            algorithm="ES384",
            headers={"kid": herald_kid()},
        ),
        WRONG_ALGORITHM,
    ),
    # RFC 7515 section 4.1.4: the `kid` picks the key; an unknown one picks none.
    "unknown kid": (lambda _: foreign_signed(herald_claims(), "someone-elses-key"), UNKNOWN_KEY),
    "no kid": (
        lambda _: jwt.encode(
            herald_claims(), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256"
        ),
        UNKNOWN_KEY,
    ),
    # A foreign key reusing a known kid: the signature does not verify under the real key.
    "foreign key reusing Herald's kid": (
        lambda _: foreign_signed(herald_claims(), herald_kid()),
        INVALID,
    ),
    "foreign key reusing the configured kid": (
        lambda _: foreign_signed(herald_claims(), TEST_KEY_ID),
        INVALID,
    ),
    # RFC 8725 section 3.8 / 3.9: issuer and audience are checked, even under Herald's own key.
    "wrong issuer": (lambda _: herald_signed(herald_claims(iss="https://evil.example")), INVALID),
    "wrong audience": (lambda _: herald_signed(herald_claims(aud="another-api")), INVALID),
    "wrong issuer, test key": (lambda make_token: make_token(iss="evil"), INVALID),
    "wrong audience, test key": (lambda make_token: make_token(aud="another-api"), INVALID),
    # The claims Herald issues are required (RFC 7519 section 4.1: required by this profile).
    "no sub": (lambda _: herald_signed(herald_claims(sub=None)), INVALID),
    "no sid": (lambda _: herald_signed(herald_claims(sid=None)), INVALID),
    "no exp": (lambda _: herald_signed(herald_claims(exp=None)), INVALID),
    "no aud": (lambda _: herald_signed(herald_claims(aud=None)), INVALID),
    "null sub": (lambda make_token: make_token(sub=None), INVALID),
    # Not a JWS compact serialization at all (RFC 7515 section 7.1).
    "garbage": (lambda _: "not-a-jwt", MALFORMED),
    "three garbage segments": (lambda _: "abc.def.ghi", MALFORMED),
    "header that is not JSON": (lambda _: f"{b64url(b'[1,2')}.e30.c2ln", MALFORMED),
    # Well signed by a trusted key, but naming no live session (Herald's key, then the test key).
    "valid signature, no session": (lambda _: herald_signed(herald_claims()), SESSION_ENDED),
    "valid signature (test key), no session": (lambda make_token: make_token(), SESSION_ENDED),
}


@pytest.mark.parametrize("case", FORGED)
def test_a_bad_token_is_401_with_a_bearer_challenge(
    herald: Herald, make_token: TokenFactory, case: str
) -> None:
    forge, detail = FORGED[case]

    assert_refused(herald, forge(make_token), detail)


# Real tokens from /login


def test_a_login_token_verifies_against_the_served_jwk_and_nothing_else(herald: Herald) -> None:
    """The token from /login is an ES256 JWS (RFC 7518 section 3.4) verifiable by anyone holding
    the JWK Herald serves: checked here with PyJWT alone, not with Herald's verifier."""
    account = herald.sign_up("ada")
    served = herald.client.get("/v1/auth/.well-known/jwks.json").json()["keys"]
    header = jwt.get_unverified_header(account.access_token)
    [jwk] = [key for key in served if key["kid"] == header["kid"]]

    claims = jwt.decode(
        account.access_token,
        jwt.PyJWK(jwk).key,
        algorithms=["ES256"],
        audience="herald-api",
        issuer="herald",
        options={"require": ["exp", "iat", "sub", "sid", "iss", "aud"]},
    )

    assert header["alg"] == "ES256"
    assert jwk == served[0]  # the KMS signing key, not the test key from settings
    assert claims["sub"] == account.user_id
    assert claims["exp"] - claims["iat"] == 900
    for other in served[1:]:
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(
                account.access_token,
                jwt.PyJWK(other).key,
                algorithms=["ES256"],
                audience="herald-api",
            )
    status, body, _ = get_me(herald, account.access_token)
    assert (status, body["id"]) == (200, account.user_id)


def test_a_token_stops_working_when_it_expires(herald: Herald) -> None:
    """RFC 7519 section 4.1.4: refused once `exp` has passed (30 s leeway for clock skew)."""
    account = herald.sign_up("ada")
    issued = datetime.fromtimestamp(token_claims(account.access_token)["iat"], UTC)

    with time_machine.travel(issued + timedelta(minutes=15, seconds=20), tick=True):
        assert get_me(herald, account.access_token)[0] == 200  # within the leeway
    with time_machine.travel(issued + timedelta(minutes=15, seconds=31), tick=True):
        assert_refused(herald, account.access_token, EXPIRED)


def test_a_token_whose_session_was_ended_by_logout_is_401(herald: Herald) -> None:
    """Revocation takes effect at once: the access token dies with its session, although its
    signature and expiry are still good (OWASP Session Management: server-side logout)."""
    account = herald.sign_up("ada")
    assert get_me(herald, account.access_token)[0] == 200

    logout = herald.client.post("/v1/auth/logout", headers=account.headers)

    assert logout.status_code == 204
    assert_refused(herald, account.access_token, SESSION_ENDED)
    refresh = herald.client.post("/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert (refresh.status_code, refresh.json()["detail"]) == (
        401,
        "This session has ended; sign in again.",
    )


def test_a_token_of_one_user_with_another_users_session_is_401(herald: Herald) -> None:
    """`sid` must name a session of `sub`: a session id alone does not carry over to someone else,
    even under Herald's own signature."""
    ada = herald.sign_up("ada")
    ada_session = token_claims(ada.access_token)["sid"]

    assert_refused(herald, herald_signed(herald_claims(NOBODY, ada_session)), SESSION_ENDED)


# The public key set


def _thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 section 3.2: the required EC members, sorted, no whitespace, SHA-256, base64url."""
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


def test_the_jwks_serves_the_kms_signing_key(herald: Herald) -> None:
    """RFC 7517 section 5 key set; RFC 7518 section 6.2.1 EC public key; RFC 7638 `kid`."""
    response = herald.client.get("/v1/auth/.well-known/jwks.json")
    kms = boto3.client("kms", region_name=get_settings().region)
    der = kms.get_public_key(KeyId=get_settings().jwt_signing_key_id)["PublicKey"]
    public_key = serialization.load_der_public_key(der)
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    numbers = public_key.public_numbers()

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    keys = response.json()["keys"]
    served = keys[0]
    assert {name: served[name] for name in ("kty", "crv", "alg", "use")} == {
        "kty": "EC",
        "crv": "P-256",
        "alg": "ES256",
        "use": "sig",
    }
    assert served["kid"] == _thumbprint(served)
    assert b64url_decode(served["x"]) == numbers.x.to_bytes(32)
    assert b64url_decode(served["y"]) == numbers.y.to_bytes(32)
    assert [key["kid"] for key in keys] == [served["kid"], TEST_KEY_ID]
    assert not any("d" in key for key in keys), "a private key member is served"


@pytest.fixture
def unreachable_kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from functions.shared import aws

    def broken() -> Any:
        raise ConnectionError("KMS is unreachable")

    signing_public_jwk.cache_clear()
    monkeypatch.setattr(aws, "kms", broken)
    yield
    signing_public_jwk.cache_clear()


def test_a_token_is_refused_with_503_when_the_signing_key_cannot_be_read(
    herald: Herald, unreachable_kms: None
) -> None:
    """Verification fails closed: without the public key a token is not accepted."""
    status, body, _ = get_me(herald, foreign_signed(herald_claims(), "kid-that-needs-kms"))

    assert (status, body["detail"]) == (503, "The token signing key cannot be read right now.")
