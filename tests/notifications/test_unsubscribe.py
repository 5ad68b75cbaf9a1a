"""One-click unsubscribe (RFC 8058, https://www.rfc-editor.org/rfc/rfc8058): every notification
email carries `List-Unsubscribe` with an https URI and `List-Unsubscribe-Post:
List-Unsubscribe=One-Click`; a POST to that URI turns the channel off, a GET only shows a page,
and a token changed in any way is refused."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from functions.shared.settings import get_settings
from tests.notifications.notify_world import NotifyWorld, mails
from tests.support.snapshots import workspace_items

pytestmark = pytest.mark.usefixtures("notify_world")


def preference(world: NotifyWorld, event_type: str) -> dict[str, bool]:
    response = world.api.get("/v1/notifications/preferences", headers=world.editor.headers)
    (entry,) = [e for e in response.json()["event_types"] if e["event_type"] == event_type]
    choices: dict[str, bool] = entry
    return choices


def test_one_click_unsubscribe_turns_that_email_off(notify_world: NotifyWorld) -> None:
    world = notify_world
    author = {"created_by": f"user:{world.editor.user_id}"}
    world.notify(world.event("post.failed", author))
    (email,) = mails(world.editor)

    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = email["List-Unsubscribe"]
    # Locally the API's base URL is http; in AWS it is the API's https stage URL.
    assert header.startswith(f"<{get_settings().api_base_url}/v1/notifications/unsubscribe?")
    url = urlsplit(header.strip("<>"))
    assert url.path == "/v1/notifications/unsubscribe"
    token = parse_qs(url.query)["token"][0]
    assert token in email.get_content()

    before = workspace_items(world.workspace_id)
    page = world.api.get("/v1/notifications/unsubscribe", params={"token": token})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "post.failed" in page.text
    assert "<form method=post>" in page.text
    assert workspace_items(world.workspace_id) == before  # a GET changes nothing

    # What a mail client sends (RFC 8058 section 3.2), without any sign-in.
    clicked = world.api.post(
        "/v1/notifications/unsubscribe",
        params={"token": token},
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert clicked.status_code == 200
    assert clicked.json() == {"event_type": "post.failed", "channel": "email_instant"}
    assert preference(world, "post.failed") == {
        "event_type": "post.failed",
        "in_app": True,
        "email_instant": False,
        "email_digest": False,
    }

    world.notify(world.event("post.failed", author))
    assert len(mails(world.editor)) == 1  # no new email
    assert len(world.notifications(world.editor)) == 2  # still in the app


def test_a_tampered_token_is_refused_and_changes_nothing(notify_world: NotifyWorld) -> None:
    world = notify_world
    world.notify(world.event("post.failed", {"created_by": f"user:{world.editor.user_id}"}))
    (email,) = mails(world.editor)
    token = parse_qs(urlsplit(email["List-Unsubscribe"].strip("<>")).query)["token"][0]
    payload, signature = token.split(".")
    # The same payload naming the admin instead: signature no longer matches.
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields[0] = world.admin.user_id
    forged = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    before = workspace_items(world.workspace_id)

    answers = [
        world.api.post("/v1/notifications/unsubscribe", params={"token": bad})
        for bad in (f"{forged}.{signature}", f"{payload}.{flipped}", f"{payload}.", "abc.def")
    ]
    shown = world.api.get(
        "/v1/notifications/unsubscribe", params={"token": f"{forged}.{signature}"}
    )

    assert [a.status_code for a in answers] == [400, 400, 422, 400]
    assert answers[0].json()["detail"] == "This unsubscribe link is not valid."
    assert shown.status_code == 400
    assert workspace_items(world.workspace_id) == before
