"""Account metrics in the reports (docs/analytics.md, "Account metrics"): the account report's
follower and engagement trends, follower growth in the overview against the previous period,
each target of a post's report against its account's median post, and cross-workspace 404,
roles and scopes on the account report."""

from datetime import date, datetime, timedelta

import time_machine
from fastapi.testclient import TestClient

from functions.publish.domain.account_metrics_collection import collect_due_accounts
from functions.publish.domain.metrics_collection import collect_due
from functions.shared.account_metrics import AccountDayItem, AccountMetricsScheduleItem
from functions.shared.post_metrics import MetricsDayItem
from functions.shared.tables import utc_now
from tests.publish.analytics_world import analytics
from tests.publish.posts_world import publish_now
from tests.publish.studio import Studio, studio

__all__ = ["analytics", "studio"]


def followers_on(studio: Studio, account: str, day: str, followers: int) -> None:
    AccountDayItem(
        *AccountDayItem.keys(studio.workspace_id, account, day),
        account_id=account,
        platform="sandbox",
        taken_at=datetime.fromisoformat(f"{day}T08:00:00+00:00"),
        metrics={"followers": followers, "following": 10},
        extras={"fan_count": 3},
    ).save()


def rollup(studio: Studio, day: str, account: str, **numbers: int) -> None:
    MetricsDayItem(*MetricsDayItem.keys(studio.workspace_id, day, account)).update(
        actions=[
            MetricsDayItem.account_id.set(account),
            MetricsDayItem.platform.set("sandbox"),
            *(getattr(MetricsDayItem, name).add(value) for name, value in numbers.items()),
        ]
    )


def test_the_account_report_shows_follower_and_engagement_trends(
    analytics: TestClient, studio: Studio
) -> None:
    account, other = studio.sandbox(), studio.sandbox(name="Other")
    followers_on(studio, account, "2027-05-07", 1000)  # the day before: the start
    followers_on(studio, account, "2027-05-08", 1010)
    followers_on(studio, account, "2027-05-10", 1055)
    followers_on(studio, account, "2027-05-15", 2000)  # after the period
    rollup(studio, "2027-05-08", account, posts=2, impressions=1000, likes=30, comments=10)
    rollup(studio, "2027-05-09", account, posts=1, impressions=0)
    rollup(studio, "2027-05-08", other, posts=5, impressions=99)

    response = analytics.get(
        f"/v1/analytics/accounts/{account}",
        params={"from": "2027-05-08", "to": "2027-05-14"},
        headers=studio.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["platform"], body["from_date"], body["to_date"]) == (
        "sandbox",
        "2027-05-08",
        "2027-05-14",
    )
    followers = body["followers"]
    assert (followers["start"], followers["end"], followers["growth"]) == (1000, 1055, 55)
    assert [point["day"] for point in followers["series"]] == ["2027-05-08", "2027-05-10"]
    assert followers["series"][0]["metrics"] == {"followers": 1010, "following": 10}
    assert followers["series"][0]["extras"] == {"fan_count": 3}
    assert body["engagement"] == [
        {
            "day": "2027-05-08",
            "posts": 2,
            "impressions": 1000,
            "engagements": 40,
            "engagement_rate": 0.04,
        },
        {
            "day": "2027-05-09",
            "posts": 1,
            "impressions": 0,
            "engagements": 0,
            "engagement_rate": None,
        },
    ]
    assert (body["totals"]["posts"], body["totals"]["impressions"]) == (3, 1000)


def test_collected_days_make_the_trend(analytics: TestClient, studio: Studio) -> None:
    account = studio.sandbox()
    schedule = AccountMetricsScheduleItem.find_key(
        *AccountMetricsScheduleItem.keys(studio.workspace_id, account)
    )
    assert schedule is not None
    assert schedule.due_at is not None
    moment = schedule.due_at
    for _ in range(3):
        with time_machine.travel(moment + timedelta(minutes=1), tick=False):
            assert collect_due_accounts().collected == 1
        found = AccountMetricsScheduleItem.find_key(schedule.pk, schedule.sk)
        assert found is not None
        assert found.due_at is not None
        moment = found.due_at
    first = schedule.due_at.date()
    body = analytics.get(
        f"/v1/analytics/accounts/{account}",
        params={"from": first.isoformat(), "to": (first + timedelta(days=5)).isoformat()},
        headers=studio.headers,
    ).json()
    series = body["followers"]["series"]
    assert len(series) == 3
    counts = [point["metrics"]["followers"] for point in series]
    assert counts[-1] > counts[0]
    assert body["followers"]["growth"] == counts[-1] - counts[0]


