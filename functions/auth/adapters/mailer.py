"""Sends email through SES, or writes it to the local outbox folder when one is configured."""

from email.message import EmailMessage
from pathlib import Path

from ulid import ULID

from functions.auth.domain.emails import Email
from functions.shared import aws
from functions.shared.observability import logger
from functions.shared.settings import get_settings


def send(email: Email) -> None:
    settings = get_settings()
    if settings.mail_outbox_dir:
        _write_to_outbox(Path(settings.mail_outbox_dir), email)
    else:
        aws.sesv2().send_email(
            FromEmailAddress=settings.mail_from,
            Destination={"ToAddresses": [email.to]},
            Content={
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": email.body, "Charset": "UTF-8"}},
                }
            },
        )
    # The body holds a one-time link: only the purpose is logged, never the content.
    logger.info("email sent", extra={"purpose": email.purpose})


def _write_to_outbox(outbox: Path, email: Email) -> None:
    message = EmailMessage()
    message["From"] = get_settings().mail_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["X-Herald-Purpose"] = email.purpose
    message.set_content(email.body)
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / f"{ULID()}-{email.purpose}.eml").write_bytes(bytes(message))
