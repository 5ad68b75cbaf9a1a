"""Sessions: refresh-token rotation and reuse detection, sign-out, the device list, lockout and
per-IP throttles.

Refresh tokens follow the OAuth 2.0 Security BCP (RFC 9700 section 4.14.2): single-use, rotated on
every refresh, stored hashed, and presenting a spent one revokes the whole family (the session).
"""

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import jwt
import pytest
import time_machine
from botocore.awsrequest import AWSPreparedRequest
from fastapi.testclient import TestClient
from moto.core.botocore_stubber import BotocoreStubber
from ulid import ULID

from functions.auth.domain import accounts
from functions.auth.domain.models import Tokens
from functions.shared.problems import Unauthorized
from functions.shared.settings import get_settings
from functions.shared.tables import transaction
from tests.support.auth_world import PASSWORD, Account, Herald, emails_to, unique_email

REUSED = (
    "This refresh token was already used, so it may have been stolen: the session has "
    "been ended. Sign in again."
)
SESSION_ENDED = "This session has ended; sign in again."
ACCESS_SESSION_ENDED = "The session of this access token has ended; sign in again."
INCORRECT = "The email address or password is incorrect."
# A moment at the start of an hour (and so of every throttle window), for window-exact tests.
WINDOW_START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


@contextmanager
def client_at(ip_address: str) -> Iterator[TestClient]:
    """Another caller of the auth app, at its own network address."""
    from functions.auth.app import app

    with TestClient(app, client=(ip_address, 50000)) as client:
        yield client


def refresh(client: TestClient, refresh_token: str) -> httpx.Response:
    response: httpx.Response = client.post(
        "/v1/auth/refresh", json={"refresh_token": refresh_token}
    )
    return response


def me(client: TestClient, access_token: str) -> httpx.Response:
    response: httpx.Response = client.get(
        "/v1/me", headers={"Authorization": f"Bearer {access_token}"}
    )
    return response


def login(
    client: TestClient, email: str, password: str = PASSWORD, user_agent: str = "testclient"
) -> httpx.Response:
    response: httpx.Response = client.post(
        "/v1/auth/login",
        json={"email": email, "password": password},
        headers={"User-Agent": user_agent},
    )
    return response


def second_session(herald: Herald, account: Account, user_agent: str = "testclient") -> Account:
    """The same user signed in on another device."""
    response = login(herald.client, account.email, user_agent=user_agent)
    assert response.status_code == 200, response.text
    body = response.json()
    return Account(
        email=account.email,
        user_id=account.user_id,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )


def session_id(access_token: str) -> str:
    return str(jwt.decode(access_token, options={"verify_signature": False})["sid"])


