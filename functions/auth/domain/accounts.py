"""Accounts and sessions: register, verify, sign in, refresh, sign out, passwords.

Answers never tell whether an email address has an account: register, resend and reset requests
answer alike (and no faster) either way, and a wrong password and an unknown address fail with
the same message after the same argon2 work.
"""

import asyncio
import math
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.expressions.update import Action
from ulid import ULID

from functions.auth.adapters import limits
from functions.auth.adapters.items import (
    EmailItem,
    OneTimeTokenItem,
    RefreshTokenItem,
    UserItem,
)
from functions.auth.adapters.signer import sign_access_token
from functions.auth.domain import emails, passwords, profiles
from functions.auth.domain.models import (
    LoginRequest,
    PasswordChange,
    PasswordResetConfirm,
    RegisterRequest,
    Session,
    Tokens,
)
from functions.shared import mailer
from functions.shared.auth import UserPrincipal, digest
from functions.shared.identity_items import SessionItem
from functions.shared.problems import (
    BadRequest,
    Forbidden,
    Gone,
    InvalidToken,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from functions.shared.settings import get_settings
from functions.shared.tables import transaction, utc_now

ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
# A session ends after this long without a refresh.
SESSION_IDLE_LIFETIME = timedelta(days=30)
VERIFICATION_LIFETIME = timedelta(hours=24)
RESET_LIFETIME = timedelta(minutes=30)

# Per-IP limits: (attempts, window). Sized for an agency office behind one address.
IP_LIMITS = {
    "login": (30, timedelta(minutes=5)),
    "register": (10, timedelta(hours=1)),
    "password_reset": (10, timedelta(hours=1)),
    "verify_resend": (10, timedelta(hours=1)),
}
# Lockout: from the 5th consecutive failure, 30 s, doubling per failure, at most 15 minutes.
LOCKOUT_THRESHOLD = 5
LOCKOUT_BASE = timedelta(seconds=30)
LOCKOUT_MAX = timedelta(minutes=15)
FAILURES_FORGOTTEN_AFTER = timedelta(hours=24)
# Answers that must not reveal whether an address is known take at least this long.
UNIFORM_ANSWER_SECONDS = 0.6

REFRESH_TOKEN_PREFIX = "hr_"  # noqa: S105 (a prefix, not a secret)
INCORRECT_CREDENTIALS = "The email address or password is incorrect."


def lockout_delay(failures: int) -> timedelta | None:
    if failures < LOCKOUT_THRESHOLD:
        return None
    return min(LOCKOUT_BASE * (1 << (failures - LOCKOUT_THRESHOLD)), LOCKOUT_MAX)


def throttle(action: str, ip_address: str) -> None:
    limit, window = IP_LIMITS[action]
    count, window_end = limits.bump_window(action, ip_address, window)
    if count > limit:
        wait = math.ceil((window_end - utc_now()).total_seconds())
        raise TooManyRequests(
            f"Too many attempts from your network; try again in {wait} seconds.",
            retry_after_seconds=wait,
        )


async def uniformly_timed[T](work: Callable[[], T]) -> T:
    """Run `work` in a thread and answer no sooner than UNIFORM_ANSWER_SECONDS after starting."""
    started = time.monotonic()
    result = await asyncio.to_thread(work)
    await asyncio.sleep(max(0.0, UNIFORM_ANSWER_SECONDS - (time.monotonic() - started)))
    return result


def _one_time_token(user: UserItem, purpose: str, lifetime: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    valid_until = utc_now() + lifetime
    OneTimeTokenItem(
        *OneTimeTokenItem.keys(digest(token), purpose),
        user_id=user.user_id,
        email=user.email,
        valid_until=valid_until,
        expires_at=valid_until,
    ).save()
    return token


def _one_time_token_user(token: str, purpose: str, what: str) -> tuple[OneTimeTokenItem, UserItem]:
    """The unspent, unexpired one-time token and its user, or a 400/410 saying what is wrong.

    A token stops working once the account's address is no longer the one it was sent to, and a
    reset token once the password has changed since it was issued.
    """
    item = OneTimeTokenItem.find_key(*OneTimeTokenItem.keys(digest(token), purpose))
    user = UserItem.find(item.user_id) if item is not None else None
    if item is None or user is None or user.email != item.email:
        raise BadRequest(f"This {what} link is invalid or was already used.")
    if item.valid_until <= utc_now():
        raise Gone(f"This {what} link has expired; ask for a new one.")
    changed = user.password_changed_at
    if purpose == "password_reset" and changed is not None and changed > item.created_at:
        raise Gone(f"This {what} link was issued before the password last changed; ask again.")
    return item, user


def _spend(item: OneTimeTokenItem, what: str) -> None:
    """Use a one-time token up: a delete conditional on the version read, so only one use wins."""
    try:
        item.delete()
    except DeleteError:
        raise BadRequest(f"This {what} link is invalid or was already used.") from None


# Registration and email verification


def register(request: RegisterRequest, ip_address: str) -> None:
    throttle("register", ip_address)
    passwords.check_password_rules(
        request.password, pointer="/body/password", personal=(request.email, request.name)
    )
    password_hash = passwords.hash_password(request.password)
    user_id = str(ULID())
    user = UserItem(
        *UserItem.keys(user_id),
        user_id=user_id,
        email=request.email,
        password_hash=password_hash,
        name=request.name,
        timezone=request.timezone,
        locale=request.locale,
    )
    try:
        with transaction() as write:
            write.save(
                EmailItem(*EmailItem.keys(request.email), user_id=user_id),
                condition=EmailItem.pk.does_not_exist(),
            )
            write.save(user, condition=UserItem.pk.does_not_exist())
    except TransactWriteError:
        existing = _user_by_email(request.email)
        if existing is not None:
            mailer.send(emails.account_exists_email(existing.email, existing.name))
            return
        raise
    _send_verification(user)


def _send_verification(user: UserItem) -> None:
    token = _one_time_token(user, "verify_email", VERIFICATION_LIFETIME)
    hours = int(VERIFICATION_LIFETIME.total_seconds() // 3600)
    mailer.send(emails.verification_email(user.email, user.name, token, hours))


def resend_verification(email: str, ip_address: str) -> None:
    throttle("verify_resend", ip_address)
    user = _user_by_email(email)
    if user is None or user.email_verified:
        return
    _send_verification(user)


def verify_email(token: str) -> None:
    used, user = _one_time_token_user(token, "verify_email", "verification")
    _spend(used, "verification")
    user.update(actions=[UserItem.email_verified.set(True), UserItem.updated_at.set(utc_now())])


# Read in place of the user when an address is unknown, so both cases cost two reads.
_NO_USER_ID = "00000000000000000000000000"


def _user_by_email(email: str) -> UserItem | None:
    entry = EmailItem.find(email)
    user = UserItem.find(entry.user_id if entry is not None else _NO_USER_ID)
    return user if entry is not None else None


# Sign-in and sessions


def login(request: LoginRequest, ip_address: str, user_agent: str | None) -> Tokens:
    throttle("login", ip_address)
    blocked_until = limits.locked_until(request.email)
    if blocked_until is not None:
        _refuse_locked(blocked_until)
    user = _user_by_email(request.email)
    if not passwords.verify_password(user.password_hash if user else None, request.password):
        failures = limits.record_failure(request.email, forget_after=FAILURES_FORGOTTEN_AFTER)
        delay = lockout_delay(failures)
        if delay is not None:
            limits.lock(request.email, utc_now() + delay)
            _refuse_locked(utc_now() + delay)
        raise Unauthorized(INCORRECT_CREDENTIALS)
    assert user is not None  # verify_password is False without a stored hash
    limits.clear_failures(request.email)
    if not user.email_verified:
        raise Forbidden(
            "Confirm your email address first: open the link we emailed you, "
            "or ask for a new one with POST /v1/auth/email/verify/resend."
        )
    if passwords.needs_rehash(user.password_hash):
        user.update(actions=[UserItem.password_hash.set(passwords.hash_password(request.password))])
    return _start_session(user, ip_address, user_agent)


def _refuse_locked(until: datetime) -> None:
    wait = math.ceil((until - utc_now()).total_seconds())
    raise TooManyRequests(
        f"Too many failed sign-ins for this address; try again in {wait} seconds.",
        retry_after_seconds=wait,
    )


def _new_refresh_token(user_id: str, session_id: str, now: datetime) -> tuple[str, Any]:
    token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    item = RefreshTokenItem(
        *RefreshTokenItem.keys(digest(token)),
        user_id=user_id,
        session_id=session_id,
        expires_at=now + SESSION_IDLE_LIFETIME,
    )
    return token, item


def _start_session(user: UserItem, ip_address: str, user_agent: str | None) -> Tokens:
    now = utc_now()
    session_id = str(ULID())
    refresh_token, refresh_item = _new_refresh_token(user.user_id, session_id, now)
    session = SessionItem(
        *SessionItem.keys(user.user_id, session_id),
        user_id=user.user_id,
        session_id=session_id,
        user_agent=(user_agent or "")[:300] or None,
        ip_address=ip_address,
        last_used_at=now,
        expires_at=now + SESSION_IDLE_LIFETIME,
    )
    with transaction() as write:
        write.save(session, condition=SessionItem.pk.does_not_exist())
        write.save(refresh_item, condition=RefreshTokenItem.pk.does_not_exist())
    return _tokens(user, session_id, refresh_token)


def _tokens(user: UserItem, session_id: str, refresh_token: str) -> Tokens:
    settings = get_settings()
    now = int(utc_now().timestamp())
    lifetime = int(ACCESS_TOKEN_LIFETIME.total_seconds())
    access_token = sign_access_token(
        {
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "sub": user.user_id,
            "sid": session_id,
            "iat": now,
            "exp": now + lifetime,
            "jti": str(ULID()),
        }
    )
    return Tokens(
        access_token=access_token,
        expires_in=lifetime,
        refresh_token=refresh_token,
        user=profiles.user_view(user),
    )


def refresh(refresh_token: str) -> Tokens:
    """Swap a refresh token for new tokens. Each token works once; reuse ends its session."""
    presented = RefreshTokenItem.find(digest(refresh_token))
    if presented is None:
        raise Unauthorized("The refresh token is not valid.")
    session = SessionItem.find(presented.user_id, presented.session_id)
    if session is None or session.revoked_at is not None:
        raise Unauthorized("This session has ended; sign in again.")
    if presented.rotated_at is not None:
        _revoke(session)
        raise Unauthorized(
            "This refresh token was already used, so it may have been stolen: the session has "
            "been ended. Sign in again."
        )
    user = UserItem.find(presented.user_id)
    if user is None:
        raise Unauthorized("The refresh token is not valid.")
    now = utc_now()
    new_token, new_item = _new_refresh_token(user.user_id, session.session_id, now)
    try:
        with transaction() as write:
            write.update(
                presented,
                actions=[RefreshTokenItem.rotated_at.set(now)],
                condition=RefreshTokenItem.rotated_at.does_not_exist(),
            )
            write.save(new_item, condition=RefreshTokenItem.pk.does_not_exist())
            write.update(
                session,
                actions=[
                    SessionItem.last_used_at.set(now),
                    SessionItem.expires_at.set(now + SESSION_IDLE_LIFETIME),
                ],
                condition=SessionItem.revoked_at.does_not_exist(),
            )
    except TransactWriteError:
        # Another request rotated this token (or ended the session) first; only it goes through.
        raise Unauthorized("This refresh token was just used by another request.") from None
    return _tokens(user, session.session_id, new_token)


def _revoke(session: SessionItem) -> None:
    if session.revoked_at is None:
        # The item as read carries its version: bump it, without letting a concurrent refresh
        # make the revocation fail (a fresh instance would claim no version exists yet).
        session.update(
            actions=[SessionItem.revoked_at.set(utc_now())],
            condition=SessionItem.pk.exists(),
            add_version_condition=False,
        )


def _live_sessions(user_id: str) -> list[SessionItem]:
    now = utc_now()
    return [
        session
        for session in SessionItem.query(
            SessionItem.keys(user_id, "X")[0],
            SessionItem.sk.startswith("SESSION#"),
            consistent_read=True,
        )
        if session.revoked_at is None and (session.expires_at is None or session.expires_at > now)
    ]


def logout(principal: UserPrincipal) -> None:
    session = SessionItem.find(principal.user_id, principal.session_id)
    if session is not None:
        _revoke(session)


def logout_all(principal: UserPrincipal, *, keep_current: bool = False) -> int:
    ended = 0
    for session in _live_sessions(principal.user_id):
        if keep_current and session.session_id == principal.session_id:
            continue
        _revoke(session)
        ended += 1
    return ended


def list_sessions(principal: UserPrincipal) -> list[Session]:
    return [
        Session(
            id=session.session_id,
            user_agent=session.user_agent,
            ip_address=session.ip_address,
            created_at=session.created_at,
            last_used_at=session.last_used_at,
            current=session.session_id == principal.session_id,
        )
        for session in sorted(
            _live_sessions(principal.user_id), key=lambda s: s.last_used_at, reverse=True
        )
    ]


def end_session(principal: UserPrincipal, session_id: str) -> None:
    session = SessionItem.find(principal.user_id, session_id)
    if session is None or session.revoked_at is not None:
        raise NotFound(f"Session {session_id} was not found.")
    _revoke(session)


# Passwords


def change_password(principal: UserPrincipal, request: PasswordChange) -> None:
    user = _signed_in_user(principal)
    blocked_until = limits.locked_until(user.email)
    if blocked_until is not None:
        _refuse_locked(blocked_until)
    if not passwords.verify_password(user.password_hash, request.current_password):
        failures = limits.record_failure(user.email, forget_after=FAILURES_FORGOTTEN_AFTER)
        delay = lockout_delay(failures)
        if delay is not None:
            limits.lock(user.email, utc_now() + delay)
        raise Forbidden("The current password is incorrect.")
    passwords.check_password_rules(
        request.new_password, pointer="/body/new_password", personal=(user.email, user.name)
    )
    _set_password(user, request.new_password)
    logout_all(principal, keep_current=True)


def request_password_reset(email: str, ip_address: str) -> None:
    throttle("password_reset", ip_address)
    user = _user_by_email(email)
    if user is None:
        return
    token = _one_time_token(user, "password_reset", RESET_LIFETIME)
    mailer.send(
        emails.password_reset_email(
            user.email, user.name, token, int(RESET_LIFETIME.total_seconds() // 60)
        )
    )


def confirm_password_reset(request: PasswordResetConfirm) -> None:
    used, user = _one_time_token_user(request.token, "password_reset", "password reset")
    # Rules first: a refused password leaves the link usable for a better one.
    passwords.check_password_rules(
        request.new_password, pointer="/body/new_password", personal=(user.email, user.name)
    )
    _spend(used, "password reset")
    # Following the link proves the inbox is theirs, which is what verification asks.
    _set_password(user, request.new_password, verified=True)
    for session in _live_sessions(user.user_id):
        _revoke(session)
    limits.clear_failures(user.email)


def _set_password(user: UserItem, password: str, *, verified: bool = False) -> None:
    now = utc_now()
    actions: list[Action] = [
        UserItem.password_hash.set(passwords.hash_password(password)),
        UserItem.password_changed_at.set(now),
        UserItem.updated_at.set(now),
    ]
    if verified:
        actions.append(UserItem.email_verified.set(True))
    user.update(actions=actions)


def _signed_in_user(principal: UserPrincipal) -> UserItem:
    user = UserItem.find(principal.user_id)
    if user is None:
        raise InvalidToken("This account no longer exists.")
    return user
