"""Tracked links (docs/analytics.md#tracked-links): the workspace setting, links becoming short
links at publish time (the same code on every attempt), the redirect with its UTM parameters,
clicks and site events attributed to the post, codes that never collide, refused destinations,
preflight counting the short link, roles and isolation.

X is faked at the transport (respx): POST /2/tweets creates a post
(https://docs.x.com/x-api/posts/create-or-edit-post).
"""

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import respx
import time_machine
from fastapi.testclient import TestClient

from functions.publish.adapters.post_items import TargetItem
from functions.publish.domain import link_tracking, preflight, publishing
from functions.publish.domain.post_models import PostContent, ThreadPart
from functions.shared import tracked_links
from functions.shared.settings import get_settings
from functions.shared.tracked_links import ShortLinkItem, TrackedLinkItem
from tests.publish.posts_world import X_TWEETS, later
from tests.publish.studio import Studio
from tests.support.csv_reports import assert_csv_matches_json
from tests.support.event_store import open_event_store, stored_objects

SHOP = "https://shop.example"
MENU = f"{SHOP}/menu?ref=spring&utm_source=newsletter#drinks"


def short_codes(text: str) -> list[str]:
    prefix = re.escape(f"{get_settings().api_base_url.rstrip('/')}/l/")
    return re.findall(prefix + r"([A-Za-z0-9_-]{8})", text)


@pytest.fixture
def analytics(studio: Studio) -> Iterator[TestClient]:
    from functions.analytics.app import app

    open_event_store()
    with TestClient(app, follow_redirects=False) as client:
        yield client


def turn_on(studio: Studio, headers: dict[str, str] | None = None) -> Any:
    return studio.client.put(
        "/v1/posts/settings",
        json={"approval_required": False, "tracked_links": True},
        headers=headers or studio.headers,
    )


def publish(studio: Studio, text: str, targets: list[str]) -> tuple[str, list[str]]:
    """The post published now on X (and the others); the texts X received."""
    created = studio.create(text=text, targets=[{"account_id": a} for a in targets])
    assert created["preflight"]["ok"], created["preflight"]
    studio.schedule(created["id"], later())
    with respx.mock(assert_all_called=False) as platforms:
        tweets = platforms.post(X_TWEETS).respond(201, json={"data": {"id": "1460323737035677698"}})
        report = studio.fire(created["id"])
    assert report["result"]["outcome"] == "published", report
    sent = [json.loads(call.request.content)["text"] for call in tweets.calls]
    return created["id"], sent


def test_only_admins_turn_tracked_links_on_and_a_change_that_omits_it_keeps_it(
    studio: Studio,
) -> None:
    assert studio.client.get("/v1/posts/settings", headers=studio.headers).json() == {
        "approval_required": False,
        "tracked_links": False,
    }
    assert turn_on(studio, studio.as_member("editor")).status_code == 403
    assert turn_on(studio).json()["tracked_links"] is True
    kept = studio.client.put(
        "/v1/posts/settings", json={"approval_required": True}, headers=studio.headers
    )
    assert kept.json() == {"approval_required": True, "tracked_links": True}
    viewer = studio.as_member("viewer")
    assert studio.client.get("/v1/posts/settings", headers=viewer).json()["tracked_links"] is True


