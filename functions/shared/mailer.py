"""Sends email through SES, or writes it to the local outbox folder when one is configured: each
email as an `.eml` file and, beside it, a plain-text copy to read and copy links from.

Shared because two groups send mail: identity (verification, resets, invites) and webhooks
(notifications and their daily digest)."""

from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from ulid import ULID

from functions.shared import aws
from functions.shared.inputs import LINE_BREAKING_RUNS
from functions.shared.observability import logger
from functions.shared.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_sesv2.type_defs import MessageTypeDef


@dataclass(frozen=True, slots=True)
class Email:
    to: str
    subject: str
    body: str
    purpose: str  # verify_email, password_reset, invite, notification...: names it in the outbox
    # Extra headers (name, value), e.g. List-Unsubscribe; names are Herald's own constants.
    headers: tuple[tuple[str, str], ...] = ()


def _header_text(value: str) -> str:
    """A header value that stays one header whatever stored name it holds: a value written
    before names were checked (or past the checks) has its line breaks and other control
    characters turned into spaces instead of adding a header (a `Bcc:`) or failing the send."""
    return LINE_BREAKING_RUNS.sub(" ", value).strip()


def send(email: Email) -> None:
    email = replace(
        email,
        to=_header_text(email.to),
        subject=_header_text(email.subject),
        headers=tuple((name, _header_text(value)) for name, value in email.headers),
    )
    settings = get_settings()
    if settings.mail_outbox_dir:
        _write_to_outbox(Path(settings.mail_outbox_dir), email)
    else:
        message: MessageTypeDef = {
            "Subject": {"Data": email.subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": email.body, "Charset": "UTF-8"}},
        }
        if email.headers:
            message["Headers"] = [{"Name": name, "Value": value} for name, value in email.headers]
        aws.sesv2().send_email(
            FromEmailAddress=settings.mail_from,
            Destination={"ToAddresses": [email.to]},
            Content={"Simple": message},
        )
    # The body holds a one-time link: only the purpose is logged, never the content.
    logger.info("email sent", extra={"purpose": email.purpose})


def _write_to_outbox(outbox: Path, email: Email) -> None:
    headers = {
        "From": get_settings().mail_from,
        "To": email.to,
        "Subject": email.subject,
        "X-Herald-Purpose": email.purpose,
        **dict(email.headers),
    }
    # Its default policy refuses a header value holding CR or LF: a second line of defence.
    message = EmailMessage()
    for name, value in headers.items():
        message[name] = value
    message.set_content(email.body)
    outbox.mkdir(parents=True, exist_ok=True)
    stem = f"{ULID()}-{email.purpose}"
    # The .eml body is quoted-printable, so a token copied from it comes out wrong (`=3D`, soft
    # line breaks); the .txt beside it is the same email as a person reads it.
    plain_text = "".join(f"{name}: {value}\n" for name, value in headers.items())
    (outbox / f"{stem}.txt").write_text(f"{plain_text}\n{email.body}", encoding="utf-8")
    # Renamed into place so that whoever watches the outbox for .eml files (make dev's console)
    # never reads half an email; the .txt is complete by then.
    partial = outbox / f"{stem}.eml.part"
    partial.write_bytes(bytes(message))
    partial.replace(outbox / f"{stem}.eml")
