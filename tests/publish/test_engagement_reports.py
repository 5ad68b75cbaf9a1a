"""The engagement reports (docs/analytics.md, "Engagement reports"): the rollups the collector
writes beside its snapshots, bucketed by the local weekday and hour of publishing across
daylight-saving changes and equal to a recomputation from the snapshots (a property test); the
engagement, top-posts, labels and best-times reports over the API; the queue slots set from best
times; roles, API key scopes and cross-workspace 404 on every route.

Targets are published into the rollups with `start_metrics`, as the publish transaction does, at
chosen instants, and their platform numbers recorded with the collector's `_record`; one test
runs the whole path from a sandbox post."""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ulid import ULID

from functions.publish.domain.metrics_collection import collect_due
from functions.shared import aws
from functions.shared.engagement_figures import TopMetric
from functions.shared.metrics_rollups import (
    account_slots,
    label_days,
    local_slot,
    published_posts,
)
from functions.shared.post_metrics import SUMMED, MetricsSnapshotItem, MetricsTargetItem
from functions.shared.settings import get_settings
from functions.shared.tables import key
from tests.publish.analytics_world import analytics
from tests.publish.posts_world import publish_now, set_timezone
from tests.publish.studio import Studio, studio
from tests.support.csv_reports import assert_csv_matches_json
from tests.support.published_posts import look, published

__all__ = ["analytics", "studio"]


def get(client: TestClient, studio: Studio, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/analytics/{path}", params=params, headers=studio.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def grid(body: dict[str, Any]) -> dict[tuple[int, int], int]:
    return {(cell["weekday"], cell["hour"]): cell["posts"] for cell in body["by_weekday_hour"]}


# --- daylight saving ------------------------------------------------------------------------------


def test_local_slots_follow_the_offset_of_each_instant() -> None:
    berlin, new_york = "Europe/Berlin", "America/New_York"
    # 2027-03-28: Berlin moves from +01:00 to +02:00 at 01:00 UTC; a Sunday (weekday 6).
    assert local_slot(datetime(2027, 3, 28, 0, 30, tzinfo=UTC), berlin) == (6, 1)
    assert local_slot(datetime(2027, 3, 28, 1, 30, tzinfo=UTC), berlin) == (6, 3)
    # 2027-10-31: back to +01:00 at 01:00 UTC; 02:30 happens twice, both are 02.
    assert local_slot(datetime(2027, 10, 31, 0, 30, tzinfo=UTC), berlin) == (6, 2)
    assert local_slot(datetime(2027, 10, 31, 1, 30, tzinfo=UTC), berlin) == (6, 2)
    # 2027-03-14 and 2027-11-07 in New York (07:00 and 06:00 UTC).
    assert local_slot(datetime(2027, 3, 14, 6, 30, tzinfo=UTC), new_york) == (6, 1)
    assert local_slot(datetime(2027, 3, 14, 7, 30, tzinfo=UTC), new_york) == (6, 3)
    assert local_slot(datetime(2027, 11, 7, 5, 30, tzinfo=UTC), new_york) == (6, 1)
    assert local_slot(datetime(2027, 11, 7, 6, 30, tzinfo=UTC), new_york) == (6, 1)
    # Monday after the spring change: 22:30 UTC on Sunday is already Monday 00:30 in Berlin.
    assert local_slot(datetime(2027, 3, 28, 22, 30, tzinfo=UTC), berlin) == (0, 0)


@pytest.mark.parametrize(
    ("timezone", "moments", "day", "expected"),
    [
        (
            "Europe/Berlin",
            ["2027-03-28T00:30Z", "2027-03-28T01:30Z", "2027-03-28T21:59Z"],
            "2027-03-28",
            {(6, 1): 1, (6, 3): 1, (6, 23): 1},
        ),
        (
            "Europe/Berlin",
            ["2027-10-31T00:30Z", "2027-10-31T01:30Z", "2027-10-31T22:59Z"],
            "2027-10-31",
            {(6, 2): 2, (6, 23): 1},
        ),
        (
            "America/New_York",
            ["2027-03-14T06:30Z", "2027-03-14T07:30Z", "2027-03-15T03:59Z"],
            "2027-03-14",
            {(6, 1): 1, (6, 3): 1, (6, 23): 1},
        ),
        (
            "America/New_York",
            ["2027-11-07T05:30Z", "2027-11-07T06:30Z", "2027-11-08T04:59Z"],
            "2027-11-07",
            {(6, 1): 2, (6, 23): 1},
        ),
    ],
)
def test_the_weekday_hour_grid_buckets_by_local_time_across_dst_changes(
    analytics: TestClient,
    studio: Studio,
    timezone: str,
    moments: list[str],
    day: str,
    expected: dict[tuple[int, int], int],
) -> None:
    set_timezone(studio, timezone)
    account = studio.sandbox()
    for moment in moments:
        look(published(studio, account, datetime.fromisoformat(moment)), impressions=100, likes=5)
    body = get(analytics, studio, "engagement", **{"from": day, "to": day})
    assert body["timezone"] == timezone
    assert grid(body) == expected
    [only_day] = body["by_day"]
    assert (only_day["day"], only_day["posts"], only_day["impressions"]) == (day, 3, 300)
    # The best times read the account's slots the same way.
    slots = account_slots(studio.workspace_id, account)
    assert {slot: history.posts for slot, history in slots.items()} == expected


# --- rollups equal a recomputation from the snapshots ---------------------------------------------

LABELS = ("launch", "promo", "autumn #sale")
_target = st.tuples(
    st.integers(min_value=0, max_value=24 * 14 - 1),  # hours after 2027-03-22T00:00Z
    st.sets(st.sampled_from(LABELS)),
    st.lists(
        st.tuples(st.integers(0, 5000), st.integers(0, 300), st.integers(0, 40)),
        min_size=0,
        max_size=3,
    ),
)


def _clear_metrics(workspace_id: str) -> None:
    client, table = aws.dynamodb(), get_settings().table_name
    pages = client.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :metrics)",
        ExpressionAttributeValues={
            ":pk": {"S": key("WS", workspace_id)},
            ":metrics": {"S": "METRICS#"},
        },
        ProjectionExpression="PK, SK",
    )
    for page in pages:
        for item in page["Items"]:
            client.delete_item(TableName=table, Key=item)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_target, min_size=1, max_size=5))
