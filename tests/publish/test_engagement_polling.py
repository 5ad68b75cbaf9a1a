"""Polling comments and mentions no webhook brings (docs/inbox.md, "Polling where no webhook
comes"): the poll item written with the published target, the due polls read by key, what they
find queued once on the inbound queue, and the schedule that decays, waits or ends.

Platforms are faked at the transport (respx): YouTube commentThreads.list
(https://developers.google.com/youtube/v3/docs/commentThreads/list), X's mentions timeline
(https://docs.x.com/x-api/posts/user-mention-timeline-by-user-id) and POST /2/tweets
(https://docs.x.com/x-api/posts/create-or-edit-post)."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
import respx
import time_machine
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.poll_items import PollItem
from functions.publish.adapters.post_items import TargetItem
from functions.publish.domain import engagement_polling, publishing
from functions.publish.domain.engagement_polling import (
    COMMENT_WAITS,
    MENTIONS_EVERY,
    POLLED,
    PollReport,
    poll_due,
)
from functions.shared.settings import get_settings
from tests.publish.posts_world import X_TWEETS, YT_CHANNEL, later, youtube_post
from tests.publish.studio import Studio

YT_API = "https://www.googleapis.com/youtube/v3"
YT_VIDEOS = "https://www.googleapis.com/upload/youtube/v3/videos"
YT_SESSION = f"{YT_VIDEOS}?uploadType=resumable&part=snippet,status&upload_id=AEnB2Uo-poll"
X_USER = "2244994945"
X_MENTIONS = f"https://api.x.com/2/users/{X_USER}/mentions"


@pytest.fixture
def inbound(studio: Studio) -> str:
    """The inbound queue the webhooks group's processor consumes, as local provisioning makes it."""
    settings = get_settings()
    name = settings.inbound_queue_url.rsplit("/", 1)[-1]
    url: str = boto3.client("sqs", region_name=settings.region).create_queue(QueueName=name)[
        "QueueUrl"
    ]
    return url


def queued(queue_url: str) -> list[dict[str, Any]]:
    """Every message waiting on the queue (received and deleted), as the processor reads them."""
    sqs = boto3.client("sqs", region_name=get_settings().region)
    bodies: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return bodies
        for message in batch:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def google_error(status: int, reason: str, message: str, **headers: str) -> httpx.Response:
    """An error answer of the Data API (https://developers.google.com/youtube/v3/docs/errors)."""
    errors = [{"reason": reason, "message": message}]
    body = {"error": {"code": status, "message": message, "errors": errors}}
    return httpx.Response(status, json=body, headers=headers)


