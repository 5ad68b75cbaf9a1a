"""Exactly once: duplicate deliveries, a worker cut off after the platform accepted, partial
failure and retry, temporary failures with backoff, threads and first comments.

Platforms are faked at the transport (respx). X: POST /2/tweets creates a post, a reply when the
body has `reply.in_reply_to_tweet_id` (https://docs.x.com/x-api/posts/create-or-edit-post);
GET /2/users/{id}/tweets lists the account's posts
(https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id).
"""

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import httpx
import pytest
import respx
import time_machine
from moto.dynamodb.models import DynamoDBBackend

from functions.publish.adapters.platforms.base import ConnectedAccount, TokenSet
from functions.publish.adapters.platforms.sandbox import SandboxAdapter
from functions.publish.adapters.post_items import TargetItem
from functions.publish.adapters.schedules import target_schedule_name
from functions.publish.domain import publishing
from tests.publish.posts_world import X_TWEETS, later, youtube_post
from tests.publish.sealed import readable_secrets
from tests.publish.studio import Studio, armed_time, run_worker
from tests.support.event_bus import bus_listener, received

X_USER = "2244994945"
X_TIMELINE = f"https://api.x.com/2/users/{X_USER}/tweets"


def tweet(post_id: str, text: str) -> httpx.Response:
    return httpx.Response(201, json={"data": {"id": post_id, "text": text}})


def scheduled_post(studio: Studio, targets: list[dict[str, Any]], text: str = "Hello") -> str:
    created = studio.create(text=text, targets=targets)
    assert created["preflight"]["ok"], created["preflight"]
    studio.schedule(created["id"], later())
    post_id: str = created["id"]
    return post_id


def sandbox_posts(studio: Studio, account_id: str) -> int:
    """How many posts the sandbox platform holds for the account (it remembers them)."""
    from functions.publish.adapters.items import SocialAccountItem

    item = SocialAccountItem.find(studio.workspace_id, account_id)
    assert item is not None
    who = ConnectedAccount(platform_account_id=item.platform_account_id, name=item.name)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    listed = asyncio.run(SandboxAdapter().recent_posts(TokenSet("token"), who, since))
    return len(listed)


def published_at(studio: Studio, post_id: str) -> datetime:
    """The post's time: its firing waits for it, so this is when the platform was called."""
    return datetime.fromisoformat(studio.post(post_id)["scheduled_at"])


def target(studio: Studio, post_id: str, account_id: str) -> TargetItem:
    found = TargetItem.find(studio.workspace_id, post_id, account_id)
    assert found is not None
    return found