def test_the_rollups_equal_a_recomputation_from_the_snapshots(
    studio: Studio, targets: list[tuple[int, set[str], list[tuple[int, int, int]]]]
) -> None:
    """Whatever is published when, with whatever labels, and whatever numbers each look reports
    (growing or shrinking), the post, slot and label rollups equal what the snapshots say."""
    _clear_metrics(studio.workspace_id)
    timezone = "Europe/Berlin"  # the period spans the March change
    studio.herald.client.patch(
        f"/v1/workspaces/{studio.workspace_id}",
        json={"timezone": timezone},
        headers=studio.owner.headers,
    )
    account = str(ULID())
    start = datetime(2027, 3, 22, tzinfo=UTC)
    tracked = []
    for hours, labels, looks in targets:
        target = published(studio, account, start + timedelta(hours=hours), tuple(labels))
        for impressions, likes, comments in looks:
            look(target, impressions=impressions, likes=likes, comments=comments)
        tracked.append((target, labels))

    zone = ZoneInfo(timezone)
    latest: dict[str, dict[str, int]] = {}
    for target, _ in tracked:
        series = list(MetricsSnapshotItem.of_post(studio.workspace_id, target.post_id))
        latest[target.post_id] = series[-1].metrics if series else {}
    first, last = start.date() - timedelta(days=1), start.date() + timedelta(days=15)

    rolled_posts = {
        post.post_id: dict(post.metrics)
        for post in published_posts(studio.workspace_id, first, last)
    }
    assert rolled_posts == latest

    slots: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    labelled: dict[str, Counter[str]] = defaultdict(Counter)
    for target, labels in tracked:
        local = target.published_at.astimezone(zone)
        metrics = latest[target.post_id]
        slot = slots[(local.weekday(), local.hour)]
        slot["posts"] += 1
        slot["impressions"] += metrics.get("impressions", 0)
        slot["engagements"] += metrics.get("likes", 0) + metrics.get("comments", 0)
        for label in labels:
            labelled[label]["posts"] += 1
            for name in SUMMED:
                labelled[label][name] += metrics.get(name, 0)
    rolled_slots = {
        slot: Counter(
            {
                "posts": history.posts,
                "impressions": history.impressions,
                "engagements": history.engagements,
            }
        )
        for slot, history in account_slots(studio.workspace_id, account).items()
    }
    assert {slot: +counts for slot, counts in rolled_slots.items()} == {
        slot: +counts for slot, counts in slots.items()
    }
    rolled_labels: dict[str, Counter[str]] = defaultdict(Counter)
    for day in label_days(studio.workspace_id, first, last):
        rolled_labels[day.label]["posts"] += day.posts
        rolled_labels[day.label].update(day.metrics)
    assert {label: +counts for label, counts in rolled_labels.items()} == {
        label: +counts for label, counts in labelled.items()
    }