def thread(comment_id: str, published: datetime) -> dict[str, Any]:
    """A commentThread resource (https://developers.google.com/youtube/v3/docs/commentThreads)."""
    return {
        "kind": "youtube#commentThread",
        "id": comment_id,
        "snippet": {
            "videoId": "vidPolled",
            "topLevelComment": {
                "kind": "youtube#comment",
                "id": comment_id,
                "snippet": {
                    "authorDisplayName": "@fan",
                    "authorChannelId": {"value": "UCfan"},
                    "textOriginal": f"Comment {comment_id}",
                    "publishedAt": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            },
        },
    }


def watch_comments(
    studio: Studio, account_id: str, *, due: datetime, cursor: str | None = None, polls: int = 0
) -> PollItem:
    """A video's comments poll as publishing leaves it (`start_polling`), due at `due`."""
    post_id = "01J0POSTPOLLED0000000000AA"
    item = PollItem(
        *PollItem.comments_keys(studio.workspace_id, post_id, account_id),
        workspace_id=studio.workspace_id,
        account_id=account_id,
        post_id=post_id,
        kind="comments",
        platform="youtube",
        platform_post_id="vidPolled",
        cursor=cursor,
        polls=polls,
        due_bucket=engagement_polling._bucket(account_id),
        due_at=due,
    )
    item.save()
    return item


def stored(item: PollItem) -> PollItem | None:
    return PollItem.find_key(item.pk, item.sk)


def poll_at(moment: datetime) -> PollReport:
    with time_machine.travel(moment, tick=False):
        return poll_due()


# --- the poll item is born with the published target ---------------------------------------------


def upload_then_finish_processing(
    studio: Studio, post_id: str, account_id: str
) -> tuple[str, datetime]:
    """YouTube's resumable upload (https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol)
    leaves the video processing; the status check (videos.list,
    https://developers.google.com/youtube/v3/docs/videos/list) finds it processed."""
    with respx.mock(assert_all_called=True) as platforms:
        platforms.post(YT_VIDEOS, params={"uploadType": "resumable"}).respond(
            200, headers={"Location": YT_SESSION}
        )
        platforms.put(YT_SESSION).respond(201, json={"kind": "youtube#video", "id": "vidPolled"})
        studio.fire(post_id)
    waiting = TargetItem.find(studio.workspace_id, post_id, account_id)
    assert waiting is not None
    assert waiting.state == "processing"
    assert waiting.due_at is not None
    checked_at = waiting.due_at + timedelta(seconds=1)
    with (
        time_machine.travel(checked_at, tick=False),
        respx.mock(assert_all_called=True) as platforms,
    ):
        platforms.get(f"{YT_API}/videos").respond(
            200,
            json={
                "items": [
                    {
                        "id": "vidPolled",
                        "status": {"uploadStatus": "processed"},
                        "processingDetails": {"processingStatus": "succeeded"},
                    }
                ]
            },
        )
        outcome = publishing.advance_target(studio.workspace_id, post_id, account_id)
    return outcome, checked_at


def test_a_published_youtube_video_gets_its_comments_poll_in_the_same_transaction(
    studio: Studio,
) -> None:
    post_id, youtube = youtube_post(studio, b"\x00" * 2000)
    outcome, published_at = upload_then_finish_processing(studio, post_id, youtube)

    assert outcome == "published"
    poll = PollItem.find_key(*PollItem.comments_keys(studio.workspace_id, post_id, youtube))
    assert poll is not None
    assert (poll.kind, poll.platform, poll.platform_post_id) == ("comments", "youtube", "vidPolled")
    assert (poll.account_id, poll.post_id, poll.polls) == (youtube, post_id, 0)
    assert not poll.cursor
    assert poll.due_at == published_at + COMMENT_WAITS[0]
    # On the by-due index, where the poller finds it when due, and not before.
    on_index = list(
        PollItem.by_due.query(poll.due_bucket, PollItem.due_at <= published_at + COMMENT_WAITS[0])
    )
    assert [(entry.pk, entry.sk) for entry in on_index] == [(poll.pk, poll.sk)]
    assert not list(PollItem.by_due.query(poll.due_bucket, PollItem.due_at <= published_at))


def test_a_failed_publish_transaction_leaves_neither_the_state_nor_the_poll(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer changes the target between its read and the transaction: the target's
    version condition cancels the whole transaction, the poll item with it."""
    post_id, youtube = youtube_post(studio, b"\x00" * 2000)
    start_polling = engagement_polling.start_polling

    def while_someone_else_writes(write: Any, target: TargetItem, now: datetime) -> None:
        start_polling(write, target, now)
        concurrent = TargetItem.find(studio.workspace_id, post_id, youtube)
        assert concurrent is not None
        concurrent.update(actions=[TargetItem.warnings.set(["changed meanwhile"])])

    monkeypatch.setattr(publishing, "start_polling", while_someone_else_writes)
    with pytest.raises(TransactWriteError):
        upload_then_finish_processing(studio, post_id, youtube)

    target = TargetItem.find(studio.workspace_id, post_id, youtube)
    assert target is not None
    assert target.state == "processing"
    assert PollItem.find_key(*PollItem.comments_keys(studio.workspace_id, post_id, youtube)) is None


# --- a due poll -----------------------------------------------------------------------------------


def test_a_due_poll_lists_from_its_cursor_and_queues_each_comment_once(
    studio: Studio, inbound: str
) -> None:
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    noon = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    kept = f"{(noon - timedelta(hours=1)).isoformat()} UgzSeen"
    poll = watch_comments(studio, youtube, due=noon, cursor=kept, polls=2)
    listing = {
        "items": [
            thread("UgzNew", noon - timedelta(minutes=10)),
            thread("UgzSeen", noon - timedelta(hours=1)),
        ]
    }

    with respx.mock(assert_all_called=True) as platforms:
        route = platforms.get(f"{YT_API}/commentThreads").respond(200, json=listing)
        first = poll_at(noon + timedelta(seconds=5))
    assert route.calls.last.request.url.params["videoId"] == "vidPolled"
    assert (first.polled, first.found, first.queued) == (1, 1, 1)
    [message] = queued(inbound)
    assert message["platform"] == POLLED
    assert message["event_id"] == "youtube:UgzNew"
    assert message["payload"]["platform_item_id"] == "UgzNew"
    assert message["payload"]["platform_post_id"] == "vidPolled"
    assert message["payload"]["text"] == "Comment UgzNew"
    after = stored(poll)
    assert after is not None
    assert after.cursor == f"{(noon - timedelta(minutes=10)).isoformat()} UgzNew"
    assert after.polls == 3
    assert after.due_at == noon + timedelta(seconds=5) + COMMENT_WAITS[3]


def test_a_comment_found_again_is_not_queued_twice(studio: Studio, inbound: str) -> None:
    """A poll cut short after queueing (its cursor not stored), or a webhook that brought the
    comment first: the inbound receipt keeps the second one off the queue."""
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    noon = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    poll = watch_comments(studio, youtube, due=noon)
    listing = {"items": [thread("UgzOnce", noon - timedelta(minutes=3))]}
    with respx.mock(assert_all_called=True) as platforms:
        platforms.get(f"{YT_API}/commentThreads").respond(200, json=listing)
        first = poll_at(noon)
        # The cursor is lost, as if the poll had stopped before storing it.
        polled = stored(poll)
        assert polled is not None
        polled.update(actions=[PollItem.cursor.remove(), PollItem.due_at.set(noon)])
        again = poll_at(noon + timedelta(seconds=1))
    assert (first.found, first.queued) == (1, 1)
    assert (again.found, again.queued) == (1, 0)
    assert [message["event_id"] for message in queued(inbound)] == ["youtube:UgzOnce"]


def test_the_comments_schedule_decays_then_ends_after_its_last_wait(
    studio: Studio, inbound: str
) -> None:
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    moment = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    poll = watch_comments(studio, youtube, due=moment)
    waits: list[timedelta] = []
    with respx.mock(assert_all_called=True) as platforms:
        platforms.get(f"{YT_API}/commentThreads").respond(200, json={"items": []})
        for _ in range(len(COMMENT_WAITS)):
            report = poll_at(moment)
            assert report.polled == 1
            after = stored(poll)
            if after is None:
                break
            waits.append(after.due_at - moment)
            moment = after.due_at
    assert waits == list(COMMENT_WAITS[1:])
    assert stored(poll) is None
    assert report.finished == 1


def test_nothing_is_polled_before_it_is_due(studio: Studio, inbound: str) -> None:
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    noon = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    poll = watch_comments(studio, youtube, due=noon)
    with respx.mock(assert_all_mocked=True):
        report = poll_at(noon - timedelta(seconds=1))
    assert report == PollReport()
    assert stored(poll) is not None


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [("600", timedelta(seconds=600)), ("30", engagement_polling.RATE_LIMITED_BY)],
)
def test_a_rate_limit_postpones_the_poll_by_retry_after_or_five_minutes(
    studio: Studio, inbound: str, retry_after: str, wait: timedelta
) -> None:
    """YouTube answers a 429 with Retry-After where it throttles
    (https://developers.google.com/youtube/v3/docs/errors); the longer of it and 5 minutes."""
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    noon = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    poll = watch_comments(studio, youtube, due=noon, cursor="2027-03-01T11:00:00+00:00 Ugz1")
    with respx.mock(assert_all_called=True) as platforms:
        platforms.get(f"{YT_API}/commentThreads").mock(
            return_value=google_error(
                429, "rateLimitExceeded", "Too many requests", **{"Retry-After": retry_after}
            )
        )
        report = poll_at(noon)
    assert report.postponed == 1
    after = stored(poll)
    assert after is not None
    assert after.due_at == noon + wait
    assert (after.polls, after.cursor) == (0, "2027-03-01T11:00:00+00:00 Ugz1")
    assert queued(inbound) == []


def test_a_refused_token_postpones_the_poll_an_hour_and_marks_the_account(
    studio: Studio, inbound: str
) -> None:
    """401 on the listing, and no refresh token to renew with: the account needs reconnecting
    (https://developers.google.com/youtube/v3/docs/errors)."""
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    noon = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    poll = watch_comments(studio, youtube, due=noon)
    with respx.mock(assert_all_called=True) as platforms:
        platforms.get(f"{YT_API}/commentThreads").mock(
            return_value=google_error(401, "authError", "Invalid Credentials")
        )
        report = poll_at(noon)
    assert report.postponed == 1
    after = stored(poll)
    assert after is not None
    assert after.due_at == noon + engagement_polling.POSTPONED_BY
    account = SocialAccountItem.find(studio.workspace_id, youtube)
    assert account is not None
    assert account.status == "needs_reconnect"

    # While the account waits for its owner, its polls wait too, asking nothing of YouTube.
    with respx.mock(assert_all_mocked=True):
        waiting = poll_at(after.due_at)
    assert waiting.postponed == 1
    later_poll = stored(poll)
    assert later_poll is not None
    assert later_poll.due_at == after.due_at + engagement_polling.POSTPONED_BY


@pytest.mark.parametrize(
    "refusal",
    [
        # https://developers.google.com/youtube/v3/docs/commentThreads/list#errors
        lambda: google_error(403, "commentsDisabled", "Comments are disabled"),
        lambda: google_error(404, "videoNotFound", "Video not found"),
    ],
    ids=["comments-disabled", "video-gone"],
)
def test_a_permanent_refusal_ends_the_poll(
    studio: Studio, inbound: str, refusal: Callable[[], httpx.Response]
) -> None:
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    noon = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    poll = watch_comments(studio, youtube, due=noon)
    with respx.mock(assert_all_called=True) as platforms:
        platforms.get(f"{YT_API}/commentThreads").mock(return_value=refusal())
        report = poll_at(noon)
    assert report.finished == 1
    assert stored(poll) is None


def test_a_listing_the_platform_does_not_offer_ends_the_poll(studio: Studio, inbound: str) -> None:
    """YouTube has no mentions listing (NotSupported, nothing sent)."""
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    poll = PollItem(
        *PollItem.mentions_keys(studio.workspace_id, youtube),
        workspace_id=studio.workspace_id,
        account_id=youtube,
        kind="mentions",
        platform="youtube",
        due_bucket=engagement_polling._bucket(youtube),
        due_at=datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
    )
    poll.save()
    with respx.mock(assert_all_mocked=True) as platforms:
        report = poll_at(datetime(2027, 3, 1, 12, 0, tzinfo=UTC))
    assert not platforms.calls
    assert report.finished == 1
    assert stored(poll) is None


def test_a_disconnected_accounts_poll_is_deleted(studio: Studio, inbound: str) -> None:
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    noon = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    poll = watch_comments(studio, youtube, due=noon)
    response = studio.client.delete(f"/v1/accounts/{youtube}", headers=studio.headers)
    assert response.status_code in (200, 204), response.text
    with respx.mock(assert_all_mocked=True) as platforms:
        report = poll_at(noon)
    assert not platforms.calls
    assert report.finished == 1
    assert stored(poll) is None


# --- X mentions -------------------------------------------------------------------------------


def publish_tweet(studio: Studio, account_id: str, tweet_id: str) -> None:
    created = studio.create(text=f"Post {tweet_id}", targets=[{"account_id": account_id}])
    studio.schedule(created["id"], later())
    with respx.mock(assert_all_called=True) as platforms:
        platforms.post(X_TWEETS).respond(201, json={"data": {"id": tweet_id, "text": "Post"}})
        report = studio.fire(created["id"])
    assert report["result"]["outcome"] == "published"


def mentions_timeline(mention_ids: list[int]) -> Callable[[httpx.Request], httpx.Response]:
    """X's mentions timeline: newest first, `since_id`, `max_results` per page and
    `meta.next_token` / `pagination_token` (https://docs.x.com/x-api/fundamentals/pagination)."""

    def answer(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        since = int(params.get("since_id", "0"))
        size = int(params["max_results"])
        start = int(params.get("pagination_token", "page-0").removeprefix("page-"))
        matching = sorted((found for found in mention_ids if found > since), reverse=True)
        page = matching[start : start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"] = str(page[0])
        if start + size < len(matching):
            meta["next_token"] = f"page-{start + size}"
        data = [{"id": str(found), "text": f"@brand {found}", "author_id": "99"} for found in page]
        return httpx.Response(200, json={"data": data, "meta": meta} if data else {"meta": meta})

    return answer


def test_an_x_account_gets_one_mentions_poll_that_keeps_its_cursor(
    studio: Studio, inbound: str
) -> None:
    x = studio.connect("x", X_USER, handle="brand")
    publish_tweet(studio, x, "1900000000000000001")
    keys = PollItem.mentions_keys(studio.workspace_id, x)
    first = PollItem.find_key(*keys)
    assert first is not None
    assert (first.kind, first.platform, first.polls) == ("mentions", "x", 0)
    assert not first.cursor
    assert not first.post_id

    with respx.mock(assert_all_called=True) as platforms:
        platforms.get(X_MENTIONS).mock(side_effect=mentions_timeline([1900000000000000005]))
        poll_at(first.due_at)
    polled = PollItem.find_key(*keys)
    assert polled is not None
    assert (polled.cursor, polled.polls) == ("1900000000000000005", 1)
    assert polled.due_at == first.due_at + MENTIONS_EVERY

    publish_tweet(studio, x, "1900000000000000009")
    kept = PollItem.find_key(*keys)
    assert kept is not None
    assert (kept.cursor, kept.polls, kept.due_at) == (polled.cursor, 1, polled.due_at)
    # One item per account, whatever it published (X gets no comments poll: mentions carry
    # the replies).
    watched = list(PollItem.query(keys[0], PollItem.sk.startswith("POLL#")))
    assert [entry.sk for entry in watched] == [keys[1]]


def test_a_burst_of_mentions_is_read_five_pages_a_run_then_a_minute_later(
    studio: Studio, inbound: str
) -> None:
    """620 mentions between two polls (6.2 pages of 100): one run reads five pages and comes
    back a minute later for the rest, the schedule moving on only when the walk ends."""
    x = studio.connect("x", X_USER, handle="brand")
    noon = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    poll = PollItem(
        *PollItem.mentions_keys(studio.workspace_id, x),
        workspace_id=studio.workspace_id,
        account_id=x,
        kind="mentions",
        platform="x",
        cursor="1000",  # a plain since-id, as kept before walks
        polls=4,
        due_bucket=engagement_polling._bucket(x),
        due_at=noon,
    )
    poll.save()
    mentions = list(range(1001, 1621))
    with respx.mock(assert_all_called=True) as platforms:
        route = platforms.get(X_MENTIONS).mock(side_effect=mentions_timeline(mentions))
        first = poll_at(noon)
        midway = stored(poll)
        assert midway is not None
        second = poll_at(midway.due_at)
    assert (first.polled, first.queued, first.postponed) == (5, 500, 1)
    assert midway.due_at == noon + engagement_polling.MORE_WAITING_AFTER
    assert midway.polls == 4
    assert (second.polled, second.queued) == (2, 120)
    assert {call.request.url.params["since_id"] for call in route.calls} == {"1000"}
    done = stored(poll)
    assert done is not None
    assert (done.cursor, done.polls) == ("1620", 5)
    assert done.due_at == midway.due_at + MENTIONS_EVERY
    delivered = [message["event_id"] for message in queued(inbound)]
    assert sorted(delivered) == [f"x:{found}" for found in mentions]


# --- by key, never a scan -------------------------------------------------------------------------


def test_finding_what_is_due_reads_the_by_due_index_only(
    studio: Studio, inbound: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    youtube = studio.connect("youtube", YT_CHANNEL, kind="channel")
    noon = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    watch_comments(studio, youtube, due=noon)
    operations: list[tuple[str, str | None]] = []
    dispatch = Connection.dispatch

    def recorded(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
        operations.append((operation_name, operation_kwargs.get("IndexName")))
        return dispatch(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", recorded)
    with respx.mock(assert_all_called=True) as platforms:
        platforms.get(f"{YT_API}/commentThreads").respond(200, json={"items": []})
        poll_at(noon)
    assert "Scan" not in {name for name, _ in operations}
    queries = [index for name, index in operations if name == "Query"]
    assert queries
    assert set(queries) == {"by-due"}