@contextlib.contextmanager
def dynamodb_writes_one_at_a_time() -> Iterator[None]:
    """moto undoes a cancelled transaction by putting back a copy of the whole table taken before
    it, which drops any write another thread made meanwhile (DynamoDB does not: each item is
    atomic). Racing deliveries need moto's writes serialized to behave as DynamoDB does."""
    lock = threading.RLock()
    writes = ("transact_write_items", "update_item", "put_item", "delete_item")
    with contextlib.ExitStack() as patches:
        for name in writes:
            original = getattr(DynamoDBBackend, name)

            def serialized(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                with lock:
                    return _original(*args, **kwargs)

            patches.enter_context(mock.patch.object(DynamoDBBackend, name, serialized))
        yield


def _fire_without_the_idempotency_layer(event: dict[str, Any]) -> dict[str, Any]:
    """The domain alone, as the worker runs it: its conditional writes keep the post once."""
    report = publishing.fire_post(event["workspace_id"], event["post_id"], event["fire_id"])
    return {"result": {"outcome": report.outcome}}


@pytest.mark.parametrize(
    "deliver",
    [
        pytest.param(run_worker, id="through the worker"),
        pytest.param(_fire_without_the_idempotency_layer, id="domain only"),
    ],
)
def test_three_simultaneous_deliveries_call_each_platform_once(
    studio: Studio, deliver: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    x = studio.connect("x", X_USER)
    sandbox = studio.sandbox()
    post_id = scheduled_post(studio, [{"account_id": x}, {"account_id": sandbox}])
    schedule = studio.stored_schedule(post_id)
    event = json.loads(schedule["Target"]["Input"])
    outcomes: list[str] = []
    start = threading.Barrier(3)

    def one_delivery() -> None:
        start.wait()
        try:
            outcomes.append(deliver(event)["result"]["outcome"])
        except Exception as error:  # the idempotency layer refuses a delivery in progress
            outcomes.append(type(error).__name__)

    # Delivered at the schedule's time: each delivery waits for the post's time (the clock moves
    # instead of sleeping).
    with (
        time_machine.travel(armed_time(schedule), tick=False) as clock,
        mock.patch.object(publishing, "sleep", clock.shift),
        dynamodb_writes_one_at_a_time(),
        respx.mock(assert_all_called=True) as platforms,
    ):
        created = platforms.post(X_TWEETS).mock(return_value=tweet("1001", "Hello"))
        threads = [threading.Thread(target=one_delivery) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert created.call_count == 1
    assert sandbox_posts(studio, sandbox) == 1
    assert studio.post(post_id)["status"] == "published"
    assert "published" in outcomes
    assert set(outcomes) <= {"published", "stale", "IdempotencyAlreadyInProgressError"}
    # A later redelivery (Scheduler retries for hours) publishes nothing either.
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as platforms:
        again = platforms.post(X_TWEETS).mock(return_value=tweet("1002", "Hello"))
        deliver(event)
    assert again.call_count == 0


def test_an_answer_lost_after_the_platform_accepted_is_reconciled_not_reposted(
    studio: Studio,
) -> None:
    x = studio.connect("x", X_USER)
    post_id = scheduled_post(studio, [{"account_id": x}], text="Launch day https://acme.test/x")

    # X created the post, but what came back cannot be read: Herald does not know its id.
    with respx.mock(assert_all_called=True) as platforms:
        created = platforms.post(X_TWEETS).respond(201, json={"data": {}})
        studio.fire(post_id)
    assert created.call_count == 1
    stuck = target(studio, post_id, x)
    assert stuck.state == "unconfirmed"
    assert studio.post(post_id)["status"] == "publishing"

    # The reconciliation step finds the post at X (its link shortened by X) and records it.
    listed = {
        "data": [
            {
                "id": "1003",
                "text": "Launch day https://t.co/abc",
                "created_at": published_at(studio, post_id).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
        ],
        "meta": {"result_count": 1},
    }
    with (
        time_machine.travel(published_at(studio, post_id) + timedelta(minutes=1, seconds=5)),
        respx.mock(assert_all_mocked=True, assert_all_called=False) as platforms,
    ):
        timeline = platforms.get(X_TIMELINE).respond(200, json=listed)
        reposted = platforms.post(X_TWEETS).mock(return_value=tweet("1004", "Launch day"))
        outcome = publishing.advance_target(studio.workspace_id, post_id, x)

    assert timeline.call_count == 1
    assert reposted.call_count == 0
    assert outcome == "published"
    done = target(studio, post_id, x)
    assert (done.state, done.platform_post_id) == ("published", "1003")
    assert studio.post(post_id)["status"] == "published"


def sweep_after(studio: Studio, post_id: str, delay: timedelta) -> None:
    """The sweeper's run `delay` after the post's time."""
    with time_machine.travel(published_at(studio, post_id) + delay):
        run_worker({"herald": "sweep"})


class WorkerKilled(BaseException):
    """Stands for Lambda ending the invocation: nothing in the worker can catch it."""


def test_a_worker_cut_off_mid_publish_is_found_by_the_sweeper_and_reconciled(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = studio.connect("x", X_USER)
    post_id = scheduled_post(studio, [{"account_id": x}], text="Cut off")

    def killed(*args: Any, **kwargs: Any) -> None:
        raise WorkerKilled

    with respx.mock(assert_all_called=True) as platforms:
        platforms.post(X_TWEETS).mock(return_value=tweet("1005", "Cut off"))
        with monkeypatch.context() as patched:
            patched.setattr(publishing, "_published", killed)
            with pytest.raises(WorkerKilled):
                studio.fire(post_id)
    assert target(studio, post_id, x).state == "publishing"

    listed = {"data": [{"id": "1005", "text": "Cut off"}], "meta": {"result_count": 1}}
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as platforms:
        timeline = platforms.get(X_TIMELINE).respond(200, json=listed)
        reposted = platforms.post(X_TWEETS).mock(return_value=tweet("1006", "Cut off"))
        # The sweeper runs every 5 minutes; the target is overdue once the worker's timeout
        # (plus the sweeper's grace) has passed.
        sweep_after(studio, post_id, timedelta(minutes=19))
        assert target(studio, post_id, x).state == "unconfirmed"
        sweep_after(studio, post_id, timedelta(minutes=23))

    assert timeline.call_count == 1
    assert reposted.call_count == 0
    done = target(studio, post_id, x)
    assert (done.state, done.platform_post_id) == ("published", "1005")


def test_a_worker_cut_off_right_after_claiming_the_post_leaves_its_targets_to_the_sweeper(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The firing that wins the post claims its targets in the same write: a worker ended
    before any target ran leaves them `publishing` with a deadline, never unowned."""
    x = studio.connect("x", X_USER)
    post_id = scheduled_post(studio, [{"account_id": x}], text="Claimed, then cut off")

    def killed(*args: Any, **kwargs: Any) -> None:
        raise WorkerKilled

    with monkeypatch.context() as patched:
        patched.setattr(publishing, "_publish_targets", killed)
        with pytest.raises(WorkerKilled):
            studio.fire(post_id)
    claimed = target(studio, post_id, x)
    assert (claimed.state, int(claimed.attempts)) == ("publishing", 1)
    assert claimed.due_at == published_at(studio, post_id) + publishing.STUCK_AFTER

    # Overdue: reconciled (X lists nothing), then published once, by the sweeper alone.
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as platforms:
        platforms.get(X_TIMELINE).respond(200, json={"meta": {"result_count": 0}})
        created = platforms.post(X_TWEETS).mock(return_value=tweet("1008", "Claimed"))
        sweep_after(studio, post_id, timedelta(minutes=19))
        assert target(studio, post_id, x).state == "unconfirmed"
        sweep_after(studio, post_id, timedelta(minutes=23))

    assert created.call_count == 1
    assert target(studio, post_id, x).platform_post_id == "1008"
    assert studio.post(post_id)["status"] == "published"


def test_a_post_that_is_confirmed_absent_is_published_once_more(studio: Studio) -> None:
    x = studio.connect("x", X_USER)
    post_id = scheduled_post(studio, [{"account_id": x}], text="Lost answer")
    with respx.mock(assert_all_called=True) as platforms:
        platforms.post(X_TWEETS).mock(side_effect=httpx.ReadTimeout("no answer"))
        studio.fire(post_id)
    assert target(studio, post_id, x).state == "unconfirmed"

    with (
        time_machine.travel(published_at(studio, post_id) + timedelta(minutes=3)),
        respx.mock(assert_all_called=True) as platforms,
    ):
        platforms.get(X_TIMELINE).respond(200, json={"meta": {"result_count": 0}})
        created = platforms.post(X_TWEETS).mock(return_value=tweet("1007", "Lost answer"))
        outcome = publishing.advance_target(studio.workspace_id, post_id, x)

    assert outcome == "published"
    assert created.call_count == 1
    assert target(studio, post_id, x).platform_post_id == "1007"


def test_partial_failure_then_retry_calls_only_the_failed_target(studio: Studio) -> None:
    x = studio.connect("x", X_USER)
    sandbox = studio.sandbox()
    post_id = scheduled_post(studio, [{"account_id": x}, {"account_id": sandbox}])
    partial = bus_listener("post.partially_failed")
    refusal = {
        "title": "Forbidden",
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "status": 403,
    }
    with respx.mock(assert_all_called=True) as platforms:
        platforms.post(X_TWEETS).respond(403, json=refusal)
        studio.fire(post_id)

    post = studio.post(post_id)
    assert post["status"] == "partially_failed"
    failed = {t["account_id"]: t for t in post["publishing"]}[x]
    assert failed["state"] == "failed"
    assert failed["error"]["failure_class"] == "permanent"
    assert "duplicate content" in failed["error"]["message"]
    (event,) = received(partial)
    assert {t["account_id"]: t["state"] for t in event["detail"]["data"]["targets"]} == {
        x: "failed",
        sandbox: "published",
    }

    with respx.mock(assert_all_called=True) as platforms:
        retried = platforms.post(X_TWEETS).mock(return_value=tweet("1008", "Hello"))
        response = studio.client.post(f"/v1/posts/{post_id}/retry", headers=studio.headers)
        assert response.status_code == 202, response.text
        assert response.json()["retried"] == [x]
        done = studio.wait_for(post_id, "published")

    assert done["status"] == "published"
    assert retried.call_count == 1
    assert sandbox_posts(studio, sandbox) == 1
    again = studio.client.post(f"/v1/posts/{post_id}/retry", headers=studio.headers)
    assert again.status_code == 409


def _retry_waiting(studio: Studio) -> tuple[str, str, TargetItem]:
    """A post whose X target was refused with 429 and Retry-After: 120, waiting to retry."""
    x = studio.connect("x", X_USER)
    post_id = scheduled_post(studio, [{"account_id": x}])
    with respx.mock(assert_all_called=True) as platforms:
        platforms.post(X_TWEETS).respond(
            429, headers={"retry-after": "120"}, json={"title": "Too Many Requests"}
        )
        studio.fire(post_id)
    waiting = target(studio, post_id, x)
    assert waiting.state == "retry_wait"
    assert waiting.due_at is not None
    assert waiting.due_at - published_at(studio, post_id) >= timedelta(seconds=115)
    return post_id, x, waiting


@pytest.mark.parametrize(
    "deliver",
    [
        pytest.param(run_worker, id="through the worker"),
        # Without the idempotency layer: the domain's conditional writes alone keep it once.
        pytest.param(
            lambda step: publishing.advance_target(
                step["workspace_id"], step["post_id"], step["account_id"]
            ),
            id="domain only",
        ),
    ],
)
def test_a_temporary_failure_is_retried_later_with_backoff(
    studio: Studio, deliver: Callable[[dict[str, Any]], object]
) -> None:
    post_id, x, waiting = _retry_waiting(studio)
    assert waiting.due_at is not None
    step = studio.scheduler_input(target_schedule_name(studio.workspace_id, post_id, x))
    assert step["herald"] == "advance-target"
    before = waiting.attribute_values

    # Delivered early (a duplicate, or a clock ahead): nothing happens, nothing changes.
    with (
        time_machine.travel(waiting.due_at - timedelta(seconds=30)),
        respx.mock(assert_all_mocked=True, assert_all_called=False) as platforms,
    ):
        early = platforms.post(X_TWEETS).mock(return_value=tweet("1009", "Hello"))
        deliver(step)
    assert early.call_count == 0
    assert target(studio, post_id, x).attribute_values == before

    # Due: one call; delivered again, still that one call.
    with (
        time_machine.travel(waiting.due_at + timedelta(seconds=1)),
        respx.mock(assert_all_mocked=True, assert_all_called=False) as platforms,
    ):
        retried = platforms.post(X_TWEETS).mock(return_value=tweet("1009", "Hello"))
        deliver(step)
        deliver(step)
    assert retried.call_count == 1
    assert target(studio, post_id, x).state == "published"
    assert studio.post(post_id)["status"] == "published"


def test_a_thread_publishes_part_by_part_and_the_first_comment_follows(studio: Studio) -> None:
    x = studio.connect("x", X_USER)
    post_id = scheduled_post(
        studio,
        [
            {
                "account_id": x,
                "thread": [{"text": "Part two"}, {"text": "Part three"}],
                "first_comment": "Tell us what you think",
            }
        ],
        text="Part one",
    )
    with respx.mock(assert_all_called=True) as platforms:
        created = platforms.post(X_TWEETS).mock(
            side_effect=[tweet(str(2000 + n), f"part {n}") for n in range(4)]
        )
        studio.fire(post_id)

    bodies = [json.loads(call.request.content) for call in created.calls]
    assert bodies == [
        {"text": "Part one"},
        {"text": "Part two", "reply": {"in_reply_to_tweet_id": "2000"}},
        {"text": "Part three", "reply": {"in_reply_to_tweet_id": "2001"}},
        {"text": "Tell us what you think", "reply": {"in_reply_to_tweet_id": "2000"}},
    ]
    done = target(studio, post_id, x)
    assert done.parts == ["2000", "2001", "2002"]
    assert done.comment_id == "2003"
    assert done.platform_post_id == "2000"


# --- a YouTube upload resumed across attempts ---------------------------------------------------
# YouTube's resumable upload (https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):
# POST .../upload/youtube/v3/videos?uploadType=resumable opens a session (its URI in Location);
# PUTs with Content-Range send the bytes; an empty PUT with `Content-Range: bytes */SIZE` asks
# the session what it holds (308 with `Range: bytes=0-N`, or 200/201 with the video resource).
# Reconciling reads the channel's uploads playlist (channels.list, playlistItems.list).

YT_UPLOADS = "UUchannel1"
YT_VIDEOS = "https://www.googleapis.com/upload/youtube/v3/videos"
YT_SESSION = f"{YT_VIDEOS}?uploadType=resumable&part=snippet,status&upload_id=AEnB2Uo-secret"
YT_API = "https://www.googleapis.com/youtube/v3"
YT_SIZE = 300_000
YT_HELD = 256 * 1024  # what Google kept of attempt 1's bytes


def open_session(platforms: respx.MockRouter) -> respx.Route:
    return platforms.post(YT_VIDEOS, params={"uploadType": "resumable"}).respond(
        200, headers={"Location": YT_SESSION}
    )


def content_ranges(route: respx.Route) -> list[str]:
    return [call.request.headers["Content-Range"] for call in route.calls]


def test_a_youtube_upload_that_failed_mid_way_goes_on_where_it_stopped(studio: Studio) -> None:
    video = os.urandom(YT_SIZE)
    post_id, youtube = youtube_post(studio, video)

    # Attempt 1: the session opens, the bytes fail (503), and so does the status query.
    with respx.mock(assert_all_called=True) as platforms:
        opened = open_session(platforms)
        puts = platforms.put(YT_SESSION).respond(503, text="Service Unavailable")
        studio.fire(post_id)
    assert content_ranges(puts) == [f"bytes 0-{YT_SIZE - 1}/{YT_SIZE}", f"bytes */{YT_SIZE}"]
    waiting = target(studio, post_id, youtube)
    assert waiting.state == "retry_wait"
    # The session is kept for the next attempt, sealed: the table never shows its URI.
    assert waiting.progress is not None
    assert waiting.progress["resume"]["part"] == 0
    sealed = waiting.progress["resume"]["sealed"]
    assert readable_secrets(sealed, [YT_SESSION, "AEnB2Uo-secret"]) == []
    assert "AEnB2Uo-secret" not in json.dumps(waiting.attribute_values, default=str)
    assert "AEnB2Uo-secret" not in json.dumps(studio.post(post_id))

    # Attempt 2: no new session; the status query says 256 KiB arrived; only the rest is sent.
    assert waiting.due_at is not None
    with (
        time_machine.travel(waiting.due_at + timedelta(seconds=1)),
        respx.mock(assert_all_mocked=True, assert_all_called=False) as platforms,
    ):
        reopened = open_session(platforms)
        puts = platforms.put(YT_SESSION).mock(
            side_effect=[
                httpx.Response(308, headers={"Range": f"bytes=0-{YT_HELD - 1}"}),
                httpx.Response(201, json={"kind": "youtube#video", "id": "vidResumed"}),
            ]
        )
        outcome = publishing.advance_target(studio.workspace_id, post_id, youtube)

    assert outcome == "processing"
    assert opened.call_count == 1
    assert reopened.call_count == 0
    assert content_ranges(puts) == [
        f"bytes */{YT_SIZE}",
        f"bytes {YT_HELD}-{YT_SIZE - 1}/{YT_SIZE}",
    ]
    assert puts.calls[0].request.content == b""
    assert puts.calls[1].request.content == video[YT_HELD:]
    processing = target(studio, post_id, youtube)
    assert processing.progress is not None
    assert processing.progress["platform_post_id"] == "vidResumed"
    assert "resume" not in processing.progress


def test_a_youtube_upload_finished_before_the_worker_was_cut_off_is_not_uploaded_again(
    studio: Studio,
) -> None:
    """The last byte went out, then the worker was ended: the target is found stuck, YouTube's
    uploads do not list the video yet, and the next attempt's status query answers with it."""
    video = os.urandom(YT_SIZE)
    post_id, youtube = youtube_post(studio, video)

    def cut_off(request: httpx.Request) -> httpx.Response:
        raise WorkerKilled

    # (respx records no call that ends in a BaseException: the PUT is not counted.)
    with respx.mock(assert_all_called=False) as platforms:
        opened = open_session(platforms)
        platforms.put(YT_SESSION).mock(side_effect=cut_off)
        with pytest.raises(WorkerKilled):
            studio.fire(post_id)
    stuck = target(studio, post_id, youtube)
    assert stuck.state == "publishing"
    assert stuck.progress is not None
    assert stuck.progress["resume"]["part"] == 0

    with respx.mock(assert_all_mocked=True, assert_all_called=False) as platforms:
        reopened = open_session(platforms)
        platforms.get(f"{YT_API}/channels").respond(
            200,
            json={"items": [{"contentDetails": {"relatedPlaylists": {"uploads": YT_UPLOADS}}}]},
        )
        playlist = platforms.get(f"{YT_API}/playlistItems").respond(200, json={"items": []})
        puts = platforms.put(YT_SESSION).respond(
            200, json={"kind": "youtube#video", "id": "vidFinished"}
        )
        sweep_after(studio, post_id, timedelta(minutes=19))
        assert target(studio, post_id, youtube).state == "unconfirmed"
        sweep_after(studio, post_id, timedelta(minutes=23))

    assert playlist.call_count == 1
    assert opened.call_count + reopened.call_count == 1
    assert content_ranges(puts) == [f"bytes */{YT_SIZE}"]
    done = target(studio, post_id, youtube)
    assert done.state == "processing"
    assert done.progress is not None
    assert done.progress["platform_post_id"] == "vidFinished"


def _published_but_unsettled(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, list[TargetItem]]:
    """A post whose two targets are published and whose settlement has not run yet."""
    first, second = studio.sandbox("First"), studio.sandbox("Second")
    post_id = scheduled_post(studio, [{"account_id": first}, {"account_id": second}])
    with monkeypatch.context() as patched:
        patched.setattr(publishing, "settle_post", lambda *args, **kwargs: None)
        studio.fire(post_id)
    assert studio.post(post_id)["status"] == "publishing"
    return post_id, [target(studio, post_id, first), target(studio, post_id, second)]


def test_a_firing_settles_from_the_targets_it_holds_once_all_have_finished(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_id, held = _published_but_unsettled(studio, monkeypatch)
    published = bus_listener("post.published")

    with monkeypatch.context() as patched:
        # Finished targets never move again: nothing needs reading them back.
        patched.setattr(TargetItem, "of_post", mock.Mock(side_effect=AssertionError("read")))
        assert publishing.settle_post(studio.workspace_id, post_id, held) == "published"

    (event,) = received(published)
    assert [t["state"] for t in event["detail"]["data"]["targets"]] == ["published"] * 2


def test_a_firing_holding_an_unfinished_target_reads_the_targets_before_settling(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker may have finished it meanwhile (an async platform's check): what is
    stored counts, or nobody would settle the post."""
    post_id, held = _published_but_unsettled(studio, monkeypatch)
    held[0].state = "processing"  # as this worker last wrote it, before the check finished it

    assert publishing.settle_post(studio.workspace_id, post_id, held) == "published"
    assert studio.post(post_id)["status"] == "published"