# --- the reports ---------------------------------------------------------------------------------


def test_a_sandbox_post_reaches_the_reports_through_the_collector(
    analytics: TestClient, studio: Studio
) -> None:
    account = studio.sandbox()
    post_id = publish_now(studio, account)
    [target] = MetricsTargetItem.of_post(studio.workspace_id, post_id)
    with time_machine.travel(target.published_at + timedelta(hours=1, minutes=1), tick=False):
        assert collect_due().collected == 1
    today = target.day
    top = get(analytics, studio, "top-posts", **{"from": today, "to": today})
    [best] = top["posts"]
    [snapshot] = MetricsSnapshotItem.of_post(studio.workspace_id, post_id)
    assert best["post_id"] == post_id
    assert best["targets"][0]["metrics"] == snapshot.metrics
    engagement = get(analytics, studio, "engagement", **{"from": today, "to": today})
    assert engagement["totals"]["impressions"] == snapshot.metrics["impressions"]
    local = target.published_at.astimezone(ZoneInfo("UTC"))
    assert grid(engagement) == {(local.weekday(), local.hour): 1}


def test_top_posts_rank_by_every_summed_metric_and_the_engagement_figures() -> None:
    """`TopMetric` spells the names out for the OpenAPI enum; it must follow the metrics."""
    assert sorted(get_args(TopMetric)) == sorted([*SUMMED, "engagements", "engagement_rate"])


def test_top_posts_rank_by_the_metric_asked_for_with_filters(
    analytics: TestClient, studio: Studio
) -> None:
    sandbox, x_account = studio.sandbox(), studio.connect("x", "2244994945")
    on = datetime(2027, 5, 10, 9, tzinfo=UTC)
    viral = published(studio, sandbox, on, ("launch",))
    look(viral, impressions=10_000, likes=300, shares=100)
    steady = published(studio, sandbox, on + timedelta(hours=1), ("launch", "weekly"))
    look(steady, impressions=1_000, likes=90, comments=10)
    # One post on two accounts: its targets add up.
    both = str(ULID())
    look(published(studio, sandbox, on + timedelta(hours=2), ("weekly",), post_id=both), likes=50)
    look(
        published(studio, x_account, on + timedelta(hours=2), ("weekly",), "x", post_id=both),
        impression_count=4_000,
        like_count=150,
    )
    unseen = published(studio, sandbox, on + timedelta(days=3))  # after the period
    look(unseen, impressions=99_999, likes=9_999)
    period = {"from": "2027-05-10", "to": "2027-05-11"}

    def ranked(**params: Any) -> list[tuple[str, Any]]:
        body = get(analytics, studio, "top-posts", **period, **params)
        return [(post["post_id"], post["value"]) for post in body["posts"]]

    assert ranked() == [(viral.post_id, 400), (both, 200), (steady.post_id, 100)]
    assert ranked(metric="impressions", limit=2) == [(viral.post_id, 10_000), (both, 4_000)]
    assert ranked(metric="engagement_rate") == [
        (steady.post_id, 0.1),
        (both, 0.05),
        (viral.post_id, 0.04),
    ]
    assert ranked(platform="x") == [(both, 150)]
    assert ranked(label="launch", metric="comments") == [(steady.post_id, 10), (viral.post_id, 0)]
    body = get(analytics, studio, "top-posts", **period, label="weekly")
    [first, second] = body["posts"]
    assert (first["post_id"], first["rank"], first["totals"]["posts"]) == (both, 1, 2)
    assert {t["platform"] for t in first["targets"]} == {"sandbox", "x"}
    assert first["labels"] == ["weekly"]
    assert second["labels"] == ["launch", "weekly"]
    for bad in ({"metric": "followers"}, {"limit": 0}, {"limit": 101}, {"platform": "X!"}):
        response = analytics.get(
            "/v1/analytics/top-posts", params=period | bad, headers=studio.headers
        )
        assert response.status_code == 422, bad