def test_a_published_link_redirects_with_utm_and_its_click_is_attributed_to_the_post(
    studio: Studio, analytics: TestClient
) -> None:
    x = studio.connect("x", "2244994945")
    sandbox = studio.sandbox()
    turn_on(studio)
    post_id, sent = publish(studio, f"Spring menu: {MENU}. Come by!", [x, sandbox])

    (text,) = sent
    (code,) = short_codes(text)
    assert text == f"Spring menu: {tracked_links.short_url(code)}. Come by!"
    links = TrackedLinkItem.of_post(studio.workspace_id, post_id)
    assert {link.platform for link in links} == {"x", "sandbox"}
    assert all(link.destination == MENU for link in links)
    sandbox_code = next(link.link_code for link in links if link.platform == "sandbox")
    assert sandbox_code != code

    answer = analytics.get(
        f"/l/{code}", headers={"User-Agent": "Mozilla/5.0", "Referer": "https://t.co/abc"}
    )
    assert answer.status_code == 302
    assert answer.headers["cache-control"] == "no-store"
    location = urlsplit(answer.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "shop.example", "/menu")
    assert location.fragment == "drinks"
    # The destination's own parameters stay in order; its UTM parameters give way to Herald's.
    assert parse_qsl(location.query) == [
        ("ref", "spring"),
        ("utm_source", "x"),
        ("utm_medium", "social"),
        ("utm_campaign", "herald"),
        ("utm_content", post_id),
    ]
    analytics.get(f"/l/{code}")
    analytics.get(f"/l/{sandbox_code}")

    clicks = [
        record
        for lines in stored_objects().values()
        for record in lines
        if record["name"] == "link_click"
    ]
    assert len(clicks) == 3
    assert all(record["workspace_id"] == studio.workspace_id for record in clicks)
    first = next(record for record in clicks if record["referrer"])
    assert first["referrer_host"] == "t.co"
    assert (first["utm_source"], first["utm_content"]) == ("x", post_id)
    assert first["properties"]["code"] == code
    assert "Mozilla" not in json.dumps(clicks)  # the browser and address are only digested

    # A purchase and a sign-up arriving later from the site, through a server key.
    key = analytics.post(
        "/v1/analytics/keys", json={"name": "shop", "kind": "server"}, headers=studio.headers
    ).json()["key"]
    utm = {"source": "x", "medium": "social", "campaign": "herald", "content": post_id}
    now = datetime.now(UTC).isoformat()
    events = [
        {"name": "signup", "timestamp": now, "user_id": "c-1", "utm": utm},
        {
            "name": "purchase",
            "timestamp": now,
            "user_id": "c-1",
            "utm": utm,
            "revenue": "24.90",
            "currency": "EUR",
        },
        {
            "name": "purchase",
            "timestamp": now,
            "user_id": "c-2",
            "utm": utm,
            "revenue": "5.10",
            "currency": "EUR",
        },
        # Not the post's: a platform it has no link on, another campaign, a made-up post.
        {
            "name": "purchase",
            "timestamp": now,
            "user_id": "c-3",
            "utm": utm | {"source": "tiktok"},
            "revenue": "99",
            "currency": "EUR",
        },
        {
            "name": "purchase",
            "timestamp": now,
            "user_id": "c-4",
            "utm": utm | {"campaign": "x"},
            "revenue": "99",
            "currency": "EUR",
        },
        {
            "name": "purchase",
            "timestamp": now,
            "user_id": "c-5",
            "utm": utm | {"content": "01J0000000000000000000000X"},
            "revenue": "99",
            "currency": "EUR",
        },
    ]
    sent_events = analytics.post(
        "/v1/analytics/events", json={"events": events}, headers={"Authorization": f"Bearer {key}"}
    )
    assert sent_events.status_code == 202, sent_events.text

    viewer = studio.as_member("viewer")
    report = analytics.get(f"/v1/analytics/posts/{post_id}/attribution", headers=viewer)
    assert report.status_code == 200, report.text
    found = report.json()
    assert found["clicks"] == 3
    as_csv = analytics.get(
        f"/v1/analytics/posts/{post_id}/attribution", headers=viewer | {"Accept": "text/csv"}
    )
    assert as_csv.headers["content-disposition"] == (
        f'attachment; filename="analytics-posts-{post_id}-attribution.csv"'
    )
    assert_csv_matches_json(as_csv.text, found)
    assert {t["account_id"]: t["clicks"] for t in found["targets"]} == {x: 2, sandbox: 1}
    by_platform = {p["platform"]: p for p in found["platforms"]}
    assert by_platform["x"]["clicks"] == 2
    assert by_platform["x"]["events"] == [
        {"name": "purchase", "count": 2},
        {"name": "signup", "count": 1},
    ]
    assert by_platform["x"]["revenue"] == [{"currency": "EUR", "amount": "30.00"}]
    assert by_platform["sandbox"] == {
        "platform": "sandbox",
        "clicks": 1,
        "events": [],
        "revenue": [],
    }
    assert found["revenue"] == [{"currency": "EUR", "amount": "30.00"}]
    x_links = next(t for t in found["targets"] if t["platform"] == "x")["links"]
    assert x_links == [
        {"code": code, "short_url": tracked_links.short_url(code), "destination": MENU, "clicks": 2}
    ]


def test_links_stay_as_they_are_with_tracked_links_off(studio: Studio) -> None:
    x = studio.connect("x", "2244994945")
    post_id, sent = publish(studio, f"Spring menu: {MENU}", [x])
    assert sent == [f"Spring menu: {MENU}"]
    assert TrackedLinkItem.of_post(studio.workspace_id, post_id) == []


