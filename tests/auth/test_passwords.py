"""Passwords over HTTP: the rules, the stored hash, changing, resetting, and email verification.

Rules per NIST SP 800-63B section 3.1.1.2 (length, blocklist, no composition rules); storage per the
OWASP Password Storage Cheat Sheet (argon2id, m=19 MiB, t=2, p=1); reset per the OWASP Forgot
Password Cheat Sheet (single-use, expiring token; same answer for every address).
"""

from datetime import UTC, datetime, timedelta
from email.message import Message

import httpx
import pytest
import time_machine

from functions.auth.adapters.items import EmailItem, UserItem
from tests.support.auth_world import (
    PASSWORD,
    Account,
    Herald,
    emails_to,
    link_token,
    unique_email,
)

NEW_PASSWORD = "amber-lantern-quarry-97"
INCORRECT = "The email address or password is incorrect."
ACCESS_SESSION_ENDED = "The session of this access token has ended; sign in again."
SESSION_ENDED = "This session has ended; sign in again."
CONFIRM_FIRST = (
    "Confirm your email address first: open the link we emailed you, "
    "or ask for a new one with POST /v1/auth/email/verify/resend."
)


def login(herald: Herald, email: str, password: str = PASSWORD) -> httpx.Response:
    response: httpx.Response = herald.client.post(
        "/v1/auth/login", json={"email": email, "password": password}
    )
    return response


def me(herald: Herald, account: Account) -> httpx.Response:
    response: httpx.Response = herald.client.get("/v1/me", headers=account.headers)
    return response


def refresh(herald: Herald, account: Account) -> httpx.Response:
    response: httpx.Response = herald.client.post(
        "/v1/auth/refresh", json={"refresh_token": account.refresh_token}
    )
    return response


def messages(email: str, purpose: str) -> list[Message]:
    return [m for m in emails_to(email) if m["X-Herald-Purpose"] == purpose]


def text(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    return body.decode()


def reset_token(herald: Herald, email: str) -> str:
    response = herald.client.post("/v1/auth/password/reset", json={"email": email})
    assert response.status_code == 202, response.text
    return link_token(messages(email, "password_reset")[-1])


def confirm_reset(herald: Herald, token: str, password: str = NEW_PASSWORD) -> httpx.Response:
    response: httpx.Response = herald.client.post(
        "/v1/auth/password/reset/confirm", json={"token": token, "new_password": password}
    )
    return response


def verify(herald: Herald, token: str) -> httpx.Response:
    response: httpx.Response = herald.client.post("/v1/auth/email/verify", json={"token": token})
    return response


def assert_problem(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["detail"] == detail


# The rules


@pytest.mark.parametrize(
    ("password", "code", "detail"),
    [
        ("Kx7#qz!m2", "password_too_short", "Use at least 10 characters."),
        (
            "qwertyuiop",
            "password_common",
            "This is one of the most common passwords; choose another.",
        ),
        (
            "password123",
            "password_common",
            "This is one of the most common passwords; choose another.",
        ),
        (
            "aaaaaaaaaaaa",
            "password_weak",
            'Repeats like "aaa" are easy to guess. Add another word or two. Uncommon words are '
            "better. Avoid repeated words and characters.",
        ),
        ("Kx7#qz!m2R" * 25 + "abcdefg", "password_too_long", "Use at most 256 characters."),
    ],
    ids=["too_short", "common", "common_with_digits", "weak", "too_long"],
)
def test_a_password_breaking_a_rule_is_422_with_pointer_and_code(
    herald: Herald, password: str, code: str, detail: str
) -> None:
    """NIST SP 800-63B section 3.1.1.2: at least 10 characters here, a generous maximum, and no
    common or easily guessed password; the answer says which rule failed."""
    email = unique_email()

    response = herald.client.post(
        "/v1/auth/register", json={"email": email, "password": password, "name": "Ada"}
    )

    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == "The password does not meet the rules."
    assert body["errors"] == [{"pointer": "/body/password", "detail": detail, "code": code}]
    assert emails_to(email) == []


def test_a_password_made_of_the_users_own_email_is_refused(herald: Herald) -> None:
    """NIST SP 800-63B section 3.1.1.2: context-specific words (here the address) are refused."""
    email = unique_email("ada.lovelace")

    response = herald.client.post(
        "/v1/auth/register", json={"email": email, "password": email, "name": "Ada Lovelace"}
    )

    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/body/password", "password_personal")
    ]


def test_a_password_beyond_the_body_limit_is_a_plain_validation_error(herald: Herald) -> None:
    response = herald.client.post(
        "/v1/auth/register",
        json={"email": unique_email(), "password": "k" * 1025, "name": "Ada"},
    )

    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/body/password", "string_too_long")
    ]