def test_the_overview_shows_follower_growth_against_the_previous_period(
    analytics: TestClient, studio: Studio
) -> None:
    account, quiet = studio.sandbox(), studio.sandbox(name="Quiet")
    followers_on(studio, account, "2027-04-30", 900)
    followers_on(studio, account, "2027-05-07", 950)
    followers_on(studio, account, "2027-05-14", 1100)

    body = analytics.get(
        "/v1/analytics/overview",
        params={"from": "2027-05-08", "to": "2027-05-14"},
        headers=studio.headers,
    ).json()
    current, previous = body["current"]["followers"], body["previous"]["followers"]
    assert current["growth"] == 150
    assert current["by_platform"] == {"sandbox": 150}
    assert current["by_account"][account] == {"start": 950, "end": 1100, "growth": 150}
    assert current["by_account"][quiet] == {"start": None, "end": None, "growth": None}
    assert previous["by_account"][account] == {"start": 900, "end": 950, "growth": 50}
    assert previous["growth"] == 50


def test_each_target_is_compared_with_its_account_s_median_post(
    analytics: TestClient, studio: Studio
) -> None:
    account = studio.sandbox()
    first = publish_now(studio, account, text="one")
    earlier = [first] + [publish_now(studio, account, text=text) for text in ("two", "three")]
    latest = publish_now(studio, account, text="four")
    with time_machine.travel(utc_now() + timedelta(hours=1, minutes=5), tick=False):
        assert collect_due().collected == 4

    [alone] = analytics.get(f"/v1/analytics/posts/{first}", headers=studio.headers).json()[
        "targets"
    ]
    assert alone["account_median"] is None  # nothing published before it
    [target] = analytics.get(f"/v1/analytics/posts/{latest}", headers=studio.headers).json()[
        "targets"
    ]
    median = target["account_median"]
    assert median["posts"] == len(earlier)
    impressions = sorted(
        analytics.get(f"/v1/analytics/posts/{post}", headers=studio.headers).json()["targets"][0][
            "metrics"
        ]["impressions"]
        for post in earlier
    )
    assert median["metrics"]["impressions"] == impressions[1]
    assert median["ratio"]["impressions"] == round(
        target["metrics"]["impressions"] / impressions[1], 4
    )


def test_the_account_report_answers_404_outside_the_workspace_and_needs_the_scope(
    analytics: TestClient, studio: Studio
) -> None:
    account = studio.sandbox()
    today = date.today().isoformat()
    url, params = f"/v1/analytics/accounts/{account}", {"from": today, "to": today}
    stranger = studio.herald.sign_up("stranger")
    elsewhere = studio.herald.create_workspace(stranger)
    theirs = stranger.headers | {"X-Workspace-Id": elsewhere["id"]}
    outside = stranger.headers | {"X-Workspace-Id": studio.workspace_id}
    assert analytics.get(url, params=params, headers=outside).status_code == 404
    assert analytics.get(url, params=params, headers=theirs).status_code == 404
    missing = "/v1/analytics/accounts/01J0000000000000000000ZZZZ"
    assert analytics.get(missing, params=params, headers=studio.headers).status_code == 404
    assert analytics.get(url, params=params, headers=studio.as_member("viewer")).status_code == 200
    reader = studio.herald.create_api_key(studio.owner, studio.workspace_id, ["analytics:read"])
    other = studio.herald.create_api_key(studio.owner, studio.workspace_id, ["posts:read"])
    for key, status in ((reader, 200), (other, 403)):
        headers = {"Authorization": f"Bearer {key}"}
        assert analytics.get(url, params=params, headers=headers).status_code == status
    for bad in ({"from": today, "to": "2020-01-01"}, {"from": today}):
        response = analytics.get(url, params=bad, headers=studio.headers)
        assert response.status_code == 422, bad
    assert analytics.get("/v1/analytics/accounts/no!", params=params).status_code in (401, 422)
