"""Access-token verification: only ES256 tokens from a known key, for this issuer and audience.

Claims per RFC 7519; the `alg` pinning defends against the attacks in RFC 8725 section 2.1.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from functions.shared.app_factory import create_app
from functions.shared.auth import Principal, require_principal
from functions.shared.settings import Settings, get_settings
from tests.conftest import TokenFactory

router = APIRouter()


@router.get("/v1/analytics/whoami")
async def whoami(principal: Annotated[Principal, Depends(require_principal)]) -> dict[str, str]:
    return {"user_id": principal.user_id}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app("analytics", router))


def _call(client: TestClient, token: str | None) -> tuple[int, dict[str, object], str | None]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = client.get("/v1/analytics/whoami", headers=headers)
    return response.status_code, response.json(), response.headers.get("www-authenticate")


def test_a_valid_token_identifies_its_subject(client: TestClient, make_token: TokenFactory) -> None:
    status, body, _ = _call(client, make_token(sub="01JUSER00000000000000000AB"))

    assert status == 200
    assert body == {"user_id": "01JUSER00000000000000000AB"}


def test_a_missing_token_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    status, body, challenge = _call(client, None)

    assert status == 401
    assert body["detail"] == "A bearer token is required in the Authorization header."
    assert challenge is not None
    assert challenge.startswith("Bearer")


def _tamper_subject(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "01JATTACKER000000000000000"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _unsigned(make_token: TokenFactory) -> str:
    signed = make_token()
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"test-key-1"}').rstrip(b"=").decode()
    return f"{header}.{signed.split('.')[1]}."


def _hmac_keyed_with_the_public_key(make_token: TokenFactory) -> str:
    public_jwk = json.loads(get_settings().jwt_public_jwks)["keys"][0]
    public_pem = (
        jwt.PyJWK(public_jwk)
        .key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )
    # PyJWT itself refuses PEM text as an HMAC key, which is exactly the attack; sign by hand.
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"test-key-1"}').rstrip(b"=")
    payload = make_token().split(".")[1].encode()
    mac = hmac.new(public_pem.encode(), header + b"." + payload, hashlib.sha256).digest()
    return b".".join([header, payload, base64.urlsafe_b64encode(mac).rstrip(b"=")]).decode()


@pytest.mark.parametrize(
    ("case", "expected_detail"),
    [
        ("expired", "The access token has expired."),
        ("tampered", "The access token is invalid."),
        ("alg_none", "The access token must be signed with ES256."),
        ("hs256_confusion", "The access token must be signed with ES256."),
        ("unknown_kid", "The access token was signed with an unknown key."),
        ("foreign_key_same_kid", "The access token is invalid."),
        ("wrong_issuer", "The access token is invalid."),
        ("wrong_audience", "The access token is invalid."),
        ("no_subject", "The access token is invalid."),
        ("garbage", "The access token is malformed."),
    ],
)
def test_bad_tokens_are_401(
    client: TestClient, make_token: TokenFactory, case: str, expected_detail: str
) -> None:
    tokens: dict[str, Callable[[], str]] = {
        "expired": lambda: make_token(lifetime=timedelta(minutes=-5)),
        "tampered": lambda: _tamper_subject(make_token()),
        "alg_none": lambda: _unsigned(make_token),
        "hs256_confusion": lambda: _hmac_keyed_with_the_public_key(make_token),
        "unknown_kid": lambda: make_token(kid="someone-elses-key"),
        "foreign_key_same_kid": lambda: make_token(key=ec.generate_private_key(ec.SECP256R1())),
        "wrong_issuer": lambda: make_token(iss="https://evil.example"),
        "wrong_audience": lambda: make_token(aud="another-api"),
        "no_subject": lambda: make_token(sub=None),
        "garbage": lambda: "not-a-jwt",
    }

    status, body, challenge = _call(client, tokens[case]())

    assert status == 401
    assert body["detail"] == expected_detail
    assert challenge is not None


def test_unconfigured_verification_is_503_not_an_open_door(
    client: TestClient, make_token: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("functions.shared.auth.get_settings", lambda: Settings(jwt_public_jwks=""))

    status, body, _ = _call(client, make_token())

    assert status == 503
    assert body["detail"] == "Access-token verification is not configured on this function."