def test_engagement_per_day_and_platform_and_labels_compared(
    analytics: TestClient, studio: Studio
) -> None:
    set_timezone(studio, "America/Los_Angeles")
    sandbox, x_account = studio.sandbox(), studio.connect("x", "2244994945")
    # 2027-05-11T03:00Z is still May 10 in Los Angeles.
    look(
        published(studio, sandbox, datetime(2027, 5, 11, 3, tzinfo=UTC), ("launch",)),
        impressions=1_000,
        likes=40,
        comments=10,
    )
    look(
        published(
            studio, x_account, datetime(2027, 5, 12, 18, tzinfo=UTC), ("launch", "#tips"), "x"
        ),
        impression_count=500,
        like_count=5,
        retweet_count=5,
    )
    look(
        published(studio, sandbox, datetime(2027, 5, 12, 19, tzinfo=UTC), ("#tips",)),
        impressions=100,
        likes=1,
    )
    period = {"from": "2027-05-10", "to": "2027-05-12"}
    body = get(analytics, studio, "engagement", **period)
    assert [(d["day"], d["posts"], d["engagements"]) for d in body["by_day"]] == [
        ("2027-05-10", 1, 50),
        ("2027-05-11", 0, 0),
        ("2027-05-12", 2, 11),
    ]
    assert body["totals"]["engagement_rate"] == pytest.approx(61 / 1600)
    assert body["by_platform"]["x"]["engagements"] == 10
    assert body["by_platform"]["sandbox"]["posts"] == 2
    assert grid(body) == {(0, 20): 1, (2, 11): 1, (2, 12): 1}
    only_x = get(analytics, studio, "engagement", **period, platform="x")
    assert only_x["totals"]["posts"] == 1
    assert set(only_x["by_platform"]) == {"x"}

    labels = get(analytics, studio, "labels", **period)["labels"]
    assert [(entry["label"], entry["posts"], entry["engagements"]) for entry in labels] == [
        ("launch", 2, 60),
        ("#tips", 2, 11),
    ]
    assert labels[0]["impressions"] == 1_500
    assert labels[1]["engagement_rate"] == pytest.approx(11 / 600, abs=1e-6)
    assert get(analytics, studio, "labels", **{"from": "2027-05-11", "to": "2027-05-11"}) == {
        "timezone": "America/Los_Angeles",
        "from_date": "2027-05-11",
        "to_date": "2027-05-11",
        "labels": [],
    }
    for bad in (
        {"from": "2027-05-12", "to": "2027-05-10"},
        {"from": "2026-01-01", "to": "2027-05-10"},
    ):
        for path in ("engagement", "labels", "top-posts"):
            response = analytics.get(f"/v1/analytics/{path}", params=bad, headers=studio.headers)
            assert response.status_code == 422, (path, bad)
    for edge in ("0001-01-01", "9999-12-31"):  # the first and last days a date can name
        for path in ("engagement", "labels", "top-posts"):
            response = analytics.get(
                f"/v1/analytics/{path}", params={"from": edge, "to": edge}, headers=studio.headers
            )
            assert response.status_code == 200, (path, edge, response.text)


