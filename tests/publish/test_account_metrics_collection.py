"""Collecting account-level metrics once a day per account (docs/analytics.md, "Account
metrics"): the schedule written at connection, one read per local day whatever the run's
lateness, one item per account per day in the workspace's timezone, the published targets kept
per account, and an account gone or refused handled. X is faked at the transport (respx): GET
/2/users/me (https://docs.x.com/x-api/users/user-lookup-me)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import respx
import time_machine

from functions.publish.domain.account_metrics_collection import (
    SPREAD,
    AccountCollectionReport,
    collect_due_accounts,
    next_collection,
    schedule_account,
)
from functions.shared.account_metrics import (
    AccountDayItem,
    AccountMetricsScheduleItem,
    AccountPostItem,
)
from functions.shared.tables import transaction, utc_now
from tests.publish.posts_world import publish_now, set_timezone
from tests.publish.studio import Studio


def collect_at(moment: datetime) -> AccountCollectionReport:
    with time_machine.travel(moment, tick=False):
        return collect_due_accounts()


def days_of(studio: Studio, account_id: str) -> list[AccountDayItem]:
    return list(
        AccountDayItem.between(studio.workspace_id, account_id, date(2000, 1, 1), date(2100, 1, 1))
    )


def schedule_of(studio: Studio, account_id: str) -> AccountMetricsScheduleItem:
    found = AccountMetricsScheduleItem.find_key(
        *AccountMetricsScheduleItem.keys(studio.workspace_id, account_id)
    )
    assert found is not None
    return found


def test_the_next_collection_falls_early_in_the_next_local_day_across_dst() -> None:
    zone = ZoneInfo("Europe/Paris")
    account_id = "01J00000000000000000000ABC"
    # The night clocks go back (2026-10-25): the next local day still starts at local midnight.
    for now in (
        datetime(2026, 10, 24, 21, 59, tzinfo=UTC),
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # already the 25th in Paris
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # clocks go forward that night
    ):
        due = next_collection(account_id, zone, now)
        local = due.astimezone(zone)
        assert local.date() == now.astimezone(zone).date() + timedelta(days=1)
        assert timedelta(0) <= local - local.replace(hour=0, minute=0) < SPREAD


def test_a_connected_account_is_read_once_a_local_day(studio: Studio) -> None:
    set_timezone(studio, "America/Los_Angeles")
    account = studio.sandbox()
    schedule = schedule_of(studio, account)
    assert schedule.platform == "sandbox"
    assert schedule.due_bucket is not None
    assert schedule.due_bucket.startswith("ACCOUNTMETRICS#")
    assert schedule.due_at is not None

    start = schedule.due_at + timedelta(minutes=1)
    assert collect_at(start).collected == 1
    assert collect_at(start + timedelta(hours=1)).collected == 0  # not due again that day
    due = schedule_of(studio, account).due_at
    assert due is not None
    local = due.astimezone(ZoneInfo("America/Los_Angeles"))
    assert local.date() == start.astimezone(ZoneInfo("America/Los_Angeles")).date() + timedelta(1)
    # Later runs, some late: each local day gets its one read.
    for late in (timedelta(minutes=14), timedelta(hours=20), timedelta(minutes=3)):
        moment = (schedule_of(studio, account).due_at or utc_now()) + late
        assert collect_at(moment).collected == 1

    days = days_of(studio, account)
    assert len(days) == 4
    assert [d.day() for d in days] == sorted({d.day() for d in days})
    for item in days:
        local_day = item.taken_at.astimezone(ZoneInfo("America/Los_Angeles")).date()
        assert item.day() == local_day.isoformat()
        assert set(item.metrics) == {"followers", "following", "posts", "profile_views"}
    followers = [item.metrics["followers"] for item in days]
    assert followers[-1] > followers[0]


def test_an_x_account_is_read_from_users_me(studio: Studio) -> None:
    account = studio.connect("x", "2244994945")
    with transaction() as write:
        schedule_account(write, studio.workspace_id, account, "x")
    with respx.mock(assert_all_called=True) as platforms:
        me = platforms.get("https://api.x.com/2/users/me").respond(
            200,
            json={
                "data": {
                    "id": "2244994945",
                    "name": "Brand",
                    "username": "brand",
                    "public_metrics": {
                        "followers_count": 583423,
                        "following_count": 2048,
                        "tweet_count": 14052,
                        "listed_count": 1672,
                    },
                }
            },
        )
        assert collect_at(utc_now() + timedelta(seconds=1)).collected == 1
    assert me.calls.last.request.url.params["user.fields"] == "public_metrics"
    [day] = days_of(studio, account)
    assert day.metrics == {"followers": 583423, "following": 2048, "posts": 14052}
    assert day.extras == {"listed_count": 1672}


def test_a_refusing_platform_waits_and_an_unsupported_one_moves_to_the_next_day(
    studio: Studio,
) -> None:
    busy = studio.sandbox(name="Busy", fail_with="retryable")
    refused = studio.sandbox(name="Refused", fail_with="permanent")
    now = utc_now() + timedelta(seconds=1)

    report = collect_at(now)
    assert (report.collected, report.postponed, report.unsupported) == (0, 1, 1)
    busy_due, refused_due = schedule_of(studio, busy).due_at, schedule_of(studio, refused).due_at
    assert busy_due is not None
    assert now < busy_due <= now + timedelta(hours=1)
    assert refused_due is not None
    assert refused_due > now + timedelta(hours=1)
    assert days_of(studio, busy) == days_of(studio, refused) == []


def test_a_disconnected_account_stops_its_schedule(studio: Studio) -> None:
    account = studio.sandbox()
    response = studio.client.delete(f"/v1/accounts/{account}", headers=studio.headers)
    assert response.status_code == 204, response.text

    assert collect_at(utc_now() + timedelta(seconds=1)).stopped == 1
    schedule = schedule_of(studio, account)
    assert schedule.due_at is None
    assert schedule.due_bucket is None


def test_published_targets_are_kept_per_account_newest_first(studio: Studio) -> None:
    account = studio.sandbox()
    posts = [publish_now(studio, account, text=f"post {n}") for n in range(3)]

    latest = list(AccountPostItem.latest(studio.workspace_id, account, utc_now(), limit=2))
    assert [item.post_id for item in latest] == posts[::-1][:2]
    assert latest[0].published_at >= latest[1].published_at
