"""Platform tokens, envelope-encrypted with KMS before they touch the table.

Each seal asks KMS for a fresh AES-256 data key under Herald's key, with an encryption context
naming the workspace and the account: KMS will only decrypt the data key for that same pair, so
a sealed token copied onto another account or workspace cannot be opened. The token itself is
encrypted with AES-256-GCM (the context is also its associated data); only the encrypted data
key, the nonce and the ciphertext are stored.
"""

import base64
import json
import os
from dataclasses import asdict
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from functions.publish.adapters.platforms.base import TokenSet
from functions.shared import aws
from functions.shared.settings import get_settings

_FORMAT = "v1"


def _context(workspace_id: str, account_id: str) -> dict[str, str]:
    return {"workspace_id": workspace_id, "account_id": account_id}


def seal(tokens: TokenSet, *, workspace_id: str, account_id: str) -> str:
    context = _context(workspace_id, account_id)
    data_key = aws.kms().generate_data_key(
        KeyId=get_settings().kms_key_id, KeySpec="AES_256", EncryptionContext=context
    )
    plain = asdict(tokens) | {
        "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
        "scopes": list(tokens.scopes),
    }
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key["Plaintext"]).encrypt(
        nonce, json.dumps(plain).encode(), json.dumps(context, sort_keys=True).encode()
    )
    parts = (data_key["CiphertextBlob"], nonce, ciphertext)
    return ".".join([_FORMAT, *(base64.b64encode(part).decode() for part in parts)])


def unseal(sealed: str, *, workspace_id: str, account_id: str) -> TokenSet:
    context = _context(workspace_id, account_id)
    version, *encoded = sealed.split(".")
    if version != _FORMAT or len(encoded) != 3:
        raise ValueError("not a sealed token set")
    encrypted_key, nonce, ciphertext = (base64.b64decode(part) for part in encoded)
    data_key = aws.kms().decrypt(CiphertextBlob=encrypted_key, EncryptionContext=context)
    plain = json.loads(
        AESGCM(data_key["Plaintext"]).decrypt(
            nonce, ciphertext, json.dumps(context, sort_keys=True).encode()
        )
    )
    expires_at = plain.pop("expires_at")
    return TokenSet(
        access_token=plain["access_token"],
        refresh_token=plain["refresh_token"],
        expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        scopes=tuple(plain["scopes"]),
    )
