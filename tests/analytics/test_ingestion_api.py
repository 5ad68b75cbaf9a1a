"""Event ingestion: who may send (a write key from its origins, a server key; nothing else), what
is refused (422 naming the event by index, nothing stored), where raw events land (S3, partitioned
by workspace and UTC day as Firehose's dynamic partitioning writes them), and that a write key
reads nothing."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.analytics.domain.queries import actor_key
from functions.shared.settings import get_settings
from tests.analytics.tracking_world import SITE, Tracking, event, stored_objects


def test_a_write_key_sends_events_that_land_partitioned_by_workspace_and_day(
    tracking: Tracking,
) -> None:
    key = tracking.create_key("write")["key"]
    now = datetime.now(UTC).replace(microsecond=0)
    batch = [
        event("page_view", timestamp=now.isoformat(), page_url=f"{SITE}/coffee?x=1"),
        event(
            "purchase",
            timestamp=(now - timedelta(days=1)).astimezone().isoformat(),
            user_id="customer-8812",
            revenue="24.90",
            currency="EUR",
            utm={"source": "herald", "campaign": "autumn"},
            properties={"order_id": "SO-1", "items": [1, 2]},
        ),
    ]
    response = tracking.send(key, batch)
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 2}
    assert response.headers["access-control-allow-origin"] == SITE

    objects = stored_objects()
    prefix = f"events/workspace={tracking.workspace_id}/dt="
    days = {now.date().isoformat(), (now - timedelta(days=1)).date().isoformat()}
    assert {key.split("/")[2] for key in objects} == {f"dt={day}" for day in days}
    assert all(key.startswith(prefix) for key in objects)
    assert all(
        key.rsplit("/", 1)[1].startswith(get_settings().analytics_stream_name) for key in objects
    )
    records = [record for lines in objects.values() for record in lines]
    purchase = next(r for r in records if r["name"] == "purchase")
    assert purchase["workspace_id"] == tracking.workspace_id
    assert purchase["actor"] == "customer-8812"
    # The queries' visitor key: a signed 64-bit hash of workspace and actor, the same for the
    # same visitor only.
    assert purchase["actor_key"] == actor_key(tracking.workspace_id, "customer-8812")
    assert -(2**63) <= purchase["actor_key"] < 2**63
    assert purchase["revenue"] == "24.90"
    assert purchase["currency"] == "EUR"
    assert purchase["utm_source"] == "herald"
    assert purchase["utm_campaign"] == "autumn"
    assert purchase["timestamp"].endswith("Z")
    assert purchase["ts_ms"] == int((now - timedelta(days=1)).timestamp() * 1000)
    assert purchase["properties"] == {"order_id": "SO-1", "items": [1, 2]}
    page = next(r for r in records if r["name"] == "page_view")
    assert page["page_path"] == "/coffee"
    assert page["actor"] == "anon-1"
    assert page["actor_key"] == actor_key(tracking.workspace_id, "anon-1") != purchase["actor_key"]


def test_a_server_key_sends_as_a_bearer_token_and_user_tokens_cannot(tracking: Tracking) -> None:
    server = tracking.create_key("server")["key"]
    sent = tracking.client.post(
        "/v1/analytics/events",
        json={"events": [event()]},
        headers={"Authorization": f"Bearer {server}"},
    )
    assert sent.status_code == 202, sent.text
    assert "access-control-allow-origin" not in sent.headers
    as_user = tracking.client.post(
        "/v1/analytics/events", json={"events": [event()]}, headers=tracking.headers
    )
    assert as_user.status_code == 401
    api_key = tracking.herald.create_api_key(
        tracking.owner, tracking.workspace_id, ["analytics:read"]
    )
    as_api_key = tracking.client.post(
        "/v1/analytics/events",
        json={"events": [event()]},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert as_api_key.status_code == 401
    assert len(stored_objects()) == 1


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://shop.example"])
def test_a_write_key_works_only_from_its_origins(tracking: Tracking, origin: str | None) -> None:
    key = tracking.create_key("write")["key"]
    headers = {"X-Herald-Write-Key": key} | ({"Origin": origin} if origin else {})
    response = tracking.client.post(
        "/v1/analytics/events", json={"events": [event()]}, headers=headers
    )
    assert response.status_code == 403, response.text
    assert "origin" in response.json()["detail"]
    assert "access-control-allow-origin" not in response.headers
    assert stored_objects() == {}


def test_a_write_key_reads_nothing(tracking: Tracking) -> None:
    key = tracking.create_key("write")["key"]
    for path in (
        "/v1/analytics/traffic?from=2030-03-01&to=2030-03-02",
        "/v1/analytics/keys",
        "/v1/analytics/retention/01J9Z3K4QH6V7W8X9Y0Z1A2B3C",
        "/v1/analytics/funnels/01J9Z3K4QH6V7W8X9Y0Z1A2B3C",
    ):
        as_header = tracking.client.get(path, headers={"X-Herald-Write-Key": key, "Origin": SITE})
        as_bearer = tracking.client.get(
            path, headers={"Authorization": f"Bearer {key}", "Origin": SITE}
        )
        assert (as_header.status_code, as_bearer.status_code) == (401, 401), path
    funnel = tracking.client.post(
        "/v1/analytics/funnels",
        json={"steps": ["a", "b"], "from": "2030-03-01T00:00:00Z", "to": "2030-03-02T00:00:00Z"},
        headers={"Authorization": f"Bearer {key}"},
    )
    retention = tracking.client.post(
        "/v1/analytics/retention",
        json={"from": "2030-03-01", "to": "2030-03-02"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert (funnel.status_code, retention.status_code) == (401, 401)


def test_a_write_key_writes_only_its_own_workspace_s_events(tracking: Tracking) -> None:
    ours = tracking.create_key("write")["key"]
    stranger = tracking.herald.sign_up("stranger")
    elsewhere = tracking.herald.create_workspace(stranger, name="Elsewhere")
    # Naming another workspace in the batch or the header changes nothing: the key decides.
    smuggled = tracking.client.post(
        "/v1/analytics/events",
        json={"events": [event()], "workspace_id": elsewhere["id"]},
        headers={"X-Herald-Write-Key": ours, "Origin": SITE},
    )
    assert smuggled.status_code == 422
    sent = tracking.client.post(
        "/v1/analytics/events",
        json={"events": [event()]},
        headers={"X-Herald-Write-Key": ours, "Origin": SITE, "X-Workspace-Id": elsewhere["id"]},
    )
    assert sent.status_code == 202
    assert all(f"workspace={tracking.workspace_id}/" in key for key in stored_objects())
    theirs = stranger.headers | {"X-Workspace-Id": elsewhere["id"]}
    today = datetime.now(UTC).date().isoformat()
    traffic = tracking.client.get(
        "/v1/analytics/traffic", params={"from": today, "to": today}, headers=theirs
    )
    assert traffic.json()["days"][0]["events"] == 0
    assert tracking.traffic(today, today)["days"][0]["events"] == 1


def _bad(index: int, **fields: Any) -> list[dict[str, Any]]:
    events = [event() for _ in range(5)]
    events[index] = {**events[index], **fields}
    return events


@pytest.mark.parametrize(
    ("events", "pointer"),
    [
        (_bad(3, currency="EURO", revenue="5"), "/body/events/3/currency"),
        (_bad(2, revenue="5"), "/body/events/2"),
        (_bad(0, properties={"blob": "x" * 9000}), "/body/events/0/properties"),
        (_bad(4, anonymous_id=None), "/body/events/4"),
        (_bad(1, timestamp="2030-03-01 09:00"), "/body/events/1/timestamp"),
        (_bad(1, timestamp=1767225600), "/body/events/1/timestamp"),
        (_bad(2, name="has space"), "/body/events/2/name"),
        (_bad(2, page_url="ftp://shop.example/x"), "/body/events/2/page_url"),
        (_bad(3, revenue="1.23456", currency="EUR"), "/body/events/3/revenue"),
        (_bad(0, utm={"source": "a" * 201}), "/body/events/0/utm/source"),
        (
            _bad(0, properties={"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}),
            "/body/events/0/properties",
        ),
        (_bad(4, session_id="x\ny"), "/body/events/4/session_id"),
        (_bad(2, extra=1), "/body/events/2/extra"),
        ([event()] * 101, "/body/events"),
        ([], "/body/events"),
    ],
)
def test_a_bad_event_refuses_the_whole_batch_naming_it(
    tracking: Tracking, events: list[dict[str, Any]], pointer: str
) -> None:
    key = tracking.create_key("write")["key"]
    response = tracking.send(key, events)
    assert response.status_code == 422, response.text
    assert pointer in [error["pointer"] for error in response.json()["errors"]]
    assert stored_objects() == {}


@pytest.mark.parametrize("offset", [timedelta(hours=2), timedelta(days=-31)])
def test_timestamps_out_of_range_are_refused(tracking: Tracking, offset: timedelta) -> None:
    key = tracking.create_key("write")["key"]
    events = [event(), event(timestamp=(datetime.now(UTC) + offset).isoformat())]
    response = tracking.send(key, events)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/body/events/1/timestamp"
    assert response.json()["errors"][0]["code"] == "timestamp_out_of_range"
    assert stored_objects() == {}


def test_each_key_has_its_own_batch_budget(
    tracking: Tracking, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.analytics.domain import keys

    settings = get_settings().model_copy(update={"analytics_write_key_requests": 2})
    monkeypatch.setattr(keys, "get_settings", lambda: settings)
    key = tracking.create_key("write")["key"]
    other = tracking.create_key("write")["key"]
    statuses = [tracking.send(key, [event()]).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    refused = tracking.send(key, [event()])
    assert int(refused.headers["retry-after"]) >= 1
    assert "2 batches per" in refused.json()["detail"]
    assert tracking.send(other, [event()]).status_code == 202


def test_browsers_may_send_from_any_page_after_the_preflight(tracking: Tracking) -> None:
    preflight = tracking.client.options(
        "/v1/analytics/events",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-herald-write-key",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
    assert "X-Herald-Write-Key" in preflight.headers["access-control-allow-headers"]
