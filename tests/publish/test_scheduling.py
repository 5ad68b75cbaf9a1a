"""Scheduling: the EventBridge Scheduler schedule of a post, wall times across daylight-saving
changes, rescheduling and cancelling, publishing now, recurrence and quotas.

EventBridge Scheduler reads a one-time `at(yyyy-mm-ddThh:mm:ss)` expression in
`ScheduleExpressionTimezone` (https://docs.aws.amazon.com/scheduler/latest/UserGuide/
schedule-types.html#one-time), so the schedule holds the local wall time and its zone.
Europe/Berlin in 2027 moves from CET (+01:00) to CEST (+02:00) on 28 March at 02:00 local time
and back on 31 October at 03:00 local time (EU Directive 2000/84/EC: the last Sundays of March
and October, 01:00 UTC). America/New_York in 2026 moves from EST (-05:00) to EDT (-04:00) on
8 March at 02:00 local time and back on 1 November at 02:00 (US Energy Policy Act of 2005: the
second Sunday of March, the first of November), so 01:30 happens twice on 1 November.

A wall time that happens twice means the first (RFC 5545 section 3.3.5,
https://www.rfc-editor.org/rfc/rfc5545#section-3.3.5); a recurrence's occurrence whose wall time
the clocks skip is left out (section 3.3.10: such instances "MUST be ignored"); a one-off wall
time the clocks skip is refused, so the caller chooses instead of Herald guessing.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from ulid import ULID

from functions.publish.adapters.post_items import CalendarItem
from functions.publish.adapters.schedules import post_schedule_name
from tests.publish.posts_world import (
    activity_actions,
    error_codes,
    problem,
    sandbox_published,
    schedule_exists,
    schedule_names,
    set_timezone,
    table_keys,
)
from tests.publish.studio import Studio, run_worker


def calendar(studio: Studio, start: str, end: str) -> list[dict[str, str]]:
    response = studio.client.get(
        "/v1/posts/calendar", params={"from": start, "to": end}, headers=studio.headers
    )
    assert response.status_code == 200, response.text
    return [
        {"id": post["id"], "scheduled_at": post["scheduled_at"]}
        for post in response.json()["items"]
    ]


def test_nine_o_clock_in_berlin_stays_nine_o_clock_across_the_spring_change(
    march_2027: None, studio: Studio
) -> None:
    set_timezone(studio, "Europe/Berlin")
    sandbox = studio.sandbox()
    winter = studio.create(text="Winter hours", targets=[{"account_id": sandbox}])
    summer = studio.create(text="Summer hours", targets=[{"account_id": sandbox}])
    offset = studio.create(text="Given with an offset", targets=[{"account_id": sandbox}])

    before = studio.schedule(winter["id"], "2027-03-22T09:00:00")
    after = studio.schedule(summer["id"], "2027-04-05T09:00:00")
    # The same moment named with an offset: the schedule still holds Berlin's wall time.
    with_offset = studio.schedule(offset["id"], "2027-04-06T09:00:00+02:00")

    assert (before["scheduled_at"], before["timezone"]) == (
        "2027-03-22T08:00:00+00:00",
        "Europe/Berlin",
    )
    assert after["scheduled_at"] == "2027-04-05T07:00:00+00:00"
    assert with_offset["scheduled_at"] == "2027-04-06T07:00:00+00:00"
    for post_id, expression in [
        (winter["id"], "at(2027-03-22T08:59:00)"),
        (summer["id"], "at(2027-04-05T08:59:00)"),
        (offset["id"], "at(2027-04-06T08:59:00)"),
    ]:
        stored = studio.stored_schedule(post_id)
        assert stored["ScheduleExpression"] == expression
        assert stored["ScheduleExpressionTimezone"] == "Europe/Berlin"
        assert stored["ActionAfterCompletion"] == "DELETE"
        assert stored["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert json.loads(stored["Target"]["Input"])["post_id"] == post_id
    # The calendar is asked in UTC and answers in time order.
    assert calendar(studio, "2027-03-01T00:00:00Z", "2027-05-01T00:00:00Z") == [
        {"id": winter["id"], "scheduled_at": "2027-03-22T08:00:00+00:00"},
        {"id": summer["id"], "scheduled_at": "2027-04-05T07:00:00+00:00"},
        {"id": offset["id"], "scheduled_at": "2027-04-06T07:00:00+00:00"},
    ]
    # Without an offset, the calendar's bounds are Berlin wall times too.
    assert [
        entry["id"] for entry in calendar(studio, "2027-04-05T09:00:00", "2027-04-06T09:00:00")
    ] == [summer["id"]]


def test_a_wall_time_the_clocks_skip_is_refused_and_a_repeated_one_means_the_first(
    march_2027: None, studio: Studio
) -> None:
    set_timezone(studio, "Europe/Berlin")
    sandbox = studio.sandbox()
    post = studio.create(text="Early bird", targets=[{"account_id": sandbox}])

    skipped = studio.client.post(
        f"/v1/posts/{post['id']}/schedule",
        json={"at": "2027-03-28T02:30:00"},
        headers=studio.headers,
    )
    body = problem(skipped, 422)
    assert error_codes(body) == {("/body/at", "nonexistent_time")}
    assert "does not exist in Europe/Berlin" in body["detail"]
    assert not schedule_exists(post["id"])
    assert studio.post(post["id"])["status"] == "draft"

    skipped_bound = studio.client.get(
        "/v1/posts/calendar",
        params={"from": "2027-03-28T02:30:00", "to": "2027-03-29T00:00:00"},
        headers=studio.headers,
    )
    assert error_codes(problem(skipped_bound, 422)) == {("/query/from", "nonexistent_time")}

    # `until` is a day in Berlin: 00:30 on 1 April (22:30 UTC on 31 March) is after 31 March.
    ends_before = studio.client.post(
        f"/v1/posts/{post['id']}/schedule",
        json={
            "at": "2027-04-01T00:30:00",
            "recurrence": {"every": 1, "unit": "days", "until": "2027-03-31"},
        },
        headers=studio.headers,
    )
    assert error_codes(problem(ends_before, 422)) == {("/body/recurrence/until", "range")}

    # 02:30 happens twice on 31 October: first in CEST (00:30 UTC), then in CET (01:30 UTC).
    repeated = studio.schedule(post["id"], "2027-10-31T02:30:00")
    assert repeated["scheduled_at"] == "2027-10-31T00:30:00+00:00"
    assert schedule_expression(studio, post["id"]) == ("at(2027-10-31T00:29:00)", "UTC")


@pytest.fixture
def february_2026() -> Iterator[None]:
    """The clock runs from 2026-02-02 10:00 UTC, before both of New York's 2026 changes."""
    with time_machine.travel(datetime(2026, 2, 2, 10, 0, tzinfo=UTC), tick=True):
        yield


