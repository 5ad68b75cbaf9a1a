"""Collecting platform metrics (docs/analytics.md, "Platform metrics"): the schedule written with
the published target, due targets read by key and batched per platform, snapshots kept as a time
series, the day rollup taking each snapshot's delta, and posts gone from the platform dropped.

X is faked at the transport (respx): the post lookup by ids
(https://docs.x.com/x-api/posts/post-lookup-by-post-ids) and create post
(https://docs.x.com/x-api/posts/create-or-edit-post)."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import respx
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.publish.adapters.post_items import due_bucket
from functions.publish.domain.metrics_collection import (
    SCHEDULE,
    CollectionReport,
    collect_due,
    next_due,
)
from functions.publish.workers.metrics import handler
from functions.shared.post_metrics import (
    SUMMED,
    MetricsDayItem,
    MetricsSnapshotItem,
    MetricsTargetItem,
    normalize,
)
from tests.publish.posts_world import X_TWEETS, publish_now, set_timezone
from tests.publish.studio import Studio
from tests.support.events import lambda_context

X_LOOKUP = "https://api.x.com/2/tweets"


def tracked(studio: Studio, post_id: str) -> list[MetricsTargetItem]:
    return MetricsTargetItem.of_post(studio.workspace_id, post_id)


def collect_at(moment: datetime) -> CollectionReport:
    with time_machine.travel(moment, tick=False):
        return collect_due()


def day_items(studio: Studio) -> list[MetricsDayItem]:
    return list(
        MetricsDayItem.between(
            studio.workspace_id, datetime(2000, 1, 1).date(), datetime(2100, 1, 1).date()
        )
    )


def test_the_schedule_decays_then_ends_at_90_days() -> None:
    published = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)
    offsets = [
        due - published
        for now in [published + offset - timedelta(seconds=1) for offset in SCHEDULE]
        if (due := next_due(published, now)) is not None
    ]
    hours = [int(offset.total_seconds() // 3600) for offset in offsets]
    assert hours[:6] == [1, 6, 24, 72, 168, 720]
    assert [h // 24 for h in hours[6:]] == [37, 44, 51, 58, 65, 72, 79, 86]
    assert next_due(published, published + timedelta(days=86, seconds=1)) is None
    # A late run skips the steps it missed.
    assert next_due(published, published + timedelta(days=10)) == published + timedelta(days=30)


def test_publishing_starts_the_schedule_and_counts_the_post_on_its_local_day(
    studio: Studio,
) -> None:
    set_timezone(studio, "Pacific/Auckland")
    account = studio.sandbox()
    post_id = publish_now(studio, account)

    [target] = tracked(studio, post_id)
    assert target.platform == "sandbox"
    assert target.platform_post_id.startswith("sb_")
    assert target.due_at == target.published_at + timedelta(hours=1)
    assert target.due_bucket is not None
    assert target.due_bucket.startswith("METRICS#")
    auckland_day = target.published_at.astimezone(ZoneInfo("Pacific/Auckland"))
    assert target.day == auckland_day.date().isoformat()
    [day] = day_items(studio)
    assert (day.day(), day.account_id, day.posts) == (target.day, account, 1)
    # Nothing is due yet: the first collection is an hour after publication.
    assert collect_at(target.published_at + timedelta(minutes=59)).collected == 0


def test_due_targets_are_collected_and_the_rollup_takes_each_delta(studio: Studio) -> None:
    account = studio.sandbox()
    first = publish_now(studio, account, text="one")
    second = publish_now(studio, account, text="two")
    published = max(t.published_at for p in (first, second) for t in tracked(studio, p))

    report = collect_at(published + timedelta(hours=1, minutes=1))
    assert (report.collected, report.requests) == (2, 1)  # one batch for the account
    report = collect_at(published + timedelta(hours=7))
    assert report.collected == 2

    for post_id in (first, second):
        [target] = tracked(studio, post_id)
        assert target.collections == 2
        assert target.due_at == target.published_at + timedelta(hours=24)
        series = list(MetricsSnapshotItem.of_post(studio.workspace_id, post_id))
        assert len(series) == 2
        assert series[0].taken_at < series[1].taken_at
        assert series[0].metrics["impressions"] < series[1].metrics["impressions"]
        assert target.last == series[1].metrics
    [day] = day_items(studio)
    lasts = [tracked(studio, p)[0].last or {} for p in (first, second)]
    assert day.posts == 2
    assert day.totals() == {name: sum(last.get(name, 0) for last in lasts) for name in SUMMED}


def test_x_posts_are_looked_up_in_batches_and_a_deleted_one_stops(studio: Studio) -> None:
    account = studio.connect("x", "2244994945", handle="brand")
    with respx.mock(assert_all_called=True) as platforms:
        platforms.post(X_TWEETS).respond(201, json={"data": {"id": "1001", "text": "a"}})
        kept = publish_now(studio, account, text="kept")
        platforms.post(X_TWEETS).respond(201, json={"data": {"id": "1002", "text": "b"}})
        deleted = publish_now(studio, account, text="deleted")
    published = max(t.published_at for p in (kept, deleted) for t in tracked(studio, p))
    with respx.mock(assert_all_called=True) as platforms:
        lookup = platforms.get(X_LOOKUP).respond(
            200,
            json={
                "data": [
                    {
                        "id": "1001",
                        "text": "kept",
                        "public_metrics": {
                            "impression_count": 900,
                            "like_count": 12,
                            "reply_count": 3,
                            "retweet_count": 2,
                            "quote_count": 1,
                            "bookmark_count": 4,
                        },
                    }
                ],
                "errors": [{"value": "1002", "title": "Not Found Error"}],
            },
        )
        report = collect_at(published + timedelta(hours=2))
    sent = lookup.calls.last.request
    assert sorted(sent.url.params["ids"].split(",")) == ["1001", "1002"]
    assert sent.url.params["tweet.fields"] == "public_metrics"
    assert (report.collected, report.gone, report.requests) == (1, 1, 1)
    [kept_target] = tracked(studio, kept)
    assert kept_target.last == {
        "impressions": 900,
        "likes": 12,
        "comments": 3,
        "shares": 2,
        "quotes": 1,
        "saves": 4,
    }
    [gone] = tracked(studio, deleted)
    assert gone.due_at is None
    assert gone.due_bucket is None


def test_a_refresh_collects_now_and_leaves_the_schedule(studio: Studio) -> None:
    account = studio.sandbox()
    post_id = publish_now(studio, account)
    [before] = tracked(studio, post_id)
    result = handler(
        {"herald": "refresh-post-metrics", "workspace_id": studio.workspace_id, "post_id": post_id},
        lambda_context("herald-local-metrics-collector"),
    )
    assert result["result"]["collected"] == 1
    [after] = tracked(studio, post_id)
    assert after.due_at == before.due_at
    assert after.collections == 0
    assert after.last is not None
    assert after.last["impressions"] > 0


def test_platform_extras_are_kept_beside_the_normalized_metrics() -> None:
    metrics, extras = normalize(
        "linkedin", {"reactions": 7, "comments": 2, "reactions_praise": 3, "reactions_like": 4}
    )
    assert metrics == {"likes": 7, "comments": 2}
    assert extras == {"reactions_praise": 3, "reactions_like": 4}
    metrics, _ = normalize("youtube", {"views": 50, "likes": 2, "comments": 1})
    assert metrics == {"impressions": 50, "video_views": 50, "likes": 2, "comments": 1}


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=4),
        min_size=1,
        max_size=3,
    )
)
def test_the_rollup_equals_a_recomputation_from_the_snapshots(
    studio: Studio, looks: list[list[int]]
) -> None:
    """Whatever numbers the platform reports at each look (growing or shrinking: unlikes), the
    day rollup equals the sum over the targets of their latest snapshot."""
    from functions.publish.domain import metrics_collection

    for item in day_items(studio):
        item.delete()
    account = studio.connect("x", "2244994945", handle="brand")
    targets = []
    for index, series in enumerate(looks):
        post_id = f"01J0PR0PERTY00000000000{index:03d}"
        target = MetricsTargetItem(
            *MetricsTargetItem.keys(studio.workspace_id, post_id, account),
            workspace_id=studio.workspace_id,
            post_id=post_id,
            account_id=account,
            platform="x",
            platform_post_id=str(5000 + index),
            published_at=datetime(2027, 5, 1, tzinfo=UTC),
            day="2027-05-01",
        )
        target.save()
        targets.append((target, series))
    for target, series in targets:
        for likes in series:
            fresh = MetricsTargetItem.find_key(target.pk, target.sk)
            assert fresh is not None
            metrics_collection._record(
                fresh,
                {"like_count": likes, "impression_count": likes * 3},
                CollectionReport(),
                False,
            )
    days = day_items(studio)
    assert len(days) <= 1
    rolled_up = days[0].totals() if days else dict.fromkeys(SUMMED, 0)
    recomputed = dict.fromkeys(SUMMED, 0)
    for target, _ in targets:
        *_, latest = MetricsSnapshotItem.of_post(studio.workspace_id, target.post_id)
        for name, value in latest.metrics.items():
            recomputed[name] += value
    assert rolled_up == recomputed
    for target, _ in targets:
        MetricsTargetItem.get(target.pk, target.sk).delete()
        for snapshot in MetricsSnapshotItem.of_post(studio.workspace_id, target.post_id):
            snapshot.delete()


def test_instagram_targets_due_together_are_read_fifty_per_graph_batch(studio: Studio) -> None:
    """Graph API batch requests hold at most 50 requests
    (https://developers.facebook.com/docs/graph-api/batch-requests): 60 Instagram media due at
    once are ceil(60 / 50) = 2 lookups, each a batch of product types then a batch of insights
    (https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights)."""
    account = studio.connect("instagram", "17841400000000001", kind="business")
    published = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)
    due = published + timedelta(hours=1)
    for index in range(60):
        MetricsTargetItem(
            *MetricsTargetItem.keys(
                studio.workspace_id, f"01J0BATCH0000000000000{index:04d}", account
            ),
            workspace_id=studio.workspace_id,
            post_id=f"01J0BATCH0000000000000{index:04d}",
            account_id=account,
            platform="instagram",
            platform_post_id=f"1790000000{index:04d}",
            published_at=published,
            day="2027-05-01",
            due_bucket=due_bucket("METRICS", account),
            due_at=due,
        ).save()

    def answer(request: httpx.Request) -> httpx.Response:
        batch = json.loads(parse_qs(request.content.decode())["batch"][0])
        assert len(batch) <= 50
        bodies = [
            {"media_product_type": "FEED"}
            if "/insights" not in item["relative_url"]
            else {"data": [{"name": "views", "period": "lifetime", "values": [{"value": 70}]}]}
            for item in batch
        ]
        return httpx.Response(200, json=[{"code": 200, "body": json.dumps(b)} for b in bodies])

    with respx.mock(assert_all_called=True) as platforms:
        graph = platforms.post("https://graph.facebook.com/v25.0").mock(side_effect=answer)
        report = collect_at(due + timedelta(minutes=1))

    assert (report.collected, report.requests, report.gone) == (60, 2, 0)
    assert graph.call_count == 2 * 2  # per lookup: the types, then the insights
    sizes = [len(json.loads(parse_qs(c.request.content.decode())["batch"][0])) for c in graph.calls]
    assert sorted(sizes) == [10, 10, 50, 50]
