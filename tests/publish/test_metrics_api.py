"""The platform-metrics reports over the API (docs/analytics.md, "Reports"): a sandbox post's
targets with their time series, refresh now through the publish group's collector (rate
limited), the overview against the previous period in the workspace's timezone, roles, API key
scopes and cross-workspace 404 on every route."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fastapi.testclient import TestClient

from functions.publish.domain.metrics_collection import collect_due
from functions.shared.post_metrics import MetricsDayItem
from tests.publish.analytics_world import analytics
from tests.publish.posts_world import publish_now, set_timezone
from tests.publish.studio import Studio, studio
from tests.support.csv_reports import assert_csv_matches_json, csv_rows

__all__ = ["analytics", "studio"]


def report(client: TestClient, studio: Studio, post_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/analytics/posts/{post_id}", headers=studio.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_sandbox_post_shows_its_metrics_growing(analytics: TestClient, studio: Studio) -> None:
    account = studio.sandbox()
    post_id = publish_now(studio, account)
    [target] = report(analytics, studio, post_id)["targets"]
    assert target["account_id"] == account
    assert target["series"] == []
    assert target["metrics"] == {}

    published = datetime.fromisoformat(target["published_at"])
    for hours in (1, 6, 24):
        with time_machine.travel(published + timedelta(hours=hours, minutes=1), tick=False):
            assert collect_due().collected == 1
    [target] = report(analytics, studio, post_id)["targets"]
    impressions = [point["metrics"]["impressions"] for point in target["series"]]
    assert len(impressions) == 3
    assert impressions == sorted(impressions)
    assert impressions[0] < impressions[-1]
    assert target["metrics"] == target["series"][-1]["metrics"]
    assert target["engagements"] == sum(
        target["metrics"].get(name, 0)
        for name in ("likes", "comments", "shares", "quotes", "saves")
    )
    assert target["next_collection_at"] is not None
    as_csv = analytics.get(
        f"/v1/analytics/posts/{post_id}", headers=studio.headers | {"Accept": "text/csv"}
    )
    assert as_csv.status_code == 200, as_csv.text
    assert_csv_matches_json(as_csv.text, report(analytics, studio, post_id))
    series = [row for row in csv_rows(as_csv.text) if row["section"] == "targets.series"]
    # Each point names its target; the numbers are the point's own.
    assert [row["account_id"] for row in series] == [account] * 3
    assert [int(row["metrics.impressions"]) for row in series] == impressions


def test_refresh_reads_now_and_then_refuses_until_the_window_ends(
    analytics: TestClient, studio: Studio
) -> None:
    post_id = publish_now(studio, studio.sandbox())
    url = f"/v1/analytics/posts/{post_id}/refresh"
    first = analytics.post(url, headers=studio.headers)
    assert first.status_code == 200, first.text
    assert first.json()["collected"] == 1
    assert first.json()["post"]["targets"][0]["metrics"]["impressions"] > 0
    again = analytics.post(url, headers=studio.headers)
    assert again.status_code == 429
    assert again.headers["content-type"] == "application/problem+json"
    assert 1 <= int(again.headers["Retry-After"]) <= 300
    # A viewer reads but cannot spend the platforms' rate limits.
    viewer = studio.as_member("viewer")
    assert analytics.post(url, headers=viewer).status_code == 403
    assert analytics.get(f"/v1/analytics/posts/{post_id}", headers=viewer).status_code == 200


def test_the_overview_compares_with_the_previous_period_in_the_workspace_timezone(
    analytics: TestClient, studio: Studio
) -> None:
    set_timezone(studio, "America/Los_Angeles")
    x_account = studio.connect("x", "2244994945")
    sandbox = studio.sandbox()

    def day(on: str, account: str, platform: str, **numbers: int) -> None:
        item = MetricsDayItem(*MetricsDayItem.keys(studio.workspace_id, on, account))
        item.update(
            actions=[
                MetricsDayItem.account_id.set(account),
                MetricsDayItem.platform.set(platform),
                *(getattr(MetricsDayItem, name).add(value) for name, value in numbers.items()),
            ]
        )

    day("2027-05-10", sandbox, "sandbox", posts=2, impressions=1000, likes=40, comments=10)
    day("2027-05-12", x_account, "x", posts=1, impressions=500, likes=5, shares=5)
    day("2027-05-03", sandbox, "sandbox", posts=1, impressions=200, likes=2)
    day("2027-05-02", sandbox, "sandbox", posts=9, impressions=9)  # before both periods
    response = analytics.get(
        "/v1/analytics/overview",
        params={"from": "2027-05-08", "to": "2027-05-14"},
        headers=studio.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "America/Los_Angeles"
    current, previous = body["current"], body["previous"]
    assert (previous["from_date"], previous["to_date"]) == ("2027-05-01", "2027-05-07")
    assert current["totals"]["posts"] == 3
    assert current["totals"]["impressions"] == 1500
    assert current["totals"]["engagements"] == 60
    assert current["totals"]["engagement_rate"] == pytest.approx(0.04)
    assert current["by_platform"]["x"]["engagements"] == 10
    assert current["by_account"][sandbox]["posts"] == 2
    assert previous["totals"]["posts"] == 10
    assert previous["totals"]["impressions"] == 209
    assert previous["by_platform"]["sandbox"]["engagement_rate"] == pytest.approx(2 / 209, abs=1e-6)
    as_csv = analytics.get(
        "/v1/analytics/overview",
        params={"from": "2027-05-08", "to": "2027-05-14", "format": "csv"},
        headers=studio.headers,
    )
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert_csv_matches_json(as_csv.text, body)
    [x_row] = [
        row
        for row in csv_rows(as_csv.text)
        if (row["section"], row["key"]) == ("current.by_platform", "x")
    ]
    assert (x_row["from_date"], x_row["engagements"]) == ("2027-05-08", "10")


def test_a_published_post_counts_on_its_local_day(analytics: TestClient, studio: Studio) -> None:
    set_timezone(studio, "Pacific/Kiritimati")  # UTC+14: often tomorrow already
    publish_now(studio, studio.sandbox())
    local_today = datetime.now(UTC).astimezone(ZoneInfo("Pacific/Kiritimati"))
    on = local_today.date().isoformat()
    body = analytics.get(
        "/v1/analytics/overview", params={"from": on, "to": on}, headers=studio.headers
    ).json()
    assert body["current"]["totals"]["posts"] == 1
    assert body["current"]["by_platform"]["sandbox"]["posts"] == 1


def test_bad_periods_are_refused(analytics: TestClient, studio: Studio) -> None:
    for params in (
        {"from": "2027-05-08", "to": "2027-05-01"},
        {"from": "2026-01-01", "to": "2027-01-02"},
        {"from": "2027-02-30", "to": "2027-03-01"},
        {"from": "2027-05-08"},
        # The previous period of the same length would begin before the first day a date names.
        {"from": "0001-01-01", "to": "0001-01-01"},
        {"from": "0001-01-05", "to": "0001-01-10"},
    ):
        response = analytics.get("/v1/analytics/overview", params=params, headers=studio.headers)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert analytics.get("/v1/analytics/posts/not-an-id", headers=studio.headers).status_code == 422
    earliest = {"from": "0001-01-02", "to": "0001-01-02"}  # its previous day is the first
    assert analytics.get(
        "/v1/analytics/overview", params=earliest, headers=studio.headers
    ).is_success


def test_every_route_answers_404_outside_the_workspace_and_needs_the_scope(
    analytics: TestClient, studio: Studio
) -> None:
    post_id = publish_now(studio, studio.sandbox())
    today = date.today().isoformat()
    routes = [
        ("GET", f"/v1/analytics/posts/{post_id}", None),
        ("POST", f"/v1/analytics/posts/{post_id}/refresh", None),
        ("GET", "/v1/analytics/overview", {"from": today, "to": today}),
    ]
    stranger = studio.herald.sign_up("stranger")
    elsewhere = studio.herald.create_workspace(stranger)
    # Their own workspace, naming this workspace's post: not found, as if it did not exist.
    theirs = stranger.headers | {"X-Workspace-Id": elsewhere["id"]}
    outside = stranger.headers | {"X-Workspace-Id": studio.workspace_id}
    for method, url, params in routes:
        assert analytics.request(method, url, params=params, headers=outside).status_code == 404
    for method, url, params in (routes[0], routes[2]):
        exported = analytics.request(
            method, url, params=(params or {}) | {"format": "csv"}, headers=outside
        )
        assert exported.status_code == 404
        assert exported.headers["content-type"] == "application/problem+json"
        mine = analytics.request(
            method, url, params=params, headers=theirs | {"Accept": "text/csv"}
        )
        assert mine.status_code == (404 if "posts" in url else 200)
    for method, url, params in routes[:2]:
        assert analytics.request(method, url, params=params, headers=theirs).status_code == 404
    missing = "01J0000000000000000000ZZZZ"
    assert (
        analytics.get(f"/v1/analytics/posts/{missing}", headers=studio.headers).status_code == 404
    )
    reader = studio.herald.create_api_key(studio.owner, studio.workspace_id, ["analytics:read"])
    other = studio.herald.create_api_key(studio.owner, studio.workspace_id, ["posts:read"])
    for method, url, params in routes:
        with_scope = analytics.request(
            method, url, params=params, headers={"Authorization": f"Bearer {reader}"}
        )
        without = analytics.request(
            method, url, params=params, headers={"Authorization": f"Bearer {other}"}
        )
        assert with_scope.status_code in (200, 429), (url, with_scope.text)
        assert without.status_code == 403, url
