"""Announces on `make dev`'s console each email the functions write to the local outbox.

Locally no email is delivered, and its link points at the dashboard, which `make dev` does not
serve: what a developer needs from it is the token and the API call that spends it. Each new
`.eml` file is announced with its recipient, subject, link, token, a ready-to-run curl command
and the plain-text copy the mailer writes beside it.
"""

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from infra.local.background import BackgroundLoop

_LINK = re.compile(r"https?://\S+")
_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")
_JSON = "-H 'Content-Type: application/json'"

# By the email's X-Herald-Purpose: the API call the dashboard page behind its link would make.
_API_CALLS = {
    "verify_email": (
        "curl -sS -X POST {api}/v1/auth/email/verify " + _JSON + ' -d \'{{"token": "{token}"}}\''
    ),
    "password_reset": (
        "curl -sS -X POST {api}/v1/auth/password/reset/confirm "
        + _JSON
        + ' -d \'{{"token": "{token}", "new_password": "<a new password>"}}\''
    ),
    "invite": (
        "curl -sS -X POST {api}/v1/invites/{token}/accept "
        '-H "Authorization: Bearer $ACCESS_TOKEN"   # signed in as the invited address'
    ),
}


def describe(path: Path, api_url: str) -> str:
    """The console lines announcing the email in `path`, an `.eml` file of the outbox."""
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)  # what policy.default parses into
    body: str = message.get_content()
    plain_copy = path.with_suffix(".txt")
    lines = [
        f"Email to {message['To']}: {message['Subject']!r}",
        f"  text:  {plain_copy if plain_copy.is_file() else path}",
    ]
    if link := _LINK.search(body):
        lines.append(f"  link:  {link.group()}   (a dashboard page; make dev serves only the API)")
    if token := _TOKEN.search(body):
        lines.append(f"  token: {token.group(1)}")
        if call := _API_CALLS.get(str(message["X-Herald-Purpose"])):
            lines.append(f"  run:   {call.format(api=api_url, token=token.group(1))}")
    return "\n".join(lines)


class OutboxAnnouncer:
    """Prints each email that arrives in `outbox` after it was created.

    `check()` does one pass and can be called directly (tests do); `start()` runs it every
    `interval` seconds on a background thread until `stop()`.
    """

    def __init__(self, outbox: Path, api_url: str, *, interval: float = 0.5) -> None:
        self._outbox = outbox
        self._api_url = api_url
        self._announced = self._emails()  # the outbox is never emptied: old emails stay quiet
        self._loop = BackgroundLoop("local-outbox", self.check, interval)

    def _emails(self) -> set[Path]:
        return set(self._outbox.glob("*.eml"))

    def check(self) -> list[Path]:
        """Announce the emails that arrived since the last pass, oldest first (names start with
        a ULID, so to the millisecond); return them."""
        arrived = sorted(self._emails() - self._announced)
        for path in arrived:
            print(describe(path, self._api_url), flush=True)
            self._announced.add(path)
        return arrived

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()