def test_passwords_are_stored_as_salted_argon2id_with_owasp_parameters(herald: Herald) -> None:
    """OWASP Password Storage Cheat Sheet: argon2id with m=19 MiB, t=2, p=1, salted per user."""
    account = herald.sign_up()
    twin = unique_email("twin")
    herald.register(twin)  # the same password

    user = UserItem.find(account.user_id)
    assert user is not None
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in user.password_hash
    twin_entry = EmailItem.find(twin)
    assert twin_entry is not None
    twin_item = UserItem.find(twin_entry.user_id)
    assert twin_item is not None
    assert twin_item.password_hash != user.password_hash


# Changing the password


def test_changing_the_password_needs_the_current_one(herald: Herald) -> None:
    account = herald.sign_up()

    response = herald.client.post(
        "/v1/auth/password/change",
        json={"current_password": "not-my-password-9", "new_password": NEW_PASSWORD},
        headers=account.headers,
    )

    assert_problem(response, 403, "The current password is incorrect.")
    assert login(herald, account.email).status_code == 200
    assert login(herald, account.email, NEW_PASSWORD).status_code == 401


def test_the_new_password_must_meet_the_rules(herald: Herald) -> None:
    account = herald.sign_up()

    response = herald.client.post(
        "/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": "qwertyuiop"},
        headers=account.headers,
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "pointer": "/body/new_password",
            "detail": "This is one of the most common passwords; choose another.",
            "code": "password_common",
        }
    ]
    assert login(herald, account.email).status_code == 200


def test_changing_the_password_ends_every_other_session_but_keeps_this_one(
    herald: Herald,
) -> None:
    """OWASP Session Management Cheat Sheet: a password change invalidates the other sessions."""
    account = herald.sign_up()
    other = login(herald, account.email).json()
    other_device = Account(
        email=account.email,
        user_id=account.user_id,
        access_token=other["access_token"],
        refresh_token=other["refresh_token"],
        headers={"Authorization": f"Bearer {other['access_token']}"},
    )

    response = herald.client.post(
        "/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=account.headers,
    )

    assert response.status_code == 204
    assert me(herald, account).status_code == 200
    assert refresh(herald, account).status_code == 200
    assert_problem(me(herald, other_device), 401, ACCESS_SESSION_ENDED)
    assert_problem(refresh(herald, other_device), 401, SESSION_ENDED)
    assert_problem(login(herald, account.email), 401, INCORRECT)
    assert login(herald, account.email, NEW_PASSWORD).status_code == 200


# Resetting the password


def test_a_reset_link_sets_a_new_password_and_ends_every_session(herald: Herald) -> None:
    account = herald.sign_up()
    token = reset_token(herald, account.email)
    email = messages(account.email, "password_reset")[-1]
    assert email["Subject"] == "Reset your Herald password"
    assert f"http://localhost:3000/reset-password?token={token}" in text(email)

    response = confirm_reset(herald, token)

    assert response.status_code == 204
    assert_problem(me(herald, account), 401, ACCESS_SESSION_ENDED)
    assert_problem(refresh(herald, account), 401, SESSION_ENDED)
    assert_problem(login(herald, account.email), 401, INCORRECT)
    assert login(herald, account.email, NEW_PASSWORD).status_code == 200


def test_a_reset_link_works_once(herald: Herald) -> None:
    """OWASP Forgot Password Cheat Sheet: the token is single-use."""
    account = herald.sign_up()
    token = reset_token(herald, account.email)
    assert confirm_reset(herald, token).status_code == 204

    again = confirm_reset(herald, token, "second-attempt-password-55")

    assert_problem(again, 400, "This password reset link is invalid or was already used.")
    assert login(herald, account.email, NEW_PASSWORD).status_code == 200
    assert login(herald, account.email, "second-attempt-password-55").status_code == 401


