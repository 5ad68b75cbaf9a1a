"""Secrets envelope-encrypted with KMS before they touch the table.

Each seal asks KMS for a fresh AES-256 data key under Herald's key, with an encryption context
naming what the secret belongs to (a workspace and one of its objects): KMS will only decrypt
the data key for that same context, so a sealed secret copied onto another object or workspace
cannot be opened. The secret itself is encrypted with AES-256-GCM (the context is also its
associated data); only the encrypted data key, the nonce and the ciphertext are stored.

Opening a secret asks KMS to decrypt its data key. The opened data key is kept in the process
for a short while (`OpenedKeys`), as the AWS Encryption SDK's caching materials manager keeps
decryption materials, so that a warm worker opening the same secret again moments later (the
same account publishing again, a thread's next part) does not call KMS each time. The trade-off
is written down in docs/publishing.md ("Opened data keys").
"""

import base64
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

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


@dataclass(slots=True)
class _Opened:
    data_key: bytes
    opened_at: float
    uses: int


class OpenedKeys:
    """Data keys KMS decrypted lately, each for at most `max_age` seconds and `max_uses` opens,
    at most `max_entries` of them (the least recently used goes first).

    An entry is found by the SHA-256 digest of the encrypted data key and the encryption
    context, never by the secret: only what KMS itself would have been asked matches, so a
    sealed value copied onto another object (another context) still goes to KMS and is refused.
    Neither digests nor keys are ever logged."""

    def __init__(self, *, max_age: float, max_uses: int, max_entries: int) -> None:
        self.max_age = max_age
        self.max_uses = max_uses
        self.max_entries = max_entries
        self.clock = time.monotonic
        self._entries: OrderedDict[bytes, _Opened] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, digest: bytes) -> bytes | None:
        """The data key if it was opened lately, counting this use."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if self.clock() - entry.opened_at > self.max_age or entry.uses >= self.max_uses:
                del self._entries[digest]
                return None
            entry.uses += 1
            self._entries.move_to_end(digest)
            return entry.data_key

    def keep(self, digest: bytes, data_key: bytes) -> None:
        with self._lock:
            self._entries[digest] = _Opened(data_key, self.clock(), uses=1)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# Five minutes, as the Encryption SDK's examples choose: long enough for a worker's posts in a
# row, short enough that a key disabled or a permission revoked in KMS soon applies here too.
opened_keys = OpenedKeys(max_age=300.0, max_uses=100, max_entries=512)


def _digest(encrypted_key: bytes, associated: bytes) -> bytes:
    return hashlib.sha256(
        len(encrypted_key).to_bytes(4, "big") + encrypted_key + associated
    ).digest()


def unseal(sealed: str, context: dict[str, str]) -> bytes:
    version, *encoded = sealed.split(".")
    if version != _FORMAT or len(encoded) != 3:
        raise ValueError("not a sealed secret")
    encrypted_key, nonce, ciphertext = (base64.b64decode(part) for part in encoded)
    associated = json.dumps(context, sort_keys=True).encode()
    digest = _digest(encrypted_key, associated)
    data_key = opened_keys.take(digest)
    if data_key is None:
        data_key = aws.kms().decrypt(CiphertextBlob=encrypted_key, EncryptionContext=context)[
            "Plaintext"
        ]
        opened_keys.keep(digest, data_key)
    plain: bytes = AESGCM(data_key).decrypt(nonce, ciphertext, associated)
    return plain