def test_best_times_rank_slots_with_enough_history_and_state_the_fallback(
    analytics: TestClient, studio: Studio
) -> None:
    account = studio.sandbox()
    fresh = get(analytics, studio, "best-times", account_id=account, count=3)
    assert fresh["posts"] == 0
    assert fresh["history"] == []
    assert [(s["weekday"], s["time"], s["source"]) for s in fresh["best"]] == [
        (1, "09:00", "default"),
        (2, "09:00", "default"),
        (3, "09:00", "default"),
    ]
    assert fresh["fallback"]["used"] is True
    assert "0 of the 3 slots" in fresh["fallback"]["reason"]

    monday = datetime(2027, 5, 3, tzinfo=UTC)  # the workspace's timezone is UTC
    for week in range(3):
        at = monday + timedelta(weeks=week)
        look(published(studio, account, at + timedelta(hours=8)), impressions=1_000, likes=20)
        look(
            published(studio, account, at + timedelta(days=4, hours=15)), impressions=500, likes=50
        )
    # Two posts on Wednesday 18:00 did best of all, but two posts are not yet a pattern.
    for week in range(2):
        at = monday + timedelta(weeks=week, days=2, hours=18)
        look(published(studio, account, at), impressions=100, likes=90)
    body = get(analytics, studio, "best-times", account_id=account, count=3)
    assert body["ranked_by"] == "engagement_rate"
    assert body["posts"] == 8
    best = [(s["weekday"], s["hour"], s["source"], s["posts"]) for s in body["best"]]
    assert best == [(4, 15, "history", 3), (0, 8, "history", 3), (1, 9, "default", 0)]
    assert body["best"][0]["engagement_rate"] == pytest.approx(0.1)
    assert {(s["weekday"], s["hour"]): s["posts"] for s in body["history"]} == {
        (0, 8): 3,
        (2, 18): 2,
        (4, 15): 3,
    }
    assert "2 of the 3 slots" in body["fallback"]["reason"]
    assert get(analytics, studio, "best-times", account_id=account, count=2)["fallback"] == {
        "used": False,
        "reason": None,
        "min_posts_per_slot": 3,
        "defaults": body["fallback"]["defaults"],
    }


def test_best_times_without_impressions_rank_by_engagements_per_post(
    analytics: TestClient, studio: Studio
) -> None:
    account = studio.connect("linkedin", "urn:li:person:abc")
    monday = datetime(2027, 5, 3, 7, tzinfo=UTC)
    for week in range(3):
        look(
            published(studio, account, monday + timedelta(weeks=week), (), "linkedin"), reactions=9
        )
        look(
            published(studio, account, monday + timedelta(weeks=week, hours=5), (), "linkedin"),
            reactions=3,
        )
    body = get(analytics, studio, "best-times", account_id=account, count=2)
    assert body["ranked_by"] == "engagements_per_post"
    assert [(s["hour"], s["engagements_per_post"]) for s in body["best"]] == [(7, 9.0), (12, 3.0)]


def test_best_times_become_the_account_queue_slots_in_one_call(
    analytics: TestClient, studio: Studio
) -> None:
    account = studio.sandbox()
    monday = datetime(2027, 5, 3, tzinfo=UTC)
    for week in range(3):
        look(published(studio, account, monday + timedelta(weeks=week, hours=10)), impressions=10)
    workspace_slots = {"slots": [{"weekday": 5, "time": "08:30"}]}
    put = studio.client.put("/v1/posts/queue/slots", json=workspace_slots, headers=studio.headers)
    assert put.status_code == 200, put.text

    url = "/v1/posts/queue/slots/best-times"
    editor = studio.as_member("editor")
    response = studio.client.post(url, json={"account_id": account, "count": 2}, headers=editor)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["slots"] == [{"weekday": 0, "time": "10:00"}, {"weekday": 1, "time": "09:00"}]
    assert [s["source"] for s in body["best_times"]["best"]] == ["history", "default"]
    stored = studio.client.get(
        "/v1/posts/queue/slots", params={"account_id": account}, headers=studio.headers
    )
    assert stored.json() == {"slots": body["slots"]}
    untouched = studio.client.get("/v1/posts/queue/slots", headers=studio.headers)
    assert untouched.json() == workspace_slots

    viewer = studio.as_member("viewer")
    assert studio.client.post(url, json={"account_id": account}, headers=viewer).status_code == 403
    for bad in ({"account_id": account, "count": 0}, {"account_id": "nope"}, {"count": 3}):
        assert studio.client.post(url, json=bad, headers=studio.headers).status_code == 422
    missing = {"account_id": "01J0000000000000000000ZZZZ"}
    assert studio.client.post(url, json=missing, headers=studio.headers).status_code == 404