def test_retries_and_edits_reuse_the_code_of_the_same_destination(studio: Studio) -> None:
    x = studio.connect("x", "2244994945")
    turn_on(studio)
    created = studio.create(text=f"Menu {MENU}", targets=[{"account_id": x}])
    studio.schedule(created["id"], later())
    # The first attempt is refused for now (503): nothing went out, the target waits to retry.
    with respx.mock() as platforms:
        first = platforms.post(X_TWEETS).respond(503, json={"title": "Service Unavailable"})
        studio.fire(created["id"])
    item = TargetItem.find(studio.workspace_id, created["id"], x)
    assert item is not None
    assert item.state == "retry_wait"
    (code,) = short_codes(json.loads(first.calls.last.request.content)["text"])

    assert item.due_at is not None
    with (
        time_machine.travel(item.due_at + timedelta(seconds=1)),
        respx.mock() as platforms,
    ):
        again = platforms.post(X_TWEETS).respond(201, json={"data": {"id": "1460323737035677699"}})
        outcome = publishing.advance_target(studio.workspace_id, created["id"], x)
    assert outcome == "published"
    assert short_codes(json.loads(again.calls.last.request.content)["text"]) == [code]

    # An edited text with the same destination and a new one: the old code, one new code.
    parts = [ThreadPart(text=f"Now {MENU} and {SHOP}/hours")]
    assert item is not None
    (edited,) = link_tracking.with_tracked_links(item, parts)
    codes = short_codes(edited.text)
    assert codes[0] == code
    assert codes[1] != code
    assert len(TrackedLinkItem.of_post(studio.workspace_id, created["id"])) == 2


