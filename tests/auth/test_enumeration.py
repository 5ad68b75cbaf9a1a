"""No answer tells whether an email address has an account (OWASP Authentication Cheat Sheet,
"Authentication and Error Messages"; OWASP Forgot Password Cheat Sheet, "Forgot Password Request").

Register, resend and reset answer alike for every address, no sooner than a fixed floor and as long
for an address Herald knows as for one it does not; sign-in fails with one message for an unknown
address and a wrong password.
"""

import statistics
import time
from collections.abc import Callable

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


# Each case: the route, and the body for an address Herald knows (the one that does the work:
# an account-exists notice, a reset link, a new verification link) or for one it does not.
TIMED: dict[str, tuple[str, Callable[[str], dict[str, str]]]] = {
    "register": (
        "/v1/auth/register",
        lambda email: {"email": email, "password": "intruder-chosen-pass-31", "name": "Mallory"},
    ),
    "reset": ("/v1/auth/password/reset", lambda email: {"email": email}),
    "resend": ("/v1/auth/email/verify/resend", lambda email: {"email": email}),
}
ROUNDS = 3
# How far apart the typical known and unknown answers may be: well under the work a known
# address costs beyond the floor once timing leaks (register hashes a password: 0.3 s and more).
SPREAD_SECONDS = 0.2


@pytest.mark.parametrize("case", TIMED)
def test_known_and_unknown_addresses_take_the_same_time(
    herald: Herald, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """Both answers wait for the floor, and neither tells itself apart by its time (OWASP
    Authentication Cheat Sheet, "Authentication and Error Messages"): a known address is the
    one that does the work, so it is timed as well as the unknown one, in alternation."""
    assert REAL_UNIFORM_ANSWER_SECONDS > 0
    path, body = TIMED[case]
    known = unique_email("known")
    herald.register(known)  # unverified: resend sends it a new link
    if case != "resend":
        herald.verify(known)
    monkeypatch.setattr(accounts, "UNIFORM_ANSWER_SECONDS", REAL_UNIFORM_ANSWER_SECONDS)

    def timed(email: str) -> float:
        started = time.monotonic()
        response = herald.client.post(path, json=body(email))
        elapsed = time.monotonic() - started
        assert answer(response) == (202, "application/json", {"detail": CHECK_YOUR_EMAIL})
        return elapsed

    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for _ in range(ROUNDS):
        times["known"].append(timed(known))
        times["unknown"].append(timed(unique_email("nobody")))

    assert min(min(each) for each in times.values()) >= REAL_UNIFORM_ANSWER_SECONDS, times
    typical = {kind: statistics.median(each) for kind, each in times.items()}
    assert abs(typical["known"] - typical["unknown"]) <= SPREAD_SECONDS, times
    # The known address did the work each time: it was not answered without doing it.
    expected_mail = {
        "register": "account_exists",
        "reset": "password_reset",
        "resend": "verify_email",
    }
    assert purposes(known)[-ROUNDS:] == [expected_mail[case]] * ROUNDS
