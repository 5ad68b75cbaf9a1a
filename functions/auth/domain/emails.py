"""The identity group's emails: plain text, one clear action each, and why you got it."""

from urllib.parse import urlencode

from functions.shared.mailer import Email
from functions.shared.settings import get_settings


def _link(path: str, token: str) -> str:
    return f"{get_settings().dashboard_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def verification_email(to: str, name: str, token: str, valid_hours: int) -> Email:
    return Email(
        to=to,
        purpose="verify_email",
        subject="Confirm your email address for Herald",
        body=(
            f"Hello {name},\n\n"
            "Please confirm that this is your email address by opening this link:\n\n"
            f"{_link('/verify-email', token)}\n\n"
            f"The link works once and expires in {valid_hours} hours.\n"
            "If you did not create a Herald account, ignore this email; nothing will happen.\n"
        ),
    )


def account_exists_email(to: str, name: str) -> Email:
    return Email(
        to=to,
        purpose="account_exists",
        subject="Someone tried to create a Herald account with your email address",
        body=(
            f"Hello {name},\n\n"
            "Someone tried to create a new Herald account with this email address, which\n"
            "already has one. If it was you, sign in instead, or reset your password here:\n\n"
            f"{get_settings().dashboard_url.rstrip('/')}/reset-password\n\n"
            "If it was not you, ignore this email; your account is unchanged.\n"
        ),
    )


def password_reset_email(to: str, name: str, token: str, valid_minutes: int) -> Email:
    return Email(
        to=to,
        purpose="password_reset",
        subject="Reset your Herald password",
        body=(
            f"Hello {name},\n\n"
            "Someone (hopefully you) asked to reset the password of your Herald account.\n"
            "To choose a new password, open this link:\n\n"
            f"{_link('/reset-password', token)}\n\n"
            f"The link works once and expires in {valid_minutes} minutes. Resetting your\n"
            "password signs you out everywhere.\n"
            "If you did not ask for this, ignore this email; your password stays as it is.\n"
        ),
    )


def invitation_email(
    to: str, inviter: str, workspace: str, role: str, token: str, valid_days: int
) -> Email:
    return Email(
        to=to,
        purpose="invite",
        subject=f"{inviter} invited you to {workspace} on Herald",
        body=(
            "Hello,\n\n"
            f"{inviter} invited you to join the workspace {workspace!r} on Herald as {role}.\n"
            "To accept, open this link (create an account with this email address first if\n"
            "you do not have one):\n\n"
            f"{_link('/invites/accept', token)}\n\n"
            f"The invitation works once and expires in {valid_days} days.\n"
            "If you do not know this person, ignore this email.\n"
        ),
    )
