"""The mailer: SES in AWS; locally an `.eml` file per email and a plain-text copy to copy from."""

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from functions.auth.domain.emails import invitation_email, verification_email
from functions.shared import aws, mailer
from functions.shared.mailer import Email
from functions.shared.settings import get_settings

# Long enough that quoted-printable breaks the link's line, as a real token's link is broken.
TOKEN = "Zq0-_x" * 12


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = get_settings().model_copy(update={"mail_outbox_dir": str(tmp_path)})
    monkeypatch.setattr(mailer, "get_settings", lambda: settings)
    return tmp_path


def test_each_email_gets_a_decoded_plain_text_copy_beside_it(outbox: Path) -> None:
    mailer.send(verification_email("ada@example.com", "Ada Lovelace", TOKEN, 24))

    (eml,) = outbox.glob("*-verify_email.eml")
    copy = eml.with_suffix(".txt").read_text()
    # What made copying from the .eml go wrong: the token is encoded and cut by a soft break.
    assert f"token={TOKEN}" not in eml.read_text()
    assert f"?token={TOKEN}\n" in copy
    assert copy.startswith(
        f"From: {get_settings().mail_from}\n"
        "To: ada@example.com\n"
        "Subject: Confirm your email address for Herald\n"
        "X-Herald-Purpose: verify_email\n\n"
        "Hello Ada Lovelace,\n"
    )
    parsed = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert copy.endswith(parsed.get_content())


def test_only_whole_emails_are_left_in_the_outbox(outbox: Path) -> None:
    for purpose in ("verify_email", "password_reset"):
        mailer.send(Email(to="ada@example.com", subject="Hi", body="Hello\n", purpose=purpose))

    assert sorted(path.suffix for path in outbox.iterdir()) == [".eml", ".eml", ".txt", ".txt"]


def test_without_an_outbox_the_email_goes_through_ses_and_no_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []

    class FakeSes:
        def send_email(self, **request: Any) -> None:
            sent.append(request)

    settings = get_settings().model_copy(update={"mail_outbox_dir": ""})
    monkeypatch.setattr(mailer, "get_settings", lambda: settings)
    monkeypatch.setattr(aws, "sesv2", FakeSes)
    monkeypatch.chdir(tmp_path)

    mailer.send(Email(to="ada@example.com", subject="Hi", body="Hello\n", purpose="invite"))

    assert sent == [
        {
            "FromEmailAddress": settings.mail_from,
            "Destination": {"ToAddresses": ["ada@example.com"]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": "Hi", "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": "Hello\n", "Charset": "UTF-8"}},
                }
            },
        }
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_stored_name_with_line_breaks_cannot_add_a_header(outbox: Path) -> None:
    """Names are refused with control characters at the edge (SingleLine); this one bypassed
    that (stored before the check), and it still stays inside its own header."""
    mailer.send(
        invitation_email(
            "bob@example.com",
            "Ada\u2028Lovelace",
            "Acme\r\nBcc: victim@example.com",
            "editor",
            TOKEN,
            7,
        )
    )

    (eml,) = outbox.glob("*-invite.eml")
    parsed = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Ada Lovelace invited you to Acme Bcc: victim@example.com on Herald"
    assert sorted(parsed.keys()) == sorted(
        [
            "From",
            "To",
            "Subject",
            "X-Herald-Purpose",
            "Content-Type",
            "Content-Transfer-Encoding",
            "MIME-Version",
        ]
    )
    assert "\nBcc:" not in eml.with_suffix(".txt").read_text().split("\n\n")[0]


def test_extra_headers_are_sent_and_cannot_carry_line_breaks(outbox: Path) -> None:
    mailer.send(
        Email(
            to="ada@example.com",
            subject="Hi",
            body="Hello\n",
            purpose="notification",
            headers=(
                ("List-Unsubscribe", "<https://api.example/u?token=a>\r\nBcc: x@example.com"),
            ),
        )
    )

    (eml,) = outbox.glob("*-notification.eml")
    parsed = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None
    assert parsed["List-Unsubscribe"] == "<https://api.example/u?token=a> Bcc: x@example.com"


def test_extra_headers_go_to_ses_as_message_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []

    class FakeSes:
        def send_email(self, **request: Any) -> None:
            sent.append(request)

    settings = get_settings().model_copy(update={"mail_outbox_dir": ""})
    monkeypatch.setattr(mailer, "get_settings", lambda: settings)
    monkeypatch.setattr(aws, "sesv2", FakeSes)

    mailer.send(
        Email(
            to="ada@example.com",
            subject="Hi",
            body="Hello\n",
            purpose="notification",
            headers=(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),),
        )
    )

    # SES API v2 SendEmail, Message.Headers:
    # https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_Message.html
    assert sent[0]["Content"]["Simple"]["Headers"] == [
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}
    ]
