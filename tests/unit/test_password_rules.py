"""The password rules and hashing of functions/auth/domain/passwords.py, and the lockout delays.

Rules per NIST SP 800-63B section 3.1.1.2 (at least 10 characters here, a generous maximum, no
composition rules, no common or context-specific passwords); hashing per the OWASP Password
Storage Cheat Sheet (argon2id, m=19 MiB, t=2, p=1).
"""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher, Type

from functions.auth.domain import passwords
from functions.auth.domain.accounts import lockout_delay
from functions.shared.problems import FieldError, ValidationFailed

STRONG = "violet-harbour-kettle-42"
NAME_AND_EMAIL = ("ada.lovelace@example.com", "Ada Lovelace")


def code_of(password: str, personal: tuple[str, ...] = NAME_AND_EMAIL) -> str | None:
    problem = passwords._password_problem(password, personal)
    return problem[0] if problem else None


def test_ten_characters_are_enough_and_nine_are_not() -> None:
    assert code_of("Tq9vLw2xZp") is None
    assert code_of("Tq9vLw2xZ") == "password_too_short"


def test_256_characters_are_allowed_and_257_are_not() -> None:
    """Length is judged in full; strength only on a prefix (zxcvbn's cost grows with length)."""
    assert code_of(STRONG + "k" * (256 - len(STRONG))) is None
    assert code_of(STRONG + "k" * (257 - len(STRONG))) == "password_too_long"


@pytest.mark.parametrize("password", ["1234567890", "qwertyuiop", "password123", "QWERTYUIOP"])
def test_common_passwords_are_refused_as_common(password: str) -> None:
    assert code_of(password) == "password_common"


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "abcdefghijk", "Password1234", "Summer2024!"])
def test_guessable_passwords_are_refused_as_weak(password: str) -> None:
    assert code_of(password) == "password_weak"


def test_a_password_built_from_the_users_name_is_weak_for_that_user_only() -> None:
    assert code_of("Ada Lovelace!!") == "password_personal"
    assert code_of("Ada Lovelace!!", personal=()) is None


@pytest.mark.parametrize("password", ["adalovelace1", "lovelace-ada-1", "Lovelace.Example9"])
def test_parts_of_the_users_name_and_address_count_as_their_own_words(password: str) -> None:
    assert code_of(password) == "password_personal"
    assert code_of(password, personal=()) is None


def test_no_composition_rules() -> None:
    """NIST SP 800-63B section 3.1.1.2: no demands for digits, capitals or symbols."""
    assert code_of("correct horse battery staple") is None


def test_a_broken_rule_is_a_validation_problem_at_the_given_pointer() -> None:
    with pytest.raises(ValidationFailed) as raised:
        passwords.check_password_rules("short", pointer="/body/new_password", personal=())

    assert raised.value.detail == "The password does not meet the rules."
    assert raised.value.errors == [
        FieldError(
            pointer="/body/new_password",
            detail="Use at least 10 characters.",
            code="password_too_short",
        )
    ]


def test_a_password_meeting_the_rules_passes() -> None:
    passwords.check_password_rules(STRONG, pointer="/body/password", personal=NAME_AND_EMAIL)


def test_hashes_are_argon2id_with_owasp_parameters_and_a_fresh_salt() -> None:
    first, second = passwords.hash_password(STRONG), passwords.hash_password(STRONG)

    assert first.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert first != second
    assert passwords.verify_password(first, STRONG)
    assert not passwords.verify_password(first, STRONG + "!")
    assert not passwords.needs_rehash(first)


def test_without_a_stored_hash_nothing_verifies_not_even_the_stand_in_secret() -> None:
    """An unknown address is checked against a stand-in hash (to take as long); it never passes."""
    assert not passwords.verify_password(None, STRONG)
    assert not passwords.verify_password(
        None, "herald: no such user; this only spends the same time"
    )


def test_a_malformed_hash_does_not_verify() -> None:
    assert not passwords.verify_password("$argon2id$garbage", STRONG)
    assert not passwords.verify_password("plaintext", "plaintext")


def test_hashes_with_weaker_parameters_are_due_for_rehash() -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)

    assert passwords.needs_rehash(weaker.hash(STRONG))


def test_lockout_starts_at_the_fifth_failure_doubles_and_stops_at_15_minutes() -> None:
    """OWASP Authentication Cheat Sheet, "Account Lockout": a growing delay, not a permanent lock
    (which would let anyone lock a victim out for good)."""
    delays = [lockout_delay(failures) for failures in range(1, 12)]

    assert delays == [
        None,
        None,
        None,
        None,
        timedelta(seconds=30),
        timedelta(seconds=60),
        timedelta(seconds=120),
        timedelta(seconds=240),
        timedelta(seconds=480),
        timedelta(minutes=15),
        timedelta(minutes=15),
    ]
