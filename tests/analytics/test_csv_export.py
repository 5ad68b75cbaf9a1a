"""CSV export of the tracked-event reports (docs/analytics.md#csv-export): the CSV holds what the
JSON answer holds, text cells cannot run as spreadsheet formulas, `Accept` and `format` choose,
a large export is a 303 to a presigned download from the media bucket, and an export keeps to
its workspace and roles as the report does."""

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import time_machine

from functions.shared.settings import get_settings
from functions.shared.storage import EXPIRING_DOWNLOAD_TAG
from tests.analytics.tracking_world import SITE, Tracking, event
from tests.support.csv_reports import assert_csv_matches_json, csv_rows
from tests.support.s3_forms import download, s3_error

TODAY = datetime.now(UTC).date().isoformat()
PERIOD = {"from": TODAY, "to": TODAY}
CSV = {"Accept": "text/csv"}


def send_sample(tracking: Tracking, utm_source: str = "newsletter") -> None:
    key = tracking.create_key("write")["key"]
    events = [
        event(page_url=f"{SITE}/coffee", referrer="https://t.co/x", utm={"source": utm_source}),
        event("signup", anonymous_id="anon-2", utm={"source": utm_source}),
        event("purchase", anonymous_id="anon-2", revenue="24.90", currency="EUR"),
        event("purchase", anonymous_id="anon-3", revenue="-5.00", currency="EUR"),
    ]
    assert tracking.send(key, events).status_code == 202


def get(tracking: Tracking, path: str, headers: dict[str, str] | None = None, **params: str) -> Any:
    return tracking.client.get(
        f"/v1/analytics/{path}", params=PERIOD | params, headers=tracking.headers | (headers or {})
    )


def test_each_report_as_csv_holds_what_its_json_answer_holds(tracking: Tracking) -> None:
    send_sample(tracking)
    as_json = get(tracking, "traffic")
    as_csv = get(tracking, "traffic", CSV)
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == 'attachment; filename="analytics-traffic.csv"'
    assert "Accept" in as_csv.headers["vary"]
    assert_csv_matches_json(as_csv.text, as_json.json())
    started = tracking.client.post(
        "/v1/analytics/retention", json=PERIOD, headers=tracking.headers
    ).json()
    retention_path = f"/v1/analytics/retention/{started['id']}"
    retention = tracking.client.get(retention_path, headers=tracking.headers)
    retention_csv = tracking.client.get(retention_path, headers=tracking.headers | CSV)
    assert retention.json()["status"] == "succeeded"
    assert retention_csv.status_code == 200, retention_csv.text
    assert_csv_matches_json(retention_csv.text, retention.json())
    body = {
        "steps": ["page_view", "signup"],
        "from": f"{TODAY}T00:00:00Z",
        "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        "breakdown": "utm_source",
    }
    query = tracking.client.post("/v1/analytics/funnels", json=body, headers=tracking.headers)
    funnel_path = f"/v1/analytics/funnels/{query.json()['id']}"
    funnel = tracking.client.get(funnel_path, headers=tracking.headers)
    funnel_csv = tracking.client.get(
        funnel_path, params={"format": "csv"}, headers=tracking.headers
    )
    assert funnel_csv.headers["content-type"].startswith("text/csv")
    assert_csv_matches_json(funnel_csv.text, funnel.json())
    rows = csv_rows(funnel_csv.text)
    # A segment's steps name their segment; amounts stay numbers, a refund negative.
    assert {row["value"] for row in rows if row["section"] == "result.breakdown.steps"} == {
        "newsletter"
    }
    traffic = get(tracking, "traffic", CSV).text
    [day] = [row for row in csv_rows(traffic) if row["section"] == "revenue_by_day"]
    assert (day["currency"], day["amount"]) == ("EUR", "19.90")  # 24.90 and a refund of 5.00
    assert ',"EUR",19.90,' in traffic  # the amount a number, the currency text


@pytest.mark.parametrize(
    "source", ['=HYPERLINK("https://evil.example")', "+1+cmd", "-2+3", "@SUM(A1)"]
)
def test_text_that_a_spreadsheet_would_run_is_written_as_text(
    tracking: Tracking, source: str
) -> None:
    """OWASP, CSV Injection: a cell starting with = + - @ tab or CR gets a leading apostrophe
    (tabs and CRs cannot reach a report through the API: tests/unit/test_csv_tables.py)."""
    send_sample(tracking, utm_source=source)
    text = get(tracking, "traffic", CSV).text
    sources = [row for row in csv_rows(text) if row["section"] == "top_utm_sources"]
    assert [row["value"] for row in sources] == ["'" + source]
    # Quoted, as every text cell is.
    quoted = source.replace('"', '""')
    assert f'"\'{quoted}"' in text