def schedule_expression(studio: Studio, post_id: str) -> tuple[str, str]:
    stored = studio.stored_schedule(post_id)
    return stored["ScheduleExpression"], stored["ScheduleExpressionTimezone"]


def test_new_york_one_offs_in_the_repeated_hour_mean_the_first_and_the_skipped_hour_is_refused(
    february_2026: None, studio: Studio
) -> None:
    set_timezone(studio, "America/New_York")
    sandbox = studio.sandbox()
    first, second, after, skipped = (
        studio.create(text=text, targets=[{"account_id": sandbox}])
        for text in ("First 01:30", "Second 01:30", "02:30 EST", "Never")
    )

    refused = studio.client.post(
        f"/v1/posts/{skipped['id']}/schedule",
        json={"at": "2026-03-08T02:30:00"},
        headers=studio.headers,
    )
    assert error_codes(problem(refused, 422)) == {("/body/at", "nonexistent_time")}
    assert not schedule_exists(skipped["id"])

    # 01:30 EDT is 05:30 UTC; 01:30 EST, an hour later, only with its offset.
    assert studio.schedule(first["id"], "2026-11-01T01:30:00")["scheduled_at"] == (
        "2026-11-01T05:30:00+00:00"
    )
    assert studio.schedule(second["id"], "2026-11-01T01:30:00-05:00")["scheduled_at"] == (
        "2026-11-01T06:30:00+00:00"
    )
    assert studio.schedule(after["id"], "2026-11-01T02:30:00")["scheduled_at"] == (
        "2026-11-01T07:30:00+00:00"
    )
    # Scheduler is not told "01:29 New York", which names two moments, but the moment in UTC.
    assert schedule_expression(studio, first["id"]) == ("at(2026-11-01T05:29:00)", "UTC")
    assert schedule_expression(studio, second["id"]) == ("at(2026-11-01T06:29:00)", "UTC")
    assert schedule_expression(studio, after["id"]) == (
        "at(2026-11-01T02:29:00)",
        "America/New_York",
    )


