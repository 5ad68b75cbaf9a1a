"""Secrets envelope-encrypted with KMS before they touch the table.

Each seal asks KMS for a fresh AES-256 data key under Herald's key, with an encryption context
naming what the secret belongs to (a workspace and one of its objects): KMS will only decrypt
the data key for that same context, so a sealed secret copied onto another object or workspace
cannot be opened. The secret itself is encrypted with AES-256-GCM (the context is also its
associated data); only the encrypted data key, the nonce and the ciphertext are stored.
"""

import base64
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from functions.shared import aws
from functions.shared.settings import get_settings

_FORMAT = "v1"


def seal(plain: bytes, context: dict[str, str]) -> str:
    data_key = aws.kms().generate_data_key(
        KeyId=get_settings().kms_key_id, KeySpec="AES_256", EncryptionContext=context
    )
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key["Plaintext"]).encrypt(
        nonce, plain, json.dumps(context, sort_keys=True).encode()
    )
    parts = (data_key["CiphertextBlob"], nonce, ciphertext)
    return ".".join([_FORMAT, *(base64.b64encode(part).decode() for part in parts)])


def unseal(sealed: str, context: dict[str, str]) -> bytes:
    version, *encoded = sealed.split(".")
    if version != _FORMAT or len(encoded) != 3:
        raise ValueError("not a sealed secret")
    encrypted_key, nonce, ciphertext = (base64.b64decode(part) for part in encoded)
    data_key = aws.kms().decrypt(CiphertextBlob=encrypted_key, EncryptionContext=context)
    plain: bytes = AESGCM(data_key["Plaintext"]).decrypt(
        nonce, ciphertext, json.dumps(context, sort_keys=True).encode()
    )
    return plain