def test_the_format_comes_from_format_then_from_accept(tracking: Tracking) -> None:
    def kind(headers: dict[str, str] | None = None, **params: str) -> str:
        response = get(tracking, "traffic", headers, **params)
        assert response.status_code == 200, response.text
        return str(response.headers["content-type"]).split(";")[0]

    assert kind() == "application/json"
    assert kind({"Accept": "*/*"}) == "application/json"
    assert kind({"Accept": "text/csv, */*;q=0.5"}) == "text/csv"
    assert kind({"Accept": "text/csv, application/json"}) == "application/json"
    assert kind({"Accept": "application/json;q=0.4, text/csv"}) == "text/csv"
    assert kind({"Accept": "text/*"}) == "text/csv"
    assert kind({"Accept": "text/csv"}, format="json") == "application/json"
    assert kind({"Accept": "application/json"}, format="csv") == "text/csv"


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml", "text/csv;q=0, application/json;q=0"]
)
def test_an_accept_header_admitting_neither_json_nor_csv_answers_406(
    tracking: Tracking, accept: str
) -> None:
    response = get(tracking, "traffic", {"Accept": accept})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    assert "text/csv" in response.json()["detail"]
    assert get(tracking, "traffic", format="xml").status_code == 422


@pytest.fixture
def small_exports(tracking: Tracking) -> Iterator[str]:
    """Exports over 200 bytes go to the media bucket, which exists."""
    settings = get_settings()
    boto3.client("s3", region_name=settings.region).create_bucket(Bucket=settings.media_bucket)
    with mock.patch.dict(os.environ, {"HERALD_ANALYTICS_EXPORT_INLINE_BYTES": "200"}):
        get_settings.cache_clear()
        try:
            yield settings.media_bucket
        finally:
            get_settings.cache_clear()


def test_a_large_export_is_a_303_to_a_presigned_download_that_expires(
    tracking: Tracking, small_exports: str
) -> None:
    send_sample(tracking)
    response = tracking.client.get(
        "/v1/analytics/traffic",
        params=PERIOD | {"format": "csv"},
        headers=tracking.headers,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    link = response.json()
    assert response.headers["location"] == link["url"]
    url = urlsplit(link["url"])
    assert url.hostname == f"{small_exports}.s3.amazonaws.com"
    key = url.path.removeprefix("/")
    assert key.startswith(f"workspaces/{tracking.workspace_id}/exports/")
    assert parse_qs(url.query)["X-Amz-Expires"] == ["300"]

    downloaded = download(link["url"])
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in downloaded.headers["content-disposition"]
    assert_csv_matches_json(downloaded.text, get(tracking, "traffic").json())
    assert link["bytes"] == len(downloaded.content) > 200
    assert link["rows"] == len(csv_rows(downloaded.text))

    s3 = boto3.client("s3", region_name=get_settings().region)
    tags = s3.get_object_tagging(Bucket=small_exports, Key=key)["TagSet"]
    # The media bucket's lifecycle rule expires objects so tagged (infra/foundation.py).
    assert tags == [{"Key": EXPIRING_DOWNLOAD_TAG[0], "Value": EXPIRING_DOWNLOAD_TAG[1]}]

    expires_at = datetime.fromisoformat(link["expires_at"])
    with time_machine.travel(expires_at + timedelta(seconds=2), tick=False):
        assert s3_error(download(link["url"]))[:2] == (403, "AccessDenied")
    tampered = link["url"].replace("exports/", "exports/x", 1)
    assert s3_error(download(tampered))[:2] == (403, "SignatureDoesNotMatch")


def test_exports_keep_to_the_workspace_and_its_roles(tracking: Tracking) -> None:
    send_sample(tracking)
    viewer = tracking.as_member("viewer")
    assert get(tracking, "traffic", viewer | CSV).status_code == 200
    stranger = tracking.herald.sign_up("stranger")
    outside = stranger.headers | {"X-Workspace-Id": tracking.workspace_id}
    started = tracking.client.post("/v1/analytics/retention", json=PERIOD, headers=tracking.headers)
    assert get(tracking, f"retention/{started.json()['id']}", viewer | CSV).status_code == 200
    for path in ("traffic", f"retention/{started.json()['id']}"):
        response = tracking.client.get(
            f"/v1/analytics/{path}", params=PERIOD | {"format": "csv"}, headers=outside | CSV
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    anonymous = tracking.client.get("/v1/analytics/traffic", params=PERIOD, headers=CSV)
    assert anonymous.status_code == 401
