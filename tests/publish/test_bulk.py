"""Bulk scheduling by CSV (RFC 4180): valid rows become scheduled posts, invalid rows are
explained, and an invalid row leaves nothing behind: no post, version, calendar entry or schedule.
"""

from datetime import UTC, datetime, timedelta

from ulid import ULID

from functions.publish.adapters.post_items import CalendarItem
from functions.publish.adapters.schedules import post_schedule_name
from tests.publish.posts_world import (
    activity_actions,
    error_codes,
    problem,
    schedule_names,
    set_timezone,
    table_keys,
)
from tests.publish.studio import Studio

CSV = {"Content-Type": "text/csv"}


def upload(studio: Studio, body: str, headers: dict[str, str] | None = None) -> dict[str, object]:
    response = studio.client.post(
        "/v1/posts/bulk", content=body.encode(), headers=(headers or studio.headers) | CSV
    )
    assert response.status_code == 200, response.text
    report: dict[str, object] = response.json()
    return report


def test_valid_rows_are_scheduled_and_invalid_rows_explained_and_left_nowhere(
    march_2027: None, studio: Studio
) -> None:
    set_timezone(studio, "Europe/Berlin")
    sandbox = studio.sandbox()
    x = studio.connect("x", "2244994945")
    elsewhere = str(ULID())  # a well-formed id of no account of this workspace
    rows = [
        "text,accounts,at,labels,first_comment",
        f"Spring menu,{sandbox} {x},2027-04-05T09:00:00,launch;menu,Details inside",
        f"Bad account,{elsewhere},2027-04-05T10:00:00,,",
        f"Bad time,{sandbox},next tuesday,,",
        f'"{"far too long for X " * 20}",{x},2027-04-05T11:00:00,,',
        f"Past,{sandbox},2027-02-01T09:00:00Z,,",
        f"Skipped by the clocks,{sandbox},2027-03-28T02:30:00,,",
        "Not an id,not-an-id,2027-04-05T12:00:00,,",
        f'"Quoted, with a comma",{sandbox},2027-04-06T09:00:00+02:00,,',
    ]

    report = upload(studio, "\r\n".join(rows) + "\r\n")

    assert (report["created"], report["invalid"]) == (2, 6)
    by_row = {row["row"]: row for row in report["rows"]}  # type: ignore[attr-defined]
    assert [by_row[line]["status"] for line in range(2, 10)] == [
        "created",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "created",
    ]
    assert [(p["code"], p["field"]) for p in by_row[3]["problems"]] == [
        ("account_not_found", f"targets/{elsewhere}/account_id")
    ]
    assert [(p["code"], p["field"]) for p in by_row[4]["problems"]] == [("time", "at")]
    assert by_row[4]["problems"][0]["message"] == "`next tuesday` is not an RFC 3339 time."
    assert [(p["code"], p["field"]) for p in by_row[5]["problems"]] == [
        ("text_too_long", f"targets/{x}/text")
    ]
    assert [(p["code"], p["field"]) for p in by_row[6]["problems"]] == [("past", "at")]
    assert [(p["code"], p["field"]) for p in by_row[7]["problems"]] == [("nonexistent_time", "at")]
    (bad_id,) = by_row[8]["problems"]
    assert (bad_id["code"], bad_id["field"]) == ("string_pattern_mismatch", "accounts")
    assert bad_id["message"].endswith(": `not-an-id`")

    first, last = by_row[2]["post_id"], by_row[9]["post_id"]
    spring = studio.post(first)
    assert spring["status"] == "scheduled"
    assert spring["scheduled_at"] == "2027-04-05T07:00:00+00:00"
    assert spring["labels"] == ["launch", "menu"]
    assert [t["account_id"] for t in spring["targets"]] == [sandbox, x]
    assert {t["first_comment"] for t in spring["targets"]} == {"Details inside"}
    assert studio.post(last)["text"] == "Quoted, with a comma"
    assert studio.stored_schedule(first)["ScheduleExpression"] == "at(2027-04-05T08:59:00)"
    # Only the two valid rows left anything in the table or the scheduler.
    assert {key.split("#")[1] for key in table_keys(studio.workspace_id, "POST#")} == {first, last}
    assert {key.split("#")[1] for key in table_keys(studio.workspace_id, "POSTVER#")} == {
        first,
        last,
    }
    assert {key.split("#")[-1] for key in table_keys(studio.workspace_id, "CAL#")} == {first, last}
    assert schedule_names() == {
        post_schedule_name(studio.workspace_id, first),
        post_schedule_name(studio.workspace_id, last),
    }
    actions = activity_actions(studio)
    assert (actions.count("post.created"), actions.count("post.scheduled")) == (2, 2)


def test_rows_count_against_the_daily_quota_with_the_rows_before_them(studio: Studio) -> None:
    sandbox = studio.sandbox()  # the sandbox takes 50 posts in any 24 hours
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    # 48 posts already on the calendar (as scheduling leaves them), the hour before the file's.
    with CalendarItem.batch_write() as batch:
        for n in range(48):
            at = start - timedelta(minutes=n + 1)
            post_id = str(ULID())
            batch.save(
                CalendarItem(
                    *CalendarItem.keys(studio.workspace_id, at, post_id),
                    post_id=post_id,
                    scheduled_at=at,
                    account_ids={sandbox},
                )
            )
    rows = ["text,accounts,at"] + [
        f"Post {n},{sandbox},{(start + timedelta(minutes=n)).isoformat()}" for n in range(3)
    ]

    report = upload(studio, "\n".join(rows))

    assert (report["created"], report["invalid"]) == (2, 1)
    last = report["rows"][-1]  # type: ignore[index]
    assert (last["row"], last["status"]) == (4, "invalid")
    (over,) = last["problems"]
    assert (over["code"], over["field"]) == ("quota_exceeded", f"targets/{sandbox}")
    assert over["message"] == "Sandbox would publish 51 posts within 24 hours; Sandbox allows 50."
    assert len(table_keys(studio.workspace_id, "POST#")) == 2
    assert len(schedule_names()) == 2


def test_a_file_that_cannot_be_read_as_a_whole_is_refused_with_nothing_created(
    studio: Studio,
) -> None:
    sandbox = studio.sandbox()

    def refused(body: bytes, content_type: str = "text/csv") -> dict[str, object]:
        response = studio.client.post(
            "/v1/posts/bulk",
            content=body,
            headers=studio.headers | {"Content-Type": content_type},
        )
        return problem(response, 422)

    at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    missing = refused(f"text,at\nHello,{at}".encode())
    assert missing["detail"] == "The header row lacks accounts."
    assert error_codes(missing) == {("/body", "columns")}
    unknown = refused(f"text,accounts,at,colour\nHello,{sandbox},{at},red".encode())
    assert unknown["detail"] == "Unknown columns: colour."
    assert refused(b"text,accounts,at\n")["detail"] == "The file has no rows."
    assert refused(b"")["errors"][0]["pointer"] == "/body"  # type: ignore[index]
    latin1 = f"text,accounts,at\nCaf\xe9,{sandbox},{at}".encode("latin-1")
    assert refused(latin1)["detail"] == "The file is not UTF-8 text."
    too_many = "text,accounts,at\n" + f"Hello,{sandbox},{at}\n" * 501
    assert refused(too_many.encode())["detail"] == "At most 500 rows per file."
    too_big = "text,accounts,at\n" + "x" * (1024 * 1024)
    assert refused(too_big.encode())["detail"] == "The file is larger than 1024 KB."
    assert table_keys(studio.workspace_id, "POST#") == []
    assert schedule_names() == set()
