"""Standard Webhooks signatures (https://www.standardwebhooks.com/, the spec's "Signature
scheme"): HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` keyed with the secret's
base64-decoded bytes, sent as `v1,<base64>`; several signatures are separated by spaces.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
# The spec asks for 24 to 64 random bytes.
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one signature per secret still in use."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_)
