"""Password rules and hashing.

Hashing is argon2id with OWASP's parameters (m=19 MiB, t=2, p=1; the OWASP Password Storage Cheat
Sheet). The rules follow NIST SP 800-63B: at least 10 characters, no composition rules, and not a
common or guessable password, judged by zxcvbn (its 30,000 most common passwords and its
estimate of guesses, which also catches passwords built from the user's own name or email).
"""

import re
from functools import cache
from typing import TYPE_CHECKING

from functions.shared.problems import FieldError, ValidationFailed

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LENGTH = 10
MAX_LENGTH = 256
# zxcvbn's scores run 0..4; 3 means "safely unguessable: moderate protection from offline attack".
MIN_STRENGTH = 3
# Letters and digits a password needs besides the user's own name and address parts.
MIN_OWN_CHARACTERS = 6
# zxcvbn's matching grows with length and beyond this adds nothing to a strength verdict.
_STRENGTH_PREFIX = 64


@cache
def _hasher() -> "PasswordHasher":
    from argon2 import PasswordHasher, Type

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


@cache
def _unknown_user_hash() -> str:
    """A real hash to verify against when the email is unknown, so both answers take as long."""
    return _hasher().hash("herald: no such user; this only spends the same time")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash or _unknown_user_hash(), password) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def check_password_rules(password: str, *, pointer: str, personal: tuple[str, ...]) -> None:
    """Refuse a password that breaks the rules, saying exactly why (422 on `pointer`)."""
    problem = _password_problem(password, personal)
    if problem is not None:
        code, detail = problem
        raise ValidationFailed(
            "The password does not meet the rules.",
            errors=[FieldError(pointer=pointer, detail=detail, code=code)],
        )


def _personal_words(personal: tuple[str, ...]) -> list[str]:
    """The user's own words (name parts, the email's local part and domain) for zxcvbn."""
    words = {value.lower() for value in personal if value}
    for value in list(words):
        words.update(part for part in re.split(r"[\s@._+-]+", value) if len(part) >= 3)
    return sorted(words)


def _without_words(password: str, words: list[str]) -> int:
    """How many letters and digits are left once the user's own words are taken out."""
    rest = password.lower()
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "")
    return sum(character.isalnum() for character in rest)


def _password_problem(password: str, personal: tuple[str, ...]) -> tuple[str, str] | None:
    if len(password) < MIN_LENGTH:
        return "password_too_short", f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return "password_too_long", f"Use at most {MAX_LENGTH} characters."
    words = _personal_words(personal)
    if _without_words(password, words) < MIN_OWN_CHARACTERS:
        return "password_personal", "Do not build the password from your name or email address."
    from zxcvbn import zxcvbn

    verdict = zxcvbn(password[:_STRENGTH_PREFIX], user_inputs=words)
    common = any(
        match.get("dictionary_name") == "passwords"
        and match.get("matched_word") == password.lower()
        for match in verdict["sequence"]
    )
    if common:
        return "password_common", "This is one of the most common passwords; choose another."
    if verdict["score"] < MIN_STRENGTH:
        feedback = verdict["feedback"]
        hint = feedback.get("warning") or "This password is easy to guess."
        suggestions = " ".join(feedback.get("suggestions") or ())
        return "password_weak", f"{hint} {suggestions}".strip()
    return None
