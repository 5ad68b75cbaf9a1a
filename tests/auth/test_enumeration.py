"""No answer tells whether an email address has an account (OWASP Authentication Cheat Sheet,
"Authentication and Error Messages"; OWASP Forgot Password Cheat Sheet, "Forgot Password Request").

Register, resend and reset answer alike for every address and no sooner than a fixed floor; sign-in
fails with one message for an unknown address and a wrong password.
"""

import time

import httpx
import pytest

from functions.auth.domain import accounts
from tests.support.auth_world import PASSWORD, Herald, emails_to, unique_email

# Read at collection, before the `herald` fixture drops the floor for speed.
REAL_UNIFORM_ANSWER_SECONDS = accounts.UNIFORM_ANSWER_SECONDS
CHECK_YOUR_EMAIL = "If the address can receive email, a message with the next step is on its way."


def answer(response: httpx.Response) -> tuple[int, str, dict[str, object]]:
    return response.status_code, response.headers["Content-Type"], response.json()


def purposes(email: str) -> list[str | None]:
    return [message["X-Herald-Purpose"] for message in emails_to(email)]


def test_registering_a_taken_address_answers_like_a_new_one_and_tells_the_owner(
    herald: Herald,
) -> None:
    owner = herald.sign_up("owner")
    fresh = unique_email("fresh")

    taken = herald.client.post(
        "/v1/auth/register",
        json={"email": owner.email, "password": "intruder-chosen-pass-31", "name": "Mallory"},
    )
    new = herald.client.post(
        "/v1/auth/register",
        json={"email": fresh, "password": "intruder-chosen-pass-31", "name": "Mallory"},
    )

    assert answer(taken) == answer(new) == (202, "application/json", {"detail": CHECK_YOUR_EMAIL})
    # The owner hears about it instead of receiving a second verification link.
    assert purposes(owner.email) == ["verify_email", "account_exists"]
    notice = emails_to(owner.email)[-1]
    body = notice.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert "?token=" not in body.decode()
    assert "http://localhost:3000/reset-password" in body.decode()
    assert notice["Subject"] == "Someone tried to create a Herald account with your email address"
    assert purposes(fresh) == ["verify_email"]
    # The account is unchanged: its password still works, the intruder's does not.
    login = {"email": owner.email}
    assert herald.client.post("/v1/auth/login", json=login | {"password": PASSWORD}).is_success
    wrong = herald.client.post(
        "/v1/auth/login", json=login | {"password": "intruder-chosen-pass-31"}
    )
    assert wrong.status_code == 401


def test_unknown_address_and_wrong_password_fail_with_the_same_answer(herald: Herald) -> None:
    account = herald.sign_up()

    wrong_password = herald.client.post(
        "/v1/auth/login", json={"email": account.email, "password": "not-the-password-42"}
    )
    unknown_address = herald.client.post(
        "/v1/auth/login", json={"email": unique_email("nobody"), "password": PASSWORD}
    )

    assert answer(wrong_password) == answer(unknown_address)
    assert wrong_password.status_code == 401
    assert wrong_password.json()["detail"] == "The email address or password is incorrect."
    assert wrong_password.headers["WWW-Authenticate"] == unknown_address.headers["WWW-Authenticate"]


def test_a_reset_request_answers_alike_for_known_and_unknown_addresses(herald: Herald) -> None:
    known = herald.sign_up().email
    unknown = unique_email("nobody")

    for_known = herald.client.post("/v1/auth/password/reset", json={"email": known})
    for_unknown = herald.client.post("/v1/auth/password/reset", json={"email": unknown})

    assert (
        answer(for_known)
        == answer(for_unknown)
        == (
            202,
            "application/json",
            {"detail": CHECK_YOUR_EMAIL},
        )
    )
    assert purposes(known) == ["verify_email", "password_reset"]
    assert emails_to(unknown) == []


def test_a_resend_request_answers_alike_for_unverified_verified_and_unknown_addresses(
    herald: Herald,
) -> None:
    unverified = unique_email("unverified")
    herald.register(unverified)
    verified = herald.sign_up().email
    unknown = unique_email("nobody")

    answers = [
        answer(herald.client.post("/v1/auth/email/verify/resend", json={"email": email}))
        for email in (unverified, verified, unknown)
    ]

    assert answers == [(202, "application/json", {"detail": CHECK_YOUR_EMAIL})] * 3
    assert purposes(unverified) == ["verify_email", "verify_email"]
    assert purposes(verified) == ["verify_email"]
    assert emails_to(unknown) == []


@pytest.mark.parametrize("path", ["/v1/auth/password/reset", "/v1/auth/email/verify/resend"])
def test_the_answer_for_an_unknown_address_waits_for_the_floor(
    herald: Herald, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """For an unknown address there is nothing to do, yet the answer takes as long as the floor,
    so that timing does not tell it from a known one (OWASP Authentication Cheat Sheet)."""
    assert REAL_UNIFORM_ANSWER_SECONDS > 0
    monkeypatch.setattr(accounts, "UNIFORM_ANSWER_SECONDS", REAL_UNIFORM_ANSWER_SECONDS)

    started = time.monotonic()
    response = herald.client.post(path, json={"email": unique_email("nobody")})
    elapsed = time.monotonic() - started

    assert response.status_code == 202
    assert elapsed >= REAL_UNIFORM_ANSWER_SECONDS
