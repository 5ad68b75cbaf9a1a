"""`make dev` announces each email of the local outbox on its console: who it is for, its token
and the API call that spends the token, since the dashboard its link points at is not served."""

import time
from pathlib import Path

import pytest

from functions.auth.domain import emails
from functions.shared import mailer
from functions.shared.settings import get_settings
from infra.local.outbox import OutboxAnnouncer, describe

API = "http://127.0.0.1:8130"
TOKEN = "Zq0-_x" * 12
JSON = "-H 'Content-Type: application/json'"


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = get_settings().model_copy(update={"mail_outbox_dir": str(tmp_path)})
    monkeypatch.setattr(mailer, "get_settings", lambda: settings)
    return tmp_path


def sent(outbox: Path, email: mailer.Email) -> Path:
    """The .eml file `email` was written to."""
    before = set(outbox.glob("*.eml"))
    mailer.send(email)
    (written,) = set(outbox.glob("*.eml")) - before
    return written


def test_a_verification_email_is_announced_with_its_token_and_the_call_that_verifies(
    outbox: Path,
) -> None:
    eml = sent(outbox, emails.verification_email("ada@example.com", "Ada", TOKEN, 24))

    dashboard = get_settings().dashboard_url
    assert describe(eml, API).splitlines() == [
        "Email to ada@example.com: 'Confirm your email address for Herald'",
        f"  text:  {eml.with_suffix('.txt')}",
        f"  link:  {dashboard}/verify-email?token={TOKEN}   "
        "(a dashboard page; make dev serves only the API)",
        f"  token: {TOKEN}",
        f"  run:   curl -sS -X POST {API}/v1/auth/email/verify {JSON} "
        f'-d \'{{"token": "{TOKEN}"}}\'',
    ]


def test_reset_and_invite_emails_name_their_own_calls(outbox: Path) -> None:
    reset = sent(outbox, emails.password_reset_email("ada@example.com", "Ada", TOKEN, 30))
    invite = sent(
        outbox, emails.invitation_email("bo@example.com", "Ada", "Acme", "editor", TOKEN, 7)
    )

    assert describe(reset, API).splitlines()[-1] == (
        f"  run:   curl -sS -X POST {API}/v1/auth/password/reset/confirm {JSON} "
        f'-d \'{{"token": "{TOKEN}", "new_password": "<a new password>"}}\''
    )
    assert describe(invite, API).splitlines()[-1] == (
        f"  run:   curl -sS -X POST {API}/v1/invites/{TOKEN}/accept "
        '-H "Authorization: Bearer $ACCESS_TOKEN"   # signed in as the invited address'
    )


def test_an_email_without_a_token_is_announced_without_one(outbox: Path) -> None:
    eml = sent(outbox, emails.account_exists_email("ada@example.com", "Ada"))

    lines = describe(eml, API).splitlines()

    assert lines[0].startswith("Email to ada@example.com: 'Someone tried to create")
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["text", "link"]


def test_each_new_email_is_announced_once_and_earlier_ones_not_at_all(
    outbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sent(outbox, emails.verification_email("old@example.com", "Old", TOKEN, 24))
    announcer = OutboxAnnouncer(outbox, API)

    first = sent(outbox, emails.verification_email("ada@example.com", "Ada", TOKEN, 24))
    second = sent(outbox, emails.password_reset_email("ada@example.com", "Ada", TOKEN, 30))

    assert set(announcer.check()) == {first, second}
    assert announcer.check() == []
    console = capsys.readouterr().out
    assert console.count("Email to ") == 2
    assert describe(first, API) in console
    assert describe(second, API) in console
    assert "old@example.com" not in console


def test_the_announcer_runs_in_the_background_until_stopped(
    outbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    announcer = OutboxAnnouncer(outbox, API, interval=0.01)
    announcer.start()
    try:
        sent(outbox, emails.verification_email("ada@example.com", "Ada", TOKEN, 24))
        for _ in range(500):
            if "Email to ada@example.com" in capsys.readouterr().out:
                break
            time.sleep(0.01)
        else:
            pytest.fail("the email was not announced")
    finally:
        announcer.stop()
