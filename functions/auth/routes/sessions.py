"""Sign-up, sign-in, sessions, passwords and the public keys that verify access tokens."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from starlette.concurrency import run_in_threadpool

from functions.auth.domain.models import (
    Accepted,
    EmailRequest,
    Jwks,
    LoginRequest,
    PasswordChange,
    PasswordResetConfirm,
    RefreshRequest,
    RegisterRequest,
    Session,
    TokenRequest,
    Tokens,
)
from functions.auth.routes.requests import client_ip, user_agent
from functions.shared.access import ID_PATTERN
from functions.shared.auth import public_jwks
from functions.shared.http.dependencies import (
    CurrentUser,
)

router = APIRouter(prefix="/v1/auth", tags=["auth"])
NO_CONTENT = status.HTTP_204_NO_CONTENT

CHECK_YOUR_EMAIL = "If the address can receive email, a message with the next step is on its way."


@router.post("/register", status_code=status.HTTP_202_ACCEPTED)
async def register(body: RegisterRequest, request: Request) -> Accepted:
    """Create an account; a verification link is emailed. The answer is the same for an
    address that already has an account (its owner is told by email instead)."""
    from functions.auth.domain import accounts

    await accounts.uniformly_timed(lambda: accounts.register(body, client_ip(request)))
    return Accepted(detail=CHECK_YOUR_EMAIL)


@router.post("/email/verify", status_code=NO_CONTENT)
async def verify_email(body: TokenRequest) -> None:
    """Confirm an email address with the token from the verification link."""
    from functions.auth.domain import accounts

    await run_in_threadpool(accounts.verify_email, body.token)


@router.post(
    "/email/verify/resend", status_code=status.HTTP_202_ACCEPTED, name="resend_verification_email"
)
async def resend_verification(body: EmailRequest, request: Request) -> Accepted:
    from functions.auth.domain import accounts

    await accounts.uniformly_timed(
        lambda: accounts.resend_verification(body.email, client_ip(request))
    )
    return Accepted(detail=CHECK_YOUR_EMAIL)


@router.post("/login")
async def login(body: LoginRequest, request: Request) -> Tokens:
    """Sign in: an access token (15 minutes) and a single-use refresh token."""
    from functions.auth.domain import accounts

    return await run_in_threadpool(accounts.login, body, client_ip(request), user_agent(request))


@router.post("/refresh", name="refresh_tokens")
async def refresh(body: RefreshRequest) -> Tokens:
    """Swap a refresh token for new tokens. Reusing a spent refresh token ends its session."""
    from functions.auth.domain import accounts

    return await run_in_threadpool(accounts.refresh, body.refresh_token)


@router.post("/logout", status_code=NO_CONTENT)
async def logout(principal: CurrentUser) -> None:
    """End this session: its refresh token and access tokens stop working at once."""
    from functions.auth.domain import accounts

    await run_in_threadpool(accounts.logout, principal)


@router.post("/logout-all", status_code=NO_CONTENT)
async def logout_all(principal: CurrentUser) -> None:
    """End every session of this user, this one included."""
    from functions.auth.domain import accounts

    await run_in_threadpool(accounts.logout_all, principal)


@router.get("/sessions")
async def list_sessions(principal: CurrentUser) -> list[Session]:
    """The devices signed in to this account, most recently used first."""
    from functions.auth.domain import accounts

    return await run_in_threadpool(accounts.list_sessions, principal)


@router.delete("/sessions/{session_id}", status_code=NO_CONTENT)
async def end_session(
    principal: CurrentUser, session_id: Annotated[str, Path(pattern=ID_PATTERN)]
) -> None:
    from functions.auth.domain import accounts

    await run_in_threadpool(accounts.end_session, principal, session_id)


@router.post("/password/change", status_code=NO_CONTENT)
async def change_password(principal: CurrentUser, body: PasswordChange) -> None:
    """Change the password; every other session is ended."""
    from functions.auth.domain import accounts

    await run_in_threadpool(accounts.change_password, principal, body)


@router.post("/password/reset", status_code=status.HTTP_202_ACCEPTED)
async def request_password_reset(body: EmailRequest, request: Request) -> Accepted:
    """Email a single-use reset link (30 minutes). Same answer for unknown addresses."""
    from functions.auth.domain import accounts

    await accounts.uniformly_timed(
        lambda: accounts.request_password_reset(body.email, client_ip(request))
    )
    return Accepted(detail=CHECK_YOUR_EMAIL)


@router.post("/password/reset/confirm", status_code=NO_CONTENT)
async def confirm_password_reset(body: PasswordResetConfirm) -> None:
    """Set a new password with the reset token; every session is ended."""
    from functions.auth.domain import accounts

    await run_in_threadpool(accounts.confirm_password_reset, body)


@router.get("/.well-known/jwks.json", name="get_jwks")
async def jwks(response: Response) -> Jwks:
    """Public keys that verify Herald's access tokens (RFC 7517)."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return Jwks.model_validate(await run_in_threadpool(public_jwks))
