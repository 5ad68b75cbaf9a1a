"""The queue: weekly time slots (the workspace's, or one account's) in the workspace's timezone;
`POST /v1/posts/{id}/queue` schedules a post in the first slot where none of its accounts has a
post yet. Europe/Berlin skips 02:00-03:00 on 28 March 2027 (EU Directive 2000/84/EC)."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from ulid import ULID

from tests.publish.posts_world import error_codes, problem, set_timezone
from tests.publish.studio import Studio

MONDAY = 0
WEDNESDAY = 2
SUNDAY = 6


@pytest.fixture
def monday_22_march_2027() -> Iterator[None]:
    """11:00 in Berlin on the Monday before the spring change (listed before `studio`)."""
    with time_machine.travel(datetime(2027, 3, 22, 10, 0, tzinfo=UTC), tick=True):
        yield


def put_slots(
    studio: Studio, slots: list[dict[str, Any]], account_id: str | None = None
) -> dict[str, Any]:
    response = studio.client.put(
        "/v1/posts/queue/slots",
        params={"account_id": account_id} if account_id else None,
        json={"slots": slots},
        headers=studio.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def queue(studio: Studio, post_id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = studio.client.post(f"/v1/posts/{post_id}/queue", json=body, headers=studio.headers)
    assert response.status_code == 200, response.text
    queued: dict[str, Any] = response.json()
    return queued


def test_posts_take_the_next_free_slot_of_their_accounts(
    monday_22_march_2027: None, studio: Studio
) -> None:
    set_timezone(studio, "Europe/Berlin")
    cafe, bakery = studio.sandbox("Cafe"), studio.sandbox("Bakery")
    first = put_slots(studio, [{"weekday": MONDAY, "time": "09:00"}])
    # Put again: the new slots replace the old ones, listed in week order, each once.
    slots = [
        {"weekday": WEDNESDAY, "time": "12:30"},
        {"weekday": MONDAY, "time": "09:00"},
        {"weekday": WEDNESDAY, "time": "12:30"},
        {"weekday": MONDAY, "time": "18:00"},
    ]
    stored = put_slots(studio, slots)
    assert first == {"slots": [{"weekday": MONDAY, "time": "09:00"}]}
    assert stored["slots"] == [
        {"weekday": MONDAY, "time": "09:00"},
        {"weekday": MONDAY, "time": "18:00"},
        {"weekday": WEDNESDAY, "time": "12:30"},
    ]
    assert studio.client.get("/v1/posts/queue/slots", headers=studio.headers).json() == stored

    posts = [studio.create(text=f"Post {n}", targets=[{"account_id": cafe}]) for n in range(3)]
    queued = [queue(studio, post["id"]) for post in posts]
    other = queue(studio, studio.create(text="Bakery", targets=[{"account_id": bakery}])["id"])

    # Monday 22 March 11:00 in Berlin: 09:00 has passed, 18:00 is free (CET, +01:00).
    assert [(post["status"], post["scheduled_at"]) for post in queued] == [
        ("scheduled", "2027-03-22T17:00:00+00:00"),
        ("scheduled", "2027-03-24T11:30:00+00:00"),
        # After the change to CEST (+02:00), 09:00 in Berlin is 07:00 UTC.
        ("scheduled", "2027-03-29T07:00:00+00:00"),
    ]
    assert queued[2]["timezone"] == "Europe/Berlin"
    assert studio.stored_schedule(posts[2]["id"])["ScheduleExpression"] == (
        "at(2027-03-29T08:59:00)"
    )
    # Another account's posts leave the cafe's slots free for it.
    assert other["scheduled_at"] == "2027-03-22T17:00:00+00:00"


def test_an_account_s_own_slots_and_a_slot_the_clocks_skip(
    monday_22_march_2027: None, studio: Studio
) -> None:
    set_timezone(studio, "Europe/Berlin")
    cafe, bakery = studio.sandbox("Cafe"), studio.sandbox("Bakery")
    put_slots(studio, [{"weekday": MONDAY, "time": "18:00"}])
    put_slots(studio, [{"weekday": SUNDAY, "time": "02:30"}], account_id=cafe)

    own = studio.client.get(
        "/v1/posts/queue/slots", params={"account_id": cafe}, headers=studio.headers
    )
    assert own.json() == {"slots": [{"weekday": SUNDAY, "time": "02:30"}]}
    post = studio.create(text="Night owls", targets=[{"account_id": cafe}])
    queued = queue(studio, post["id"], {"account_id": cafe})
    # 02:30 does not exist on Sunday 28 March; the next Sunday's is CEST.
    assert queued["scheduled_at"] == "2027-04-04T00:30:00+00:00"

    # An account without slots of its own takes the workspace's.
    other = studio.create(text="Bakery news", targets=[{"account_id": bakery}])
    assert queue(studio, other["id"], {"account_id": bakery})["scheduled_at"] == (
        "2027-03-22T17:00:00+00:00"
    )


def test_queueing_needs_slots_and_known_accounts(studio: Studio) -> None:
    sandbox = studio.sandbox()
    post = studio.create(text="Queued", targets=[{"account_id": sandbox}])
    unknown = str(ULID())

    without_slots = studio.client.post(f"/v1/posts/{post['id']}/queue", headers=studio.headers)
    assert problem(without_slots, 409)["detail"] == (
        "No queue slots are set; add some with PUT /v1/posts/queue/slots."
    )
    for response in (
        studio.client.get(
            "/v1/posts/queue/slots", params={"account_id": unknown}, headers=studio.headers
        ),
        studio.client.put(
            "/v1/posts/queue/slots",
            params={"account_id": unknown},
            json={"slots": []},
            headers=studio.headers,
        ),
        studio.client.post(
            f"/v1/posts/{post['id']}/queue", json={"account_id": unknown}, headers=studio.headers
        ),
    ):
        assert problem(response, 404)["detail"] == f"Account {unknown} was not found."

    bad_slots = studio.client.put(
        "/v1/posts/queue/slots",
        json={"slots": [{"weekday": 7, "time": "9:00"}, {"weekday": 1, "time": "24:00"}]},
        headers=studio.headers,
    )
    assert error_codes(problem(bad_slots, 422)) == {
        ("/body/slots/0/weekday", "less_than_equal"),
        ("/body/slots/0/time", "string_pattern_mismatch"),
        ("/body/slots/1/time", "string_pattern_mismatch"),
    }
    # A post that fails preflight is not queued: 422, and it stays a draft.
    put_slots(studio, [{"weekday": day, "time": "12:00"} for day in range(7)])
    empty = studio.create(text="", targets=[{"account_id": sandbox}])
    refused = studio.client.post(f"/v1/posts/{empty['id']}/queue", headers=studio.headers)
    assert error_codes(problem(refused, 422)) == {(f"/preflight/targets/{sandbox}/text", "empty")}
    assert studio.post(empty["id"])["status"] == "draft"