def test_every_new_route_answers_404_outside_the_workspace_and_needs_its_role_or_scope(
    analytics: TestClient, studio: Studio
) -> None:
    account = studio.sandbox()
    period = {"from": "2027-05-01", "to": "2027-05-31"}
    reads = [
        ("/v1/analytics/engagement", period),
        ("/v1/analytics/top-posts", period),
        ("/v1/analytics/labels", period),
        ("/v1/analytics/best-times", {"account_id": account}),
    ]
    apply_url, apply_body = "/v1/posts/queue/slots/best-times", {"account_id": account}
    stranger = studio.herald.sign_up("stranger")
    elsewhere = studio.herald.create_workspace(stranger)
    outside = stranger.headers | {"X-Workspace-Id": studio.workspace_id}
    theirs = stranger.headers | {"X-Workspace-Id": elsewhere["id"]}
    for url, params in reads:
        assert analytics.get(url, params=params, headers=outside).status_code == 404, url
    assert studio.client.post(apply_url, json=apply_body, headers=outside).status_code == 404
    # From their own workspace, this workspace's account is not found.
    best = analytics.get(reads[3][0], params=reads[3][1], headers=theirs)
    assert best.status_code == 404
    assert studio.client.post(apply_url, json=apply_body, headers=theirs).status_code == 404

    viewer = studio.as_member("viewer")
    for url, params in reads:
        assert analytics.get(url, params=params, headers=viewer).status_code == 200, url
    reader = studio.herald.create_api_key(studio.owner, studio.workspace_id, ["analytics:read"])
    writer = studio.herald.create_api_key(studio.owner, studio.workspace_id, ["posts:write"])
    for url, params in reads:
        with_scope = analytics.get(
            url, params=params, headers={"Authorization": f"Bearer {reader}"}
        )
        without = analytics.get(url, params=params, headers={"Authorization": f"Bearer {writer}"})
        assert (with_scope.status_code, without.status_code) == (200, 403), url
    by_key = studio.client.post(
        apply_url, json=apply_body, headers={"Authorization": f"Bearer {writer}"}
    )
    assert by_key.status_code == 200, by_key.text
    refused = studio.client.post(
        apply_url, json=apply_body, headers={"Authorization": f"Bearer {reader}"}
    )
    assert refused.status_code == 403


def test_every_report_exports_as_csv_with_the_numbers_of_its_json(
    analytics: TestClient, studio: Studio
) -> None:
    """docs/analytics.md#csv-export: the same report, one CSV table holding every value."""
    account = studio.sandbox()
    look(
        published(studio, account, datetime(2027, 5, 12, 18, tzinfo=UTC), ("launch",)),
        impressions=100,
        likes=3,
    )
    period = {"from": "2027-05-10", "to": "2027-05-12"}
    for path, params in (
        ("engagement", period),
        ("top-posts", period),
        ("labels", period),
        ("best-times", {"account_id": account}),
        (f"accounts/{account}", period),
    ):
        body = get(analytics, studio, path, **params)
        as_csv = analytics.get(
            f"/v1/analytics/{path}", params=params | {"format": "csv"}, headers=studio.headers
        )
        assert as_csv.status_code == 200, (path, as_csv.text)
        assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert_csv_matches_json(as_csv.text, body)
