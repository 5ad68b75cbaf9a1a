"""The traffic dashboard (rollups), funnels and retention (raw events) over the API: rollups equal
a recomputation from the events sent, distinct visitors and sessions are exact across batches,
dimension items stay bounded, and every report keeps to its workspace and roles."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from functions.analytics.adapters import rollups
from tests.analytics import reference
from tests.analytics.tracking_world import SITE, Tracking, event, stored_objects

PAGES = ("/", "/coffee", "/coffee/autumn-roast", "/checkout")
REFERRERS = ("https://t.co/x", "https://www.linkedin.com/feed", None)
SOURCES = ("herald", "newsletter", None)


def random_events(seed: int, count: int, now: datetime) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 (reproducible test data)
    events = []
    for _ in range(count):
        name = rng.choice(("page_view", "page_view", "signup", "purchase"))
        fields: dict[str, Any] = {
            "timestamp": (now - timedelta(minutes=rng.randrange(0, 3 * 24 * 60))).isoformat(),
            "anonymous_id": f"anon-{rng.randrange(12)}",
            "session_id": f"session-{rng.randrange(20)}",
            "page_url": SITE + rng.choice(PAGES),
        }
        if rng.random() < 0.3:
            fields["user_id"] = f"customer-{rng.randrange(5)}"
        referrer = rng.choice(REFERRERS)
        if referrer:
            fields["referrer"] = referrer
        source = rng.choice(SOURCES)
        if source:
            fields["utm"] = {"source": source}
        if name == "purchase":
            fields |= {"revenue": f"{rng.randrange(100, 5000) / 100:.2f}", "currency": "EUR"}
        events.append(event(name, **fields))
    return events


def day(record: dict[str, Any]) -> str:
    return str(record["timestamp"][:10])


def test_the_dashboard_equals_a_recomputation_from_the_events(tracking: Tracking) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    events = random_events(7, 240, now)
    key = tracking.create_key("write")["key"]
    for start in range(0, len(events), 80):
        assert tracking.send(key, events[start : start + 80]).status_code == 202
    first, last = (now - timedelta(days=3)).date(), now.date()
    traffic = tracking.traffic(first.isoformat(), last.isoformat())

    records = [r for lines in stored_objects().values() for r in lines]
    assert len(records) == len(events)
    expected_days = {
        d.isoformat(): {
            "events": sum(1 for r in records if day(r) == d.isoformat()),
            "pageviews": sum(
                1 for r in records if day(r) == d.isoformat() and r["name"] == "page_view"
            ),
            "sessions": len({r["session_id"] for r in records if day(r) == d.isoformat()}),
            "visitors": len({r["actor"] for r in records if day(r) == d.isoformat()}),
        }
        for d in rollups.days_between(first, last)
    }
    assert {
        d["date"]: {k: v for k, v in d.items() if k != "date"} for d in traffic["days"]
    } == expected_days

    def top(counter: Counter[str]) -> list[dict[str, Any]]:
        ordered = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))[:10]
        return [{"value": value, "count": count} for value, count in ordered]

    assert traffic["top_pages"] == top(
        Counter(r["page_path"] for r in records if r["name"] == "page_view")
    )
    assert traffic["top_events"] == top(Counter(r["name"] for r in records))
    assert traffic["top_referrers"] == top(
        Counter(r["referrer_host"] for r in records if r["referrer_host"])
    )
    assert traffic["top_utm_sources"] == top(
        Counter(r["utm_source"] for r in records if r["utm_source"])
    )
    revenue: Counter[tuple[str, str]] = Counter()
    daily: Counter[str] = Counter()
    for r in records:
        if r["revenue"]:
            revenue[(r["utm_source"] or "(none)", "EUR")] += Decimal(r["revenue"])  # type: ignore[assignment]
            daily[day(r)] += Decimal(r["revenue"])  # type: ignore[assignment]
    assert {
        (s["source"], s["currency"]): Decimal(s["amount"]) for s in traffic["revenue_by_source"]
    } == revenue
    assert {d["date"]: Decimal(d["amount"]) for d in traffic["revenue_by_day"]} == daily


def test_visitors_and_sessions_count_once_a_day_across_batches(tracking: Tracking) -> None:
    key = tracking.create_key("write")["key"]
    for _ in range(3):
        sent = tracking.send(
            key, [event(), event("signup", user_id="customer-1", session_id="s-2")]
        )
        assert sent.status_code == 202
    today = datetime.now(UTC).date().isoformat()
    day = tracking.traffic(today, today)["days"][0]
    assert day == {"date": today, "events": 6, "pageviews": 3, "sessions": 2, "visitors": 2}


def test_a_day_keeps_a_bounded_number_of_values_the_rest_counting_as_other(
    tracking: Tracking, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rollups, "MAX_VALUES_PER_DAY", 3)
    key = tracking.create_key("write")["key"]
    pages = [event(page_url=f"{SITE}/p{n}") for n in range(5)]
    assert tracking.send(key, pages).status_code == 202
    assert (
        tracking.send(key, [event(page_url=f"{SITE}/p0"), event(page_url=f"{SITE}/p9")]).status_code
        == 202
    )
    today = datetime.now(UTC).date().isoformat()
    top = {entry["value"]: entry["count"] for entry in tracking.traffic(today, today)["top_pages"]}
    assert sum(top.values()) == 7
    assert top["(other)"] == 3
    assert len(top) == 4


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"from": "2030-03-02", "to": "2030-03-01"}, 422),
        ({"from": "2030-01-01", "to": "2031-01-02"}, 422),
        ({"from": "2030-03-01T00:00:00Z", "to": "2030-03-02"}, 422),
        ({"from": "2030-03-01"}, 422),
    ],
)
def test_traffic_periods_are_checked(
    tracking: Tracking, params: dict[str, str], status: int
) -> None:
    response = tracking.client.get("/v1/analytics/traffic", params=params, headers=tracking.headers)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["pointer"].startswith("/query/")


def test_funnel_and_retention_read_the_raw_events_and_equal_the_reference(
    tracking: Tracking,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    key = tracking.create_key("write")["key"]
    events = random_events(11, 200, now)
    for first_index in range(0, len(events), 100):
        sent = tracking.send(key, events[first_index : first_index + 100])
        assert sent.status_code == 202
    records = [r for lines in stored_objects().values() for r in lines]
    start, end = now - timedelta(days=4), now + timedelta(minutes=1)
    steps = ["page_view", "signup", "purchase"]
    body = {
        "steps": steps,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "window_seconds": 86400,
        "breakdown": "utm_source",
    }
    response = tracking.client.post("/v1/analytics/funnels", json=body, headers=tracking.headers)
    # DuckDB answers within the request: the query is already done, and reads back the same.
    assert response.status_code == 202, response.text
    query = response.json()
    assert query["status"] == "succeeded"
    assert query["request"]["steps"] == steps
    again = tracking.client.get(f"/v1/analytics/funnels/{query['id']}", headers=tracking.headers)
    assert again.status_code == 200
    assert again.json() == query
    result = query["result"]
    expected = reference.funnel(
        records,
        steps,
        int(start.timestamp() * 1000),
        int(end.timestamp() * 1000),
        86_400_000,
    )
    totals = [sum(counts[i] for counts in expected.values()) for i in range(3)]
    assert [step["visitors"] for step in result["steps"]] == totals
    assert result["steps"][1]["conversion"] == pytest.approx(totals[1] / totals[0])
    assert result["steps"][2]["drop_off"] == pytest.approx(1 - totals[2] / totals[1])
    assert {
        s["value"]: [step["visitors"] for step in s["steps"]] for s in result["breakdown"]
    } == expected
    unsplit = tracking.client.post(
        "/v1/analytics/funnels", json={**body, "breakdown": None}, headers=tracking.headers
    )
    assert unsplit.status_code == 202, unsplit.text
    assert unsplit.json()["result"] == {"steps": result["steps"], "breakdown": None}

    first, last = (now - timedelta(days=20)).date(), now.date()
    started = tracking.client.post(
        "/v1/analytics/retention",
        json={"from": first.isoformat(), "to": last.isoformat()},
        headers=tracking.headers,
    )
    assert started.status_code == 202, started.text
    retention = tracking.client.get(
        f"/v1/analytics/retention/{started.json()['id']}", headers=tracking.headers
    )
    assert retention.status_code == 200, retention.text
    assert retention.json()["status"] == "succeeded"
    cohorts = reference.retention(
        records,
        int(datetime.combine(first, datetime.min.time(), UTC).timestamp() * 1000),
        int(
            datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC).timestamp() * 1000
        ),
    )
    assert len(retention.json()["result"]["cohorts"]) == len(cohorts)
    for cohort in retention.json()["result"]["cohorts"]:
        monday = datetime.fromisoformat(cohort["week"]).date()
        assert monday.weekday() == 0
        week = (monday - datetime(1969, 12, 29).date()).days // 7
        assert cohort["retained"] == [
            cohorts[week].get(k, 0) for k in range(len(cohort["retained"]))
        ]
        assert cohort["visitors"] == cohorts[week][0]


def test_funnel_requests_are_checked(tracking: Tracking) -> None:
    def post(**body: Any) -> Any:
        base = {"steps": ["a", "b"], "from": "2030-03-01T00:00:00Z", "to": "2030-03-02T00:00:00Z"}
        return tracking.client.post(
            "/v1/analytics/funnels", json=base | body, headers=tracking.headers
        )

    assert post(steps=["a"]).status_code == 422
    assert post(steps=["a", "a"]).status_code == 422
    assert post(steps=list("abcdef")).status_code == 422
    assert post(to="2030-03-01T00:00:00Z").json()["errors"][0]["pointer"] == "/body/to"
    assert post(to="2030-07-01T00:00:00Z").status_code == 422
    assert post(window_seconds=0).status_code == 422
    empty = post()
    assert empty.status_code == 202
    assert [s["visitors"] for s in empty.json()["result"]["steps"]] == [0, 0]


def test_reports_are_for_members_and_analytics_keys_of_the_workspace_only(
    tracking: Tracking,
) -> None:
    today = datetime.now(UTC).date().isoformat()
    params = {"from": today, "to": today}
    viewer = tracking.as_member("viewer")
    assert (
        tracking.client.get("/v1/analytics/traffic", params=params, headers=viewer).status_code
        == 200
    )
    reader = tracking.herald.create_api_key(
        tracking.owner, tracking.workspace_id, ["analytics:read"]
    )
    other = tracking.herald.create_api_key(tracking.owner, tracking.workspace_id, ["posts:read"])
    with_scope = tracking.client.post(
        "/v1/analytics/retention", json=params, headers={"Authorization": f"Bearer {reader}"}
    )
    without = tracking.client.get(
        "/v1/analytics/traffic", params=params, headers={"Authorization": f"Bearer {other}"}
    )
    assert (with_scope.status_code, without.status_code) == (202, 403)
    assert "analytics:read" in without.json()["detail"]
    stranger = tracking.herald.sign_up("stranger")
    outside = stranger.headers | {"X-Workspace-Id": tracking.workspace_id}
    for response in (
        tracking.client.get("/v1/analytics/traffic", params=params, headers=outside),
        tracking.client.post("/v1/analytics/retention", json=params, headers=outside),
        tracking.client.get(f"/v1/analytics/retention/{with_scope.json()['id']}", headers=outside),
        tracking.client.post(
            "/v1/analytics/funnels",
            json={"steps": ["a", "b"], "from": f"{today}T00:00:00Z", "to": f"{today}T01:00:00Z"},
            headers=outside,
        ),
    ):
        assert response.status_code == 404


def test_a_query_is_found_in_its_own_workspace_and_of_its_own_kind_only(
    tracking: Tracking,
) -> None:
    today = datetime.now(UTC).date().isoformat()
    started = tracking.client.post(
        "/v1/analytics/retention", json={"from": today, "to": today}, headers=tracking.headers
    )
    assert started.status_code == 202
    query_id = started.json()["id"]
    viewer = tracking.as_member("viewer")
    assert (
        tracking.client.get(f"/v1/analytics/retention/{query_id}", headers=viewer).status_code
        == 200
    )
    # A retention query is no funnel.
    assert (
        tracking.client.get(
            f"/v1/analytics/funnels/{query_id}", headers=tracking.headers
        ).status_code
        == 404
    )
    # The stranger's own workspace, asked for this workspace's query id.
    stranger = tracking.herald.sign_up("stranger")
    elsewhere = tracking.herald.create_workspace(stranger, name="Elsewhere")
    theirs = stranger.headers | {"X-Workspace-Id": elsewhere["id"]}
    response = tracking.client.get(f"/v1/analytics/retention/{query_id}", headers=theirs)
    assert response.status_code == 404
    malformed = tracking.client.get("/v1/analytics/retention/not-an-id", headers=theirs)
    assert malformed.status_code == 422