def test_a_daily_post_in_new_york_crosses_both_changes_at_its_wall_time(
    february_2026: None, studio: Studio
) -> None:
    """Fired through the worker: each firing creates the next occurrence."""
    set_timezone(studio, "America/New_York")
    sandbox = studio.sandbox()
    spring = studio.create(text="Night owl", targets=[{"account_id": sandbox}])
    autumn = studio.create(text="Late show", targets=[{"account_id": sandbox}])
    studio.schedule(
        spring["id"],
        "2026-03-07T02:30:00",
        recurrence={"every": 1, "unit": "days", "until": "2026-03-09"},
    )
    studio.schedule(
        autumn["id"],
        "2026-10-31T01:30:00",
        recurrence={"every": 1, "unit": "days", "until": "2026-11-02"},
    )

    # 02:30 does not exist on 8 March: the series goes on on 9 March, at 02:30 EDT.
    assert studio.fire(spring["id"])["result"]["outcome"] == "published"
    (after_spring,) = calendar(studio, "2026-03-07T12:00:00Z", "2026-03-31T00:00:00Z")
    assert after_spring["scheduled_at"] == "2026-03-09T06:30:00+00:00"

    # 01:30 on 1 November is the first one, in EDT; on 2 November it is in EST.
    assert studio.fire(autumn["id"])["result"]["outcome"] == "published"
    (on_the_change,) = calendar(studio, "2026-10-31T12:00:00Z", "2026-11-30T00:00:00Z")
    assert on_the_change["scheduled_at"] == "2026-11-01T05:30:00+00:00"
    assert schedule_expression(studio, on_the_change["id"]) == ("at(2026-11-01T05:29:00)", "UTC")
    assert studio.fire(on_the_change["id"])["result"]["outcome"] == "published"
    (after_autumn,) = calendar(studio, "2026-11-01T12:00:00Z", "2026-11-30T00:00:00Z")
    assert after_autumn["scheduled_at"] == "2026-11-02T06:30:00+00:00"
    assert schedule_expression(studio, after_autumn["id"]) == (
        "at(2026-11-02T01:29:00)",
        "America/New_York",
    )
    assert sorted(sandbox_published(studio, sandbox)) == ["Late show", "Late show", "Night owl"]


def test_a_weekly_post_created_in_march_keeps_nine_o_clock_after_the_change(
    march_2027: None, studio: Studio
) -> None:
    set_timezone(studio, "Europe/Berlin")
    sandbox = studio.sandbox()
    post = studio.create(text="Weekly specials", targets=[{"account_id": sandbox}])
    first = studio.schedule(
        post["id"],
        "2027-03-22T09:00:00",
        recurrence={"every": 1, "unit": "weeks", "until": "2027-03-29"},
    )
    assert first["recurrence"] == {"every": 1, "unit": "weeks", "until": "2027-03-29"}
    assert first["series_id"] == post["id"]

    with time_machine.travel(datetime(2027, 3, 22, 8, 0, 5, tzinfo=UTC), tick=True):
        report = studio.fire(post["id"])
    assert report["result"]["outcome"] == "published"

    # The worker created the next occurrence: a week later at 09:00 Berlin, now CEST.
    (following,) = calendar(studio, "2027-03-23T00:00:00Z", "2027-04-30T00:00:00Z")
    second = studio.post(following["id"])
    assert second["id"] != post["id"]
    assert second["status"] == "scheduled"
    assert second["scheduled_at"] == "2027-03-29T07:00:00+00:00"
    assert second["timezone"] == "Europe/Berlin"
    assert second["series_id"] == post["id"]
    assert second["text"] == "Weekly specials"
    assert second["targets"] == post["targets"]
    stored = studio.stored_schedule(second["id"])
    assert stored["ScheduleExpression"] == "at(2027-03-29T08:59:00)"
    assert stored["ScheduleExpressionTimezone"] == "Europe/Berlin"

    # The series ends on 29 March: firing that occurrence creates none after it.
    with time_machine.travel(datetime(2027, 3, 29, 7, 0, 5, tzinfo=UTC), tick=True):
        assert studio.fire(second["id"])["result"]["outcome"] == "published"
    assert [
        entry["id"] for entry in calendar(studio, "2027-03-30T00:00:00Z", "2028-01-01T00:00:00Z")
    ] == []
    assert sandbox_published(studio, sandbox) == ["Weekly specials", "Weekly specials"]


