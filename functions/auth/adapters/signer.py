"""Signs access tokens with the asymmetric KMS key: the private key never leaves KMS.

A JWS ES256 signature is the raw 64-byte r || s (RFC 7518 section 3.4); KMS returns DER, so the
two integers are re-encoded here.
"""

import base64
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from functions.shared import aws
from functions.shared.auth import ACCESS_TOKEN_ALGORITHM, signing_public_jwk
from functions.shared.settings import get_settings

_P256_COORDINATE_BYTES = 32


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign_access_token(claims: dict[str, Any]) -> str:
    key_id = get_settings().jwt_signing_key_id
    header = {"alg": ACCESS_TOKEN_ALGORITHM, "typ": "JWT", "kid": signing_public_jwk(key_id)["kid"]}
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    der = aws.kms().sign(
        KeyId=key_id,
        # RAW (KMS hashes it) rather than a local digest: the signing input is far below KMS's
        # 4096-byte limit, and moto hashes DIGEST messages a second time.
        Message=signing_input.encode(),
        MessageType="RAW",
        SigningAlgorithm="ECDSA_SHA_256",
    )["Signature"]
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(_P256_COORDINATE_BYTES) + s.to_bytes(_P256_COORDINATE_BYTES)
    return f"{signing_input}.{_b64url(signature)}"