def test_a_reset_link_expires_after_30_minutes(herald: Herald) -> None:
    """OWASP Forgot Password Cheat Sheet: the token expires after a short time."""
    account = herald.sign_up()
    token = reset_token(herald, account.email)

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=30, seconds=5)):
        response = confirm_reset(herald, token)

    assert_problem(response, 410, "This password reset link has expired; ask for a new one.")
    assert login(herald, account.email).status_code == 200


def test_a_reset_link_still_works_just_before_it_expires(herald: Herald) -> None:
    account = herald.sign_up()
    token = reset_token(herald, account.email)

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=29)):
        response = confirm_reset(herald, token)

    assert response.status_code == 204


def test_a_refused_new_password_leaves_the_reset_link_usable(herald: Herald) -> None:
    account = herald.sign_up()
    token = reset_token(herald, account.email)

    refused = confirm_reset(herald, token, "password123")

    assert refused.status_code == 422
    assert confirm_reset(herald, token).status_code == 204
    assert login(herald, account.email, NEW_PASSWORD).status_code == 200


def test_a_reset_link_dies_when_the_password_changes_after_it_was_sent(herald: Herald) -> None:
    """OWASP Forgot Password Cheat Sheet: a password change invalidates outstanding reset links."""
    account = herald.sign_up()
    older = reset_token(herald, account.email)
    newer = reset_token(herald, account.email)
    assert confirm_reset(herald, newer).status_code == 204

    response = confirm_reset(herald, older, "second-attempt-password-55")

    assert_problem(
        response,
        410,
        "This password reset link was issued before the password last changed; ask again.",
    )
    assert login(herald, account.email, NEW_PASSWORD).status_code == 200


def test_a_made_up_reset_token_is_400(herald: Herald) -> None:
    response = confirm_reset(herald, "not-a-real-token-at-all")

    assert_problem(response, 400, "This password reset link is invalid or was already used.")


# Email verification


def test_signing_in_before_verifying_the_address_is_403_with_the_way_out(herald: Herald) -> None:
    """The 403 comes only with the right password: a wrong one is the usual 401."""
    email = unique_email()
    herald.register(email)

    assert_problem(login(herald, email), 403, CONFIRM_FIRST)
    assert_problem(login(herald, email, "wrong-password-77"), 401, INCORRECT)


def test_the_verification_link_works_once(herald: Herald) -> None:
    email = unique_email()
    herald.register(email)
    token = link_token(messages(email, "verify_email")[-1])
    assert f"http://localhost:3000/verify-email?token={token}" in text(
        messages(email, "verify_email")[-1]
    )

    assert verify(herald, token).status_code == 204
    assert login(herald, email).status_code == 200
    assert_problem(
        verify(herald, token), 400, "This verification link is invalid or was already used."
    )


def test_the_verification_link_expires_after_24_hours(herald: Herald) -> None:
    email = unique_email()
    herald.register(email)
    token = link_token(messages(email, "verify_email")[-1])

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=24, seconds=5)):
        response = verify(herald, token)
        assert_problem(login(herald, email), 403, CONFIRM_FIRST)

    assert_problem(response, 410, "This verification link has expired; ask for a new one.")


def test_resending_the_verification_link_sends_a_fresh_working_one(herald: Herald) -> None:
    email = unique_email()
    herald.register(email)
    first = link_token(messages(email, "verify_email")[-1])

    response = herald.client.post("/v1/auth/email/verify/resend", json={"email": email})

    assert response.status_code == 202
    sent = messages(email, "verify_email")
    assert len(sent) == 2
    fresh = link_token(sent[-1])
    assert fresh != first
    assert verify(herald, fresh).status_code == 204
    assert login(herald, email).status_code == 200
    # A verified address gets no more verification emails.
    herald.client.post("/v1/auth/email/verify/resend", json={"email": email})
    assert len(messages(email, "verify_email")) == 2


def test_a_reset_link_also_confirms_the_address(herald: Herald) -> None:
    """Following a link emailed to the address proves the inbox, as verification would."""
    email = unique_email()
    herald.register(email)
    token = reset_token(herald, email)

    assert confirm_reset(herald, token).status_code == 204

    assert login(herald, email, NEW_PASSWORD).status_code == 200
