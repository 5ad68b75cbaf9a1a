"""Every route of posts and templates refuses malformed input with a precise 4xx problem: bad ids,
bad bodies, unknown fields and bad query parameters each name the offending input (a JSON pointer
and a code), and nothing is written. Routes are found by walking the app, so a new route without
cases here fails `test_every_route_has_malformed_input_cases`."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.publish.posts_world import (
    error_codes,
    post_routes,
    problem,
    schedule_names,
)
from tests.publish.studio import Studio
from tests.support.snapshots import workspace_items

BAD_ID = "01hzzzzzzzzzzzzzzzzzzzzzzz"  # a ULID must be upper-case Crockford base32
SHORT_ID = "01HZ"


@dataclass(frozen=True)
class Bad:
    method: str
    url: str  # `{post}` and `{template}` stand for a real post and template of the workspace
    body: Any = None
    errors: frozenset[tuple[str, str]] = frozenset()
    status: int = 422
    detail: str | None = None
    raw: bytes | None = None  # sent as is, with `content_type`
    content_type: str = "application/json"


def bad(method: str, url: str, body: Any = None, *errors: tuple[str, str], **kw: Any) -> Bad:
    return Bad(method, url, body, frozenset(errors), **kw)


def _in(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


CASES: dict[tuple[str, str], list[Bad]] = {
    ("GET", "/v1/posts"): [
        bad("GET", "/v1/posts?status=live", None, ("/query/status", "literal_error")),
        bad(
            "GET",
            "/v1/posts?account_id=acme",
            None,
            ("/query/account_id", "string_pattern_mismatch"),
        ),
        bad("GET", "/v1/posts?from=yesterday", None, ("/query/from", "rfc3339_date_time")),
        # Pydantic alone reads a number as a Unix time and a bare date as midnight.
        bad("GET", "/v1/posts?from=1900000000", None, ("/query/from", "rfc3339_date_time")),
        bad("GET", "/v1/posts?to=2030-01-01", None, ("/query/to", "rfc3339_date_time")),
        bad(
            "GET",
            "/v1/posts?from=0001-01-01T00:00:00%2B01:00",
            None,
            ("/query/from", "date_time_out_of_range"),
        ),
        bad("GET", "/v1/posts?label=a%0D%0Ab", None, ("/query/label", "control_character")),
        bad("GET", "/v1/posts?label=", None, ("/query/label", "string_too_short")),
        bad("GET", "/v1/posts?limit=0", None, ("/query/limit", "greater_than_equal")),
        bad("GET", "/v1/posts?limit=101", None, ("/query/limit", "less_than_equal")),
        bad(
            "GET",
            "/v1/posts?cursor=bm90IGEgY3Vyc29y",
            status=400,
            detail="The cursor is not one this API issued.",
        ),
    ],
    ("POST", "/v1/posts"): [
        bad("POST", "/v1/posts", {"text": 7}, ("/body/text", "string_type")),
        bad(
            "POST",
            "/v1/posts",
            {"text": "Hi", "status": "published"},
            ("/body/status", "extra_forbidden"),
        ),
        bad(
            "POST",
            "/v1/posts",
            {"media": ["photo.jpg"]},
            ("/body/media/0", "string_pattern_mismatch"),
        ),
        bad(
            "POST",
            "/v1/posts",
            {"targets": [{"account_id": BAD_ID}]},
            ("/body/targets/0/account_id", "string_pattern_mismatch"),
        ),
        bad(
            "POST",
            "/v1/posts",
            {"targets": [{"account_id": "01HZ0000000000000000000000", "colour": "red"}]},
            ("/body/targets/0/colour", "extra_forbidden"),
        ),
        bad(
            "POST",
            "/v1/posts",
            {"targets": [{"account_id": "01HZ0000000000000000000000"}] * 2},
            ("/body", "value_error"),
        ),
        bad(
            "POST",
            "/v1/posts",
            {
                "targets": [
                    {"account_id": "01HZ0000000000000000000000", "thread": [{"text": "t"}] * 25}
                ]
            },
            ("/body/targets/0/thread", "too_long"),
        ),
        bad("POST", "/v1/posts", {"labels": ["   "]}, ("/body/labels/0", "string_too_short")),
        bad(
            "POST",
            "/v1/posts",
            {"labels": ["launch\u2028day"]},
            ("/body/labels/0", "control_character"),
        ),
        bad("POST", "/v1/posts", {"text": "a" * 63207}, ("/body/text", "string_too_long")),
        bad("POST", "/v1/posts", None, ("/body/9", "json_invalid"), raw=b'{"text": '),
        bad("POST", "/v1/posts", ["not", "an", "object"], ("/body", "model_attributes_type")),
    ],
    ("GET", "/v1/posts/calendar"): [
        bad("GET", "/v1/posts/calendar?to=2027-01-02T00:00:00Z", None, ("/query/from", "missing")),
        bad(
            "GET",
            "/v1/posts/calendar?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z",
            None,
            ("/query/to", "range"),
        ),
        bad(
            "GET",
            "/v1/posts/calendar?from=soon&to=2027-01-01T00:00:00Z",
            None,
            ("/query/from", "rfc3339_date_time"),
        ),
    ],
    ("GET", "/v1/posts/settings"): [
        bad(
            "GET",
            "/v1/posts/settings",
            None,
            ("/header/X-Workspace-Id", "string_pattern_mismatch"),
            detail="1 field is invalid.",
        ),
    ],
    ("PUT", "/v1/posts/settings"): [
        bad("PUT", "/v1/posts/settings", {}, ("/body/approval_required", "missing")),
        bad(
            "PUT",
            "/v1/posts/settings",
            {"approval_required": "perhaps"},
            ("/body/approval_required", "bool_parsing"),
        ),
        bad(
            "PUT",
            "/v1/posts/settings",
            {"approval_required": True, "quorum": 2},
            ("/body/quorum", "extra_forbidden"),
        ),
    ],
    ("GET", "/v1/posts/queue/slots"): [
        bad(
            "GET",
            f"/v1/posts/queue/slots?account_id={SHORT_ID}",
            None,
            ("/query/account_id", "string_pattern_mismatch"),
        ),
    ],
    ("PUT", "/v1/posts/queue/slots"): [
        bad(
            "PUT",
            "/v1/posts/queue/slots",
            {"slots": [{"weekday": -1, "time": "09:00"}]},
            ("/body/slots/0/weekday", "greater_than_equal"),
        ),
        bad(
            "PUT",
            "/v1/posts/queue/slots",
            {"slots": [{"weekday": 1, "time": "9am"}]},
            ("/body/slots/0/time", "string_pattern_mismatch"),
        ),
        bad(
            "PUT",
            "/v1/posts/queue/slots",
            {"slots": [{"weekday": 1, "time": "09:00"}] * 101},
            ("/body/slots", "too_long"),
        ),
    ],
    ("POST", "/v1/posts/queue/slots/best-times"): [
        bad(
            "POST",
            "/v1/posts/queue/slots/best-times",
            {"account_id": SHORT_ID},
            ("/body/account_id", "string_pattern_mismatch"),
        ),
        bad(
            "POST",
            "/v1/posts/queue/slots/best-times",
            {"account_id": "01JB8Z6D3W5Y7A9C1E3G5J7K9M", "count": 0},
            ("/body/count", "greater_than_equal"),
        ),
    ],
    ("POST", "/v1/posts/bulk"): [
        bad("POST", "/v1/posts/bulk", None, ("/body", "missing"), raw=b"", content_type="text/csv"),
        bad(
            "POST",
            "/v1/posts/bulk",
            None,
            ("/body", "columns"),
            raw=b"when,where\n1,2\n",
            content_type="text/csv",
        ),
    ],
    ("GET", "/v1/posts/{post_id}"): [
        bad("GET", f"/v1/posts/{BAD_ID}", None, ("/path/post_id", "string_pattern_mismatch")),
        bad("GET", f"/v1/posts/{SHORT_ID}", None, ("/path/post_id", "string_pattern_mismatch")),
    ],
    ("PATCH", "/v1/posts/{post_id}"): [
        bad(
            "PATCH",
            f"/v1/posts/{BAD_ID}",
            {"text": "Hi"},
            ("/path/post_id", "string_pattern_mismatch"),
        ),
        bad("PATCH", "/v1/posts/{post}", {"revision": 0}, ("/body/revision", "greater_than_equal")),
        bad(
            "PATCH",
            "/v1/posts/{post}",
            {"status": "published"},
            ("/body/status", "extra_forbidden"),
        ),
        bad("PATCH", "/v1/posts/{post}", {"media": [7]}, ("/body/media/0", "string_type")),
    ],
    ("DELETE", "/v1/posts/{post_id}"): [
        bad("DELETE", f"/v1/posts/{BAD_ID}", None, ("/path/post_id", "string_pattern_mismatch")),
    ],
    ("POST", "/v1/posts/{post_id}/duplicate"): [
        bad(
            "POST",
            f"/v1/posts/{BAD_ID}/duplicate",
            None,
            ("/path/post_id", "string_pattern_mismatch"),
        ),
    ],
    ("GET", "/v1/posts/{post_id}/versions"): [
        bad(
            "GET",
            f"/v1/posts/{BAD_ID}/versions",
            None,
            ("/path/post_id", "string_pattern_mismatch"),
        ),
        bad("GET", "/v1/posts/{post}/versions?limit=many", None, ("/query/limit", "int_parsing")),
        bad(
            "GET",
            "/v1/posts/{post}/versions?cursor=%%%",
            status=400,
            detail="The cursor is not one this API issued.",
        ),
    ],
    ("POST", "/v1/posts/{post_id}/validate"): [
        bad(
            "POST",
            f"/v1/posts/{BAD_ID}/validate",
            None,
            ("/path/post_id", "string_pattern_mismatch"),
        ),
    ],
    ("POST", "/v1/posts/{post_id}/schedule"): [
        bad(
            "POST",
            f"/v1/posts/{BAD_ID}/schedule",
            {"at": "2030-01-01T09:00:00Z"},
            ("/path/post_id", "string_pattern_mismatch"),
        ),
        bad("POST", "/v1/posts/{post}/schedule", {}, ("/body/at", "missing")),
        bad(
            "POST",
            "/v1/posts/{post}/schedule",
            {"at": "tomorrow morning"},
            ("/body/at", "rfc3339_date_time"),
        ),
        bad(
            "POST",
            "/v1/posts/{post}/schedule",
            {"at": 1900000000},
            ("/body/at", "rfc3339_date_time"),
            detail="1 field is invalid.",
        ),
        bad(
            "POST",
            "/v1/posts/{post}/schedule",
            {"at": "2030-01-01T09:00"},
            ("/body/at", "rfc3339_date_time"),
        ),
        bad(
            "POST",
            "/v1/posts/{post}/schedule",
            {
                "at": "2030-01-01T09:00:00Z",
                "recurrence": {"every": 1, "unit": "days", "until": "2030-02-01T00:00:00"},
            },
            ("/body/recurrence/until", "rfc3339_date"),
        ),
        bad(
            "POST",
            "/v1/posts/{post}/schedule",
            {"at": "2020-01-01T09:00:00Z"},
            ("/body/at", "past"),
        ),
        bad(
            "POST",
            "/v1/posts/{post}/schedule",
            {"at": "2030-01-01T09:00:00Z", "recurrence": {"every": 0, "unit": "months"}},
            ("/body/recurrence/every", "greater_than_equal"),
            ("/body/recurrence/unit", "literal_error"),
        ),
        bad(
            "POST",
            "/v1/posts/{post}/schedule",
            {
                "at": "2030-01-10T09:00:00Z",
                "recurrence": {"every": 1, "unit": "days", "until": "2030-01-09"},
            },
            ("/body/recurrence/until", "range"),
        ),
        bad(
            "POST",
            "/v1/posts/{post}/schedule",
            {"at": "2030-01-01T09:00:00Z", "flexible": True},
            ("/body/flexible", "extra_forbidden"),
        ),
    ],
    ("DELETE", "/v1/posts/{post_id}/schedule"): [
        bad(
            "DELETE",
            f"/v1/posts/{BAD_ID}/schedule",
            None,
            ("/path/post_id", "string_pattern_mismatch"),
        ),
    ],
    ("POST", "/v1/posts/{post_id}/publish"): [
        bad(
            "POST",
            f"/v1/posts/{BAD_ID}/publish",
            None,
            ("/path/post_id", "string_pattern_mismatch"),
        ),
    ],
    ("POST", "/v1/posts/{post_id}/queue"): [
        bad(
            "POST", f"/v1/posts/{BAD_ID}/queue", None, ("/path/post_id", "string_pattern_mismatch")
        ),
        bad(
            "POST",
            "/v1/posts/{post}/queue",
            {"account_id": "acme"},
            ("/body/account_id", "string_pattern_mismatch"),
        ),
        bad("POST", "/v1/posts/{post}/queue", {"slot": 3}, ("/body/slot", "extra_forbidden")),
    ],
    ("POST", "/v1/posts/{post_id}/retry"): [
        bad(
            "POST", f"/v1/posts/{BAD_ID}/retry", None, ("/path/post_id", "string_pattern_mismatch")
        ),
    ],
    ("POST", "/v1/posts/{post_id}/submit"): [
        bad(
            "POST", f"/v1/posts/{BAD_ID}/submit", None, ("/path/post_id", "string_pattern_mismatch")
        ),
    ],
    ("POST", "/v1/posts/{post_id}/approve"): [
        bad(
            "POST",
            f"/v1/posts/{BAD_ID}/approve",
            None,
            ("/path/post_id", "string_pattern_mismatch"),
        ),
        bad("POST", "/v1/posts/{post}/approve", {"comment": 5}, ("/body/comment", "string_type")),
        bad(
            "POST",
            "/v1/posts/{post}/approve",
            {"comment": "c" * 2001},
            ("/body/comment", "string_too_long"),
        ),
    ],
    ("POST", "/v1/posts/{post_id}/reject"): [
        bad("POST", "/v1/posts/{post}/reject", {}, ("/body/comment", "missing")),
        bad(
            "POST",
            "/v1/posts/{post}/reject",
            {"comment": ""},
            ("/body/comment", "string_too_short"),
        ),
        bad(
            "POST",
            f"/v1/posts/{BAD_ID}/reject",
            {"comment": "No"},
            ("/path/post_id", "string_pattern_mismatch"),
        ),
    ],
    ("GET", "/v1/templates"): [
        bad(
            "GET",
            "/v1/templates?category=Big%20News",
            None,
            ("/query/category", "string_pattern_mismatch"),
        ),
        bad("GET", "/v1/templates?limit=-1", None, ("/query/limit", "greater_than_equal")),
    ],
    ("POST", "/v1/templates"): [
        bad(
            "POST",
            "/v1/templates",
            {"name": "x" * 101, "content": {}},
            ("/body/name", "string_too_long"),
        ),
        bad(
            "POST",
            "/v1/templates",
            {"name": "Weekly\r\nBcc: victim@example.com", "content": {}, "labels": ["a\tb"]},
            ("/body/name", "control_character"),
            ("/body/labels/0", "control_character"),
        ),
        bad(
            "POST",
            "/v1/templates",
            {"name": "T", "content": {"text": 1}},
            ("/body/content/text", "string_type"),
        ),
    ],
    ("GET", "/v1/templates/{template_id}"): [
        bad(
            "GET", f"/v1/templates/{BAD_ID}", None, ("/path/template_id", "string_pattern_mismatch")
        ),
    ],
    ("PATCH", "/v1/templates/{template_id}"): [
        bad(
            "PATCH",
            f"/v1/templates/{BAD_ID}",
            {"name": "T"},
            ("/path/template_id", "string_pattern_mismatch"),
        ),
        bad(
            "PATCH",
            "/v1/templates/{template}",
            {"category": ""},
            ("/body/category", "string_too_short"),
        ),
        bad(
            "PATCH", "/v1/templates/{template}", {"owner": "me"}, ("/body/owner", "extra_forbidden")
        ),
    ],
    ("DELETE", "/v1/templates/{template_id}"): [
        bad(
            "DELETE",
            f"/v1/templates/{BAD_ID}",
            None,
            ("/path/template_id", "string_pattern_mismatch"),
        ),
    ],
    ("POST", "/v1/templates/{template_id}/use"): [
        bad(
            "POST",
            f"/v1/templates/{BAD_ID}/use",
            None,
            ("/path/template_id", "string_pattern_mismatch"),
        ),
    ],
}


def test_every_route_has_malformed_input_cases() -> None:
    routes = post_routes()

    assert routes - CASES.keys() == set(), "routes without malformed-input cases"
    assert CASES.keys() - routes == set(), "cases for routes that no longer exist"


def test_every_route_refuses_malformed_input_precisely_and_writes_nothing(studio: Studio) -> None:
    sandbox = studio.sandbox()
    post = studio.create(text="Untouched", targets=[{"account_id": sandbox}])
    template = studio.client.post(
        "/v1/templates", json={"name": "Untouched", "content": {}}, headers=studio.headers
    ).json()
    items_before = workspace_items(studio.workspace_id)
    failures: list[str] = []

    for cases in CASES.values():
        for case in cases:
            method = case.method
            url = case.url.format(post=post["id"], template=template["id"])
            headers = studio.headers
            if "X-Workspace-Id" in {pointer.split("/")[-1] for pointer, _ in case.errors}:
                headers = headers | {"X-Workspace-Id": "brand-1"}
            if case.raw is not None or case.content_type != "application/json":
                response = studio.client.request(
                    method,
                    url,
                    content=case.raw,
                    headers=headers | {"Content-Type": case.content_type},
                )
            else:
                response = studio.client.request(method, url, json=case.body, headers=headers)
            try:
                body = problem(response, case.status)
            except AssertionError:
                failures.append(f"{method} {url}: {response.status_code} {response.text[:300]}")
                continue
            if case.errors and error_codes(body) != case.errors:
                failures.append(f"{method} {url}: errors {sorted(error_codes(body))}")
            if case.detail is not None and body["detail"] != case.detail:
                failures.append(f"{method} {url}: detail {body['detail']!r}")

    assert failures == [], "\n".join(failures)
    # Whole items, posts, templates and every other item of the workspace: not only their keys.
    assert workspace_items(studio.workspace_id) == items_before
    assert schedule_names() == set()
    unchanged = studio.post(post["id"])
    assert (unchanged["status"], unchanged["revision"], unchanged["text"]) == (
        "draft",
        1,
        "Untouched",
    )


def test_time_filters_reaching_before_1970_read_as_unbounded(studio: Studio) -> None:
    """Post ids are ULIDs, which name no time before 1970: such a `from` starts there and such a
    `to` finds nothing, as for any range no post falls in (they answered 500)."""
    post = studio.create(text="Kept")

    def listed(query: str) -> list[str]:
        response = studio.client.get(f"/v1/posts?{query}", headers=studio.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    def scheduled(query: str) -> int:
        response = studio.client.get(f"/v1/posts/calendar?{query}", headers=studio.headers)
        status: int = response.status_code
        return status

    assert listed("from=0778-04-19T06:14:59Z") == [post["id"]]
    assert listed("to=0001-01-01T00:00:00Z") == []
    assert listed("from=1969-12-31T23:59:59Z&to=9999-12-31T23:59:59Z") == [post["id"]]
    # Without an offset, in the workspace's time zone: still representable in UTC or refused.
    assert listed("from=0001-01-02T00:00:00") == [post["id"]]
    assert scheduled("from=0778-04-19T06:14:59Z&to=2030-01-01T00:00:00Z") == 200
