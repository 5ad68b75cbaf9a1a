"""Reports as CSV (docs/analytics.md#csv-export): the flattening of any report model into one
table, OWASP's neutralizing of formula cells, and the choice between JSON and CSV."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import BaseModel, Field

from functions.analytics.domain.csv_tables import neutralized, report_rows, write_csv
from functions.analytics.routes.export import wants_csv
from functions.shared.problems import NotAcceptable


class Point(BaseModel):
    taken_at: datetime
    metrics: dict[str, int]


class Target(BaseModel):
    account_id: str
    clicks: int
    series: list[Point]


class Totals(BaseModel):
    posts: int
    rate: float | None


class Report(BaseModel):
    post_id: str
    clicks: int
    live: bool
    amount: Decimal
    retained: list[int]
    targets: list[Target]
    totals: Totals
    by_platform: dict[str, Totals]
    from_: str = Field(serialization_alias="from")


REPORT = Report(
    post_id="P1",
    clicks=7,
    live=True,
    amount=Decimal("-5.50"),
    retained=[4, 2],
    targets=[
        Target(
            account_id="A1",
            clicks=3,
            series=[Point(taken_at=datetime(2030, 1, 1, tzinfo=UTC), metrics={"likes": 1})],
        )
    ],
    totals=Totals(posts=2, rate=None),
    by_platform={"x": Totals(posts=1, rate=0.5)},
    from_="2030-01-01",
)


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_every_model_of_a_report_is_a_row_of_its_section_with_its_parents_scalars() -> None:
    rows = table(write_csv(list(report_rows(REPORT))))
    assert [row["section"] for row in rows] == [
        "report",
        "targets",
        "targets.series",
        "totals",
        "by_platform",
    ]
    report, target, point, totals, platform = rows
    assert (report["post_id"], report["clicks"], report["live"]) == ("P1", "7", "true")
    assert (report["amount"], report["retained.0"], report["retained.1"]) == ("-5.50", "4", "2")
    assert report["from"] == "2030-01-01"  # the JSON answer's name
    # A row's own value wins over its parent's of the same name; the parent's others stay.
    assert (target["clicks"], target["post_id"]) == ("3", "P1")
    assert (point["taken_at"], point["metrics.likes"]) == ("2030-01-01T00:00:00Z", "1")
    assert (point["account_id"], point["clicks"]) == ("A1", "3")
    assert (totals["posts"], totals["rate"]) == ("2", "")
    assert (platform["key"], platform["rate"]) == ("x", "0.5")
    assert totals["key"] == ""


def test_text_is_quoted_numbers_are_not() -> None:
    header, first = write_csv(list(report_rows(REPORT))).split("\r\n")[:2]
    assert header.startswith('"section","post_id","clicks","live","amount"')
    assert first.startswith('"report","P1",7,"true",-5.50,')


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_a_formula_is_written_as_text(trigger: str) -> None:
    assert neutralized(f"{trigger}SUM(A1)") == f"'{trigger}SUM(A1)"
    assert neutralized(f"a{trigger}b") == f"a{trigger}b"
    assert neutralized(-3) == -3
    assert neutralized(Decimal("-3.5")) == Decimal("-3.5")


def test_a_formula_in_a_key_or_an_id_is_neutralized_in_header_and_cells() -> None:
    report = REPORT.model_copy(
        update={"post_id": "=1+1", "by_platform": {"@x": Totals(posts=1, rate=None)}}
    )
    text = write_csv(list(report_rows(report)))
    assert '"\'=1+1"' in text
    assert '"\'@x"' in text
    assert '"=1+1"' not in text


@pytest.mark.parametrize(
    ("accept", "requested", "csv"),
    [
        (None, None, False),
        ("", None, False),
        ("text/csv", None, True),
        ("text/csv; charset=utf-8", None, True),
        ("TEXT/CSV", None, True),
        ("text/csv, application/json", None, False),
        ("text/csv, */*;q=0.8", None, True),
        ("application/json;q=0.5, text/csv", None, True),
        ("text/html, */*;q=0.1", None, False),
        ("application/*", None, False),
        ("text/csv;q=oops, application/json", None, False),
        ("text/html", "csv", True),
        ("text/csv", "json", False),
    ],
)
def test_json_or_csv(accept: str | None, requested: str | None, csv: bool) -> None:
    assert wants_csv(accept, requested) is csv


@pytest.mark.parametrize("accept", ["text/html", "image/png, text/plain", "*/*;q=0"])
def test_an_accept_admitting_neither_is_refused(accept: str) -> None:
    with pytest.raises(NotAcceptable):
        wants_csv(accept, None)
