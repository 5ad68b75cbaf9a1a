"""What a sealed token set lets a reader of the table see: its parts, base64-decoded.

A seal is `v1.<encrypted data key>.<nonce>.<ciphertext>`, each part base64. Decoding every part
(and, whatever the format, every dot-separated piece that decodes) shows what an encoding alone
would leave readable, so "encrypted at rest" is checked on the bytes, not on the encoded text.
"""

import base64
import binascii


def decoded_parts(sealed: str) -> list[bytes]:
    """The sealed text and every dot-separated piece of it, decoded where it is base64."""
    parts = [sealed.encode()]
    for piece in sealed.split("."):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                parts.append(decode(piece + "=" * (-len(piece) % 4)))
            except (binascii.Error, ValueError):
                continue
    return parts


def readable_secrets(sealed: str, secrets: list[str]) -> list[str]:
    """Which of `secrets` a reader finds in the sealed form, encoded or decoded."""
    return [
        secret
        for secret in secrets
        if any(secret.encode() in part for part in decoded_parts(sealed))
    ]


def with_flipped_byte(sealed: str, part: int, index: int) -> str:
    """The seal with one bit of one byte of its `part` (1: data key, 2: nonce, 3: ciphertext)
    flipped, as a corrupted or tampered item would hold it."""
    pieces = sealed.split(".")
    raw = bytearray(base64.b64decode(pieces[part]))
    raw[index] ^= 0x01
    pieces[part] = base64.b64encode(bytes(raw)).decode()
    return ".".join(pieces)