def in_minutes(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


def test_a_post_is_rescheduled_and_cancelled_and_a_stale_firing_publishes_nothing(
    studio: Studio,
) -> None:
    sandbox = studio.sandbox()
    post = studio.create(text="Doors open at noon", targets=[{"account_id": sandbox}])
    first_at = in_minutes(30)
    studio.schedule(post["id"], first_at, recurrence={"every": 2, "unit": "days"})
    first_firing = json.loads(studio.stored_schedule(post["id"])["Target"]["Input"])

    second_at = in_minutes(90)
    moved = studio.schedule(post["id"], second_at)
    second_firing = json.loads(studio.stored_schedule(post["id"])["Target"]["Input"])

    assert moved["status"] == "scheduled"
    # Moving keeps the recurrence; cancelling ends it (below).
    assert moved["recurrence"] == {"every": 2, "unit": "days", "until": None}
    assert moved["scheduled_at"] == datetime.fromisoformat(second_at).isoformat()
    assert second_firing["fire_id"] != first_firing["fire_id"]
    # One schedule per post, moved; one calendar entry, moved.
    assert schedule_names() == {post_schedule_name(studio.workspace_id, post["id"])}
    stamp = datetime.fromisoformat(second_at).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert table_keys(studio.workspace_id, "CAL#") == [f"CAL#{stamp}#{post['id']}"]
    # The first schedule's firing, delivered late, is stale: nothing is published.
    assert run_worker(first_firing)["result"]["outcome"] == "stale"
    assert sandbox_published(studio, sandbox) == []

    cancelled = studio.client.delete(f"/v1/posts/{post['id']}/schedule", headers=studio.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "draft"
    assert cancelled.json()["scheduled_at"] is None
    assert cancelled.json()["recurrence"] is None
    assert not schedule_exists(post["id"])
    assert table_keys(studio.workspace_id, "CAL#") == []
    assert run_worker(second_firing)["result"]["outcome"] == "stale"
    assert sandbox_published(studio, sandbox) == []
    again = studio.client.delete(f"/v1/posts/{post['id']}/schedule", headers=studio.headers)
    assert problem(again, 409)["detail"] == f"Post {post['id']} is not scheduled."
    assert activity_actions(studio)[:3] == ["post.unscheduled", "post.scheduled", "post.scheduled"]


def test_deleting_a_scheduled_post_removes_its_schedule_calendar_entry_and_history(
    studio: Studio,
) -> None:
    sandbox = studio.sandbox()
    post = studio.create(text="Soon gone", targets=[{"account_id": sandbox}])
    studio.schedule(post["id"], in_minutes(30))
    edited = studio.client.patch(
        f"/v1/posts/{post['id']}", json={"text": "Soon gone, edited"}, headers=studio.headers
    )
    assert edited.status_code == 200, edited.text
    firing = json.loads(studio.stored_schedule(post["id"])["Target"]["Input"])

    deleted = studio.client.delete(f"/v1/posts/{post['id']}", headers=studio.headers)

    assert deleted.status_code == 204, deleted.text
    assert studio.client.get(f"/v1/posts/{post['id']}", headers=studio.headers).status_code == 404
    assert not schedule_exists(post["id"])
    assert table_keys(studio.workspace_id, "CAL#") == []
    assert table_keys(studio.workspace_id, f"POSTVER#{post['id']}") == []
    assert run_worker(firing)["result"]["outcome"] == "stale"
    assert sandbox_published(studio, sandbox) == []


def test_scheduling_counts_the_account_s_other_posts_against_its_daily_limit(
    studio: Studio,
) -> None:
    sandbox = studio.sandbox()  # 50 posts in any 24 hours
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    # 49 posts already on the calendar (as scheduling leaves them) in the two hours before.
    with CalendarItem.batch_write() as batch:
        for n in range(49):
            at = start - timedelta(minutes=2 * n + 1)
            other = str(ULID())
            batch.save(
                CalendarItem(
                    *CalendarItem.keys(studio.workspace_id, at, other),
                    post_id=other,
                    scheduled_at=at,
                    account_ids={sandbox},
                )
            )
    fiftieth = studio.create(text="Fiftieth", targets=[{"account_id": sandbox}])
    one_more = studio.create(text="One too many", targets=[{"account_id": sandbox}])

    studio.schedule(fiftieth["id"], start.isoformat())
    # Moving it does not count it twice.
    studio.schedule(fiftieth["id"], (start + timedelta(minutes=1)).isoformat())
    refused = studio.client.post(
        f"/v1/posts/{one_more['id']}/schedule",
        json={"at": (start + timedelta(minutes=2)).isoformat()},
        headers=studio.headers,
    )
    body = problem(refused, 422)
    assert error_codes(body) == {(f"/preflight/targets/{sandbox}", "quota_exceeded")}
    assert body["errors"][0]["detail"] == (
        "Sandbox would publish 51 posts within 24 hours; Sandbox allows 50."
    )
    assert not schedule_exists(one_more["id"])
    # A day later there is room again.
    later = studio.schedule(one_more["id"], (start + timedelta(hours=24)).isoformat())
    assert later["status"] == "scheduled"