def assert_401(response: httpx.Response, detail: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["detail"] == detail
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# Refresh rotation and reuse


def test_refresh_returns_new_tokens_and_spends_the_old_refresh_token(herald: Herald) -> None:
    """RFC 9700 section 4.14.2: the refresh token is rotated on use and the old one is spent."""
    account = herald.sign_up()

    first = refresh(herald.client, account.refresh_token)

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["user"]["id"] == account.user_id
    assert body["refresh_token"].startswith("hr_")
    assert body["refresh_token"] != account.refresh_token
    assert body["access_token"] != account.access_token
    assert session_id(body["access_token"]) == session_id(account.access_token)
    assert me(herald.client, body["access_token"]).json()["id"] == account.user_id
    # The new refresh token rotates in turn; the spent one is refused.
    assert refresh(herald.client, body["refresh_token"]).status_code == 200
    assert_401(refresh(herald.client, account.refresh_token), REUSED)


def test_reusing_a_rotated_refresh_token_ends_the_whole_family(herald: Herald) -> None:
    """RFC 9700 section 4.14.2: a spent refresh token presented again (a replay, perhaps by a
    thief) revokes the family: the newest refresh token and the session's access tokens die.
    The user's other sessions are untouched."""
    account = herald.sign_up()
    other_device = second_session(herald, account)
    rotated = refresh(herald.client, account.refresh_token).json()

    assert_401(refresh(herald.client, account.refresh_token), REUSED)

    assert_401(refresh(herald.client, rotated["refresh_token"]), SESSION_ENDED)
    assert_401(me(herald.client, rotated["access_token"]), ACCESS_SESSION_ENDED)
    assert_401(me(herald.client, account.access_token), ACCESS_SESSION_ENDED)
    assert me(herald.client, other_device.access_token).status_code == 200
    assert refresh(herald.client, other_device.refresh_token).status_code == 200


def test_an_unknown_refresh_token_is_401(herald: Herald) -> None:
    assert_401(refresh(herald.client, "hr_" + "A" * 43), "The refresh token is not valid.")


def _one_aws_request_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies each request atomically; moto does not when called from two threads (a
    transaction snapshots and restores whole tables), so serialise moto's request handling."""
    lock = threading.Lock()
    handle = BotocoreStubber.process_request

    def atomic(self: BotocoreStubber, request: AWSPreparedRequest) -> Any:
        with lock:
            return handle(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", atomic)


def test_two_concurrent_refreshes_of_one_token_let_exactly_one_through(
    herald: Herald, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RFC 9700 section 4.14.2: a refresh token is single-use even under a race. Both requests
    read the unspent token before either writes (a barrier holds them at the write); the
    conditional write lets one rotate it and refuses the other, which writes nothing."""
    account = herald.sign_up()
    _one_aws_request_at_a_time(monkeypatch)
    both_have_read = threading.Barrier(2, timeout=30)

    def after_both_have_read() -> Any:
        both_have_read.wait()
        return transaction()

    monkeypatch.setattr(accounts, "transaction", after_both_have_read)

    def attempt() -> Tokens | Unauthorized:
        try:
            return accounts.refresh(account.refresh_token)
        except Unauthorized as refused:
            return refused

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = [future.result() for future in [pool.submit(attempt) for _ in range(2)]]

    issued = [outcome for outcome in outcomes if isinstance(outcome, Tokens)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Unauthorized)]
    assert len(issued) == 1
    assert [problem.detail for problem in refused] == [
        "This refresh token was just used by another request."
    ]
    # One rotation only: the spent token and the winner's, no second successor.
    family = [
        item
        for item in _scan()
        if item["SK"]["S"] == "REFRESH"
        and item["session_id"]["S"] == session_id(issued[0].access_token)
    ]
    assert sorted(item["PK"]["S"] for item in family) == sorted(
        f"REFRESH#{sha256_hex(token)}" for token in (account.refresh_token, issued[0].refresh_token)
    )


def sha256_hex(token: str) -> str:
    """The digest as RFC 9700 and OWASP describe it, computed here, not by the code under test."""
    return hashlib.sha256(token.encode()).hexdigest()


def _scan() -> list[dict[str, Any]]:
    dynamodb = boto3.client("dynamodb", region_name=get_settings().region)
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=get_settings().table_name):
        items.extend(page["Items"])
    return items


def test_refresh_tokens_are_stored_only_as_digests(herald: Herald) -> None:
    """RFC 9700 section 4.14.2 and the OWASP Session Management Cheat Sheet: a refresh token is a
    credential, so the table holds only its SHA-256 digest, never the token itself."""
    account = herald.sign_up()
    rotated = refresh(herald.client, account.refresh_token).json()["refresh_token"]

    stored = json.dumps(_scan())

    for token in (account.refresh_token, rotated):
        secret = token.removeprefix("hr_")
        assert secret not in stored
        assert f"REFRESH#{sha256_hex(token)}" in stored


# Sign-out and the device list


def test_logout_ends_this_session_only(herald: Herald) -> None:
    account = herald.sign_up()
    other_device = second_session(herald, account)

    response = herald.client.post("/v1/auth/logout", headers=account.headers)

    assert response.status_code == 204
    assert_401(me(herald.client, account.access_token), ACCESS_SESSION_ENDED)
    assert_401(refresh(herald.client, account.refresh_token), SESSION_ENDED)
    assert me(herald.client, other_device.access_token).status_code == 200
    assert refresh(herald.client, other_device.refresh_token).status_code == 200


def test_logout_all_ends_every_session_including_this_one(herald: Herald) -> None:
    account = herald.sign_up()
    other_device = second_session(herald, account)
    stranger = herald.sign_up("stranger")

    response = herald.client.post("/v1/auth/logout-all", headers=account.headers)

    assert response.status_code == 204
    for device in (account, other_device):
        assert_401(me(herald.client, device.access_token), ACCESS_SESSION_ENDED)
        assert_401(refresh(herald.client, device.refresh_token), SESSION_ENDED)
    assert me(herald.client, stranger.access_token).status_code == 200
    # Signing in again starts a fresh, working session.
    assert login(herald.client, account.email).status_code == 200


def test_sessions_lists_my_devices_most_recently_used_first_and_marks_this_one(
    herald: Herald,
) -> None:
    """OWASP Session Management Cheat Sheet: users can see their active sessions."""
    account = herald.sign_up()
    with client_at("198.51.100.23") as office:
        response = login(office, account.email, user_agent="Firefox/140.0 (office)")
        phone = response.json()
    # Refreshing the first session makes it the most recently used.
    laptop = refresh(herald.client, account.refresh_token).json()

    listed = herald.client.get(
        "/v1/auth/sessions", headers={"Authorization": f"Bearer {laptop['access_token']}"}
    )

    assert listed.status_code == 200
    sessions = listed.json()
    assert [(s["id"], s["current"]) for s in sessions] == [
        (session_id(laptop["access_token"]), True),
        (session_id(phone["access_token"]), False),
    ]
    assert sessions[0]["user_agent"] == "testclient"
    assert (sessions[1]["user_agent"], sessions[1]["ip_address"]) == (
        "Firefox/140.0 (office)",
        "198.51.100.23",
    )
    assert sessions[0]["last_used_at"] > sessions[1]["last_used_at"]
    # The other device sees the same two, with itself as current.
    theirs = herald.client.get(
        "/v1/auth/sessions", headers={"Authorization": f"Bearer {phone['access_token']}"}
    ).json()
    assert [(s["id"], s["current"]) for s in theirs] == [
        (session_id(laptop["access_token"]), False),
        (session_id(phone["access_token"]), True),
    ]


def test_ending_one_session_by_id_signs_that_device_out(herald: Herald) -> None:
    account = herald.sign_up()
    other_device = second_session(herald, account, user_agent="lost phone")
    lost = session_id(other_device.access_token)

    response = herald.client.delete(f"/v1/auth/sessions/{lost}", headers=account.headers)

    assert response.status_code == 204
    assert_401(me(herald.client, other_device.access_token), ACCESS_SESSION_ENDED)
    assert_401(refresh(herald.client, other_device.refresh_token), SESSION_ENDED)
    remaining = herald.client.get("/v1/auth/sessions", headers=account.headers).json()
    assert [s["id"] for s in remaining] == [session_id(account.access_token)]
    # Ending it again, or a session that never existed, is 404.
    again = herald.client.delete(f"/v1/auth/sessions/{lost}", headers=account.headers)
    assert (again.status_code, again.json()["detail"]) == (404, f"Session {lost} was not found.")
    unknown = str(ULID())
    missing = herald.client.delete(f"/v1/auth/sessions/{unknown}", headers=account.headers)
    assert (missing.status_code, missing.json()["detail"]) == (
        404,
        f"Session {unknown} was not found.",
    )


def test_another_users_session_cannot_be_ended(herald: Herald) -> None:
    """A session id of someone else is simply not found among mine (no cross-user revocation)."""
    account = herald.sign_up()
    stranger = herald.sign_up("stranger")
    theirs = session_id(stranger.access_token)

    response = herald.client.delete(f"/v1/auth/sessions/{theirs}", headers=account.headers)

    assert (response.status_code, response.json()["detail"]) == (
        404,
        f"Session {theirs} was not found.",
    )
    assert me(herald.client, stranger.access_token).status_code == 200


# Lockout (OWASP Authentication Cheat Sheet, "Account Lockout"; NIST SP 800-63B section 5.2.2)


def assert_locked_for(response: httpx.Response, seconds: int) -> None:
    """429 with Retry-After: the lock's remaining seconds, plus up to one second of margin."""
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert seconds <= retry_after <= seconds + 1
    assert response.json()["detail"] == (
        f"Too many failed sign-ins for this address; try again in {retry_after} seconds."
    )


def test_five_failures_lock_the_address_with_a_growing_delay(herald: Herald) -> None:
    account = herald.sign_up()
    with time_machine.travel(datetime.now(UTC), tick=True) as clock:
        for _ in range(4):
            assert_401(login(herald.client, account.email, "wrong-password-1"), INCORRECT)
        assert_locked_for(login(herald.client, account.email, "wrong-password-1"), 30)
        # While locked even the right password is refused, without being checked.
        locked = login(herald.client, account.email)
        assert locked.status_code == 429
        assert 1 <= int(locked.headers["Retry-After"]) <= 31

        clock.shift(timedelta(seconds=31))
        # The next failure locks again, for twice as long.
        assert_locked_for(login(herald.client, account.email, "wrong-password-1"), 60)
        clock.shift(timedelta(seconds=31))
        assert login(herald.client, account.email).status_code == 429

        clock.shift(timedelta(seconds=30))
        assert login(herald.client, account.email).status_code == 200
        # The success cleared the count: one failure is just a failure again.
        assert_401(login(herald.client, account.email, "wrong-password-1"), INCORRECT)


def test_an_unknown_address_locks_exactly_like_a_known_one(herald: Herald) -> None:
    """OWASP Authentication Cheat Sheet: lockout must not reveal which addresses have accounts."""
    known = herald.sign_up().email
    unknown = unique_email("nobody")

    def answers(email: str) -> list[tuple[int, str, str | None]]:
        seen = []
        for _ in range(6):
            response = login(herald.client, email, "wrong-password-1")
            seen.append(
                (
                    response.status_code,
                    response.json()["detail"],
                    response.headers.get("Retry-After"),
                )
            )
        return seen

    with time_machine.travel(datetime.now(UTC), tick=False):
        for_known, for_unknown = answers(known), answers(unknown)

    assert for_known == for_unknown
    assert [status for status, _, _ in for_unknown] == [401, 401, 401, 401, 429, 429]
    # The 30 s lock, rounded up to whole seconds (the clock stands still here).
    assert for_unknown[4][2] == "30"


# Per-IP throttles (OWASP Authentication Cheat Sheet, "Protect against automated attacks")


def test_the_31st_login_from_one_address_within_5_minutes_is_429(herald: Herald) -> None:
    account = herald.sign_up()
    with (
        time_machine.travel(WINDOW_START, tick=True),
        client_at("203.0.113.7") as crowded,
        client_at("203.0.113.8") as elsewhere,
    ):
        for _ in range(30):  # different unknown addresses, so that no address lockout kicks in
            assert_401(login(crowded, unique_email("guess"), "wrong-password-1"), INCORRECT)

        throttled = login(crowded, account.email)

        assert throttled.status_code == 429
        retry_after = int(throttled.headers["Retry-After"])
        assert 0 < retry_after <= 300
        assert throttled.json()["detail"] == (
            f"Too many attempts from your network; try again in {retry_after} seconds."
        )
        assert login(elsewhere, account.email).status_code == 200


def _register_body(email: str) -> dict[str, str]:
    return {"email": email, "password": PASSWORD, "name": "Flood"}


def _email_body(email: str) -> dict[str, str]:
    return {"email": email}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/auth/register", _register_body),
        ("/v1/auth/password/reset", _email_body),
        ("/v1/auth/email/verify/resend", _email_body),
    ],
)
def test_register_reset_and_resend_allow_10_per_hour_from_one_address(
    herald: Herald, path: str, body: Callable[[str], dict[str, str]]
) -> None:
    """Each sends email, so each is throttled per IP; the 11th in an hour sends nothing."""
    with time_machine.travel(WINDOW_START, tick=True), client_at("203.0.113.9") as crowded:
        for _ in range(10):
            assert crowded.post(path, json=body(unique_email("flood"))).status_code == 202
        last = unique_email("flood")

        throttled = crowded.post(path, json=body(last))

        assert throttled.status_code == 429
        retry_after = int(throttled.headers["Retry-After"])
        assert 0 < retry_after <= 3600
        assert throttled.json()["detail"] == (
            f"Too many attempts from your network; try again in {retry_after} seconds."
        )
        assert emails_to(last) == []
        assert herald.client.post(path, json=body(last)).status_code == 202


def test_a_session_id_that_is_not_an_id_is_a_validation_error(herald: Herald) -> None:
    account = herald.sign_up()

    response = herald.client.delete("/v1/auth/sessions/abc%23def", headers=account.headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/path/session_id"


def test_a_refused_password_or_refresh_token_gets_a_bare_challenge(herald: Herald) -> None:
    """RFC 6750 section 3.1: `error="invalid_token"` is about a bearer token the request
    presented; a wrong password or a refresh token in the body presents none."""
    account = herald.sign_up()

    wrong_password = login(herald.client, account.email, "not-the-password-42")
    unknown_refresh = refresh(herald.client, "hr_" + "A" * 43)

    for refused in (wrong_password, unknown_refresh):
        assert refused.status_code == 401, refused.text
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    # A presented access token that fails still says so.
    assert me(herald.client, "not-a-token").headers["WWW-Authenticate"] == (
        'Bearer error="invalid_token"'
    )