def test_a_drawn_code_that_is_taken_is_drawn_again(
    studio: Studio, analytics: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tracked_links.links_of_target(studio.workspace_id, "P1", "A1", "x", [MENU])[MENU]
    draws = iter([first, first, "fresh_02"])
    monkeypatch.setattr(tracked_links, "new_code", lambda: next(draws))
    second = tracked_links.links_of_target(studio.workspace_id, "P2", "A1", "x", [f"{SHOP}/b"])
    assert second == {f"{SHOP}/b": "fresh_02"}
    # The first link still leads where it did.
    taken = ShortLinkItem.find(first)
    assert taken is not None
    assert (taken.post_id, taken.destination) == ("P1", MENU)
    assert urlsplit(analytics.get(f"/l/{first}").headers["location"]).path == "/menu"


@pytest.mark.parametrize(
    "destination",
    [
        "ftp://shop.example/menu",
        "javascript:alert(1)",
        "https://",
        "https://shop.example/a\x00b",
        "mailto:a@shop.example",
        "https://shop.example/" + "a" * 2048,
    ],
)
def test_a_destination_that_is_not_an_http_url_is_refused(studio: Studio, destination: str) -> None:
    with pytest.raises(tracked_links.NotTrackable):
        tracked_links.links_of_target(studio.workspace_id, "P1", "A1", "x", [destination])
    assert tracked_links.links_in(f"see {destination}") == []


def test_unknown_codes_and_bad_codes_answer_problems(analytics: TestClient) -> None:
    unknown = analytics.get("/l/abcdEFGH")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert analytics.get("/l/not-a-valid-code-at-all").status_code == 422


def test_another_workspace_gets_404_and_write_keys_read_nothing(
    studio: Studio, analytics: TestClient
) -> None:
    x = studio.connect("x", "2244994945")
    turn_on(studio)
    post_id, _ = publish(studio, f"Menu {MENU}", [x])
    route = f"/v1/analytics/posts/{post_id}/attribution"
    assert analytics.get(route, headers=studio.headers).status_code == 200
    stranger = studio.herald.sign_up("stranger")
    other = studio.herald.create_workspace(stranger, "Other")
    outside = stranger.headers | {"X-Workspace-Id": other["id"]}
    elsewhere = analytics.get(route, headers=outside)
    assert elsewhere.status_code == 404
    exported = analytics.get(route, params={"format": "csv"}, headers=outside)
    assert exported.status_code == 404
    assert exported.headers["content-type"] == "application/problem+json"
    key = analytics.post(
        "/v1/analytics/keys",
        json={"name": "site", "kind": "write", "allowed_origins": [SHOP]},
        headers=studio.headers,
    ).json()["key"]
    assert analytics.get(route, headers={"X-Herald-Write-Key": key}).status_code == 401


def test_one_address_following_one_link_too_often_gets_429_and_adds_no_clicks(
    studio: Studio, analytics: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = studio.connect("x", "2244994945")
    turn_on(studio)
    post_id, sent = publish(studio, f"Menu {MENU}", [x])
    (code,) = short_codes(sent[0])
    monkeypatch.setenv("HERALD_ANALYTICS_REDIRECT_REQUESTS", "2")
    get_settings.cache_clear()
    try:
        start = datetime.now(UTC).replace(second=1, microsecond=0) + timedelta(minutes=1)
        with time_machine.travel(start, tick=False):
            assert [analytics.get(f"/l/{code}").status_code for _ in range(2)] == [302, 302]
            refused = analytics.get(f"/l/{code}")
            # Unknown codes spend their own budget, not this link's.
            assert analytics.get("/l/abcdEFGH").status_code == 404
        with time_machine.travel(start + timedelta(seconds=58), tick=False):
            assert analytics.get(f"/l/{code}").status_code == 429
        with time_machine.travel(start + timedelta(seconds=60), tick=False):
            assert analytics.get(f"/l/{code}").status_code == 302
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "59"  # the fixed one-minute window's end
    assert "2 follows of this link per 60 seconds" in refused.json()["detail"]
    report = analytics.get(f"/v1/analytics/posts/{post_id}/attribution", headers=studio.headers)
    assert report.json()["clicks"] == 3


def test_deleting_the_workspace_deletes_its_short_links(
    studio: Studio, analytics: TestClient
) -> None:
    x = studio.connect("x", "2244994945")
    turn_on(studio)
    _, sent = publish(studio, f"Menu {MENU}", [x])
    (code,) = short_codes(sent[0])
    assert analytics.get(f"/l/{code}").status_code == 302
    deleted = studio.herald.client.delete(
        f"/v1/workspaces/{studio.workspace_id}", headers=studio.owner.headers
    )
    assert deleted.status_code == 204, deleted.text
    assert ShortLinkItem.find(code) is None
    assert analytics.get(f"/l/{code}").status_code == 404


def test_preflight_counts_the_short_link_instead_of_the_url(studio: Studio) -> None:
    linkedin_id, x_id = "01J9ZZ0000000000000000000A", "01J9ZZ0000000000000000000B"
    long_url = f"{SHOP}/spring/" + "m" * 300
    linkedin = preflight.AccountFacts(linkedin_id, "linkedin", "active", "Brand")
    x = preflight.AccountFacts(x_id, "x", "active", "Brand")
    text = "a" * 2900 + " " + long_url  # 3,215 characters; LinkedIn takes 3,000
    content = PostContent.model_validate(
        {"text": text, "targets": [{"account_id": linkedin_id}, {"account_id": x_id}]}
    )
    short = tracked_links.short_url_length()
    assert 2901 + short <= 3000
    off = preflight.check(content, {linkedin_id: linkedin, x_id: x}, {})
    on = preflight.check(content, {linkedin_id: linkedin, x_id: x}, {}, link_length=short)
    assert [p.code for p in off.targets[0].problems] == ["text_too_long"]
    assert on.targets[0].problems == []
    # X weighs every URL as 23 either way: the text is too long for X in both.
    assert [p.code for p in off.targets[1].problems] == [p.code for p in on.targets[1].problems]

    # Over the API: the workspace's setting decides.
    account = studio.connect("linkedin", "urn:li:person:abc")
    body = {"text": text, "targets": [{"account_id": account}]}
    before = studio.create(**body)["preflight"]["targets"][0]["problems"]
    assert "text_too_long" in [p["code"] for p in before]
    turn_on(studio)
    after = studio.create(**body)["preflight"]["targets"][0]["problems"]
    assert "text_too_long" not in [p["code"] for p in after]


def test_links_that_cannot_be_created_leave_the_target_to_a_retry_without_a_platform_call(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = studio.connect("x", "2244994945")
    turn_on(studio)
    created = studio.create(text=f"Menu {MENU}", targets=[{"account_id": x}])
    studio.schedule(created["id"], later())

    def unavailable(*_: Any) -> dict[str, str]:
        raise ConnectionError("DynamoDB is unreachable")

    monkeypatch.setattr(tracked_links, "links_of_target", unavailable)
    with respx.mock(assert_all_called=False) as platforms:
        tweets = platforms.post(X_TWEETS).respond(201, json={"data": {"id": "1"}})
        studio.fire(created["id"])
    assert tweets.call_count == 0
    item = TargetItem.find(studio.workspace_id, created["id"], x)
    assert item is not None
    assert item.state == "retry_wait"


def test_a_click_with_odd_headers_still_redirects_and_counts(
    studio: Studio, analytics: TestClient
) -> None:
    x = studio.connect("x", "2244994945")
    turn_on(studio)
    post_id, sent = publish(studio, f"Menu {MENU}", [x])
    (code,) = short_codes(sent[0])
    for headers in (
        {"Referer": "android-app://com.twitter.android/", "User-Agent": "u" * 5000},
        {"Referer": "https://t.co/" + "r" * 3000},
    ):
        assert analytics.get(f"/l/{code}", headers=headers).status_code == 302
    clicks = [r for lines in stored_objects().values() for r in lines if r["name"] == "link_click"]
    assert [r["referrer"] for r in clicks] == [None, None]
    report = analytics.get(f"/v1/analytics/posts/{post_id}/attribution", headers=studio.headers)
    assert report.json()["clicks"] == 2
