"""Each adapter's account-level metrics call (docs/analytics.md, "Account metrics"): the
documented request, and the answer's counts under the normalized names (followers, following,
posts) with the platform's other numbers under its own names. Faked at the transport (respx)."""

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from functions.publish.adapters.platforms.base import ConnectedAccount, NotSupported, TokenSet
from functions.publish.adapters.platforms.facebook import FacebookAdapter
from functions.publish.adapters.platforms.instagram import InstagramAdapter
from functions.publish.adapters.platforms.linkedin import LinkedInAdapter
from functions.publish.adapters.platforms.sandbox import sandbox_account_metrics
from functions.publish.adapters.platforms.threads import ThreadsAdapter
from functions.publish.adapters.platforms.tiktok import TikTokAdapter
from functions.publish.adapters.platforms.x import XAdapter
from functions.publish.adapters.platforms.youtube import YouTubeAdapter

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TOKENS = TokenSet(access_token="user-token")
AUTH = "Bearer user-token"
GRAPH = "https://graph.facebook.com/v25.0"

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True) as router:
        yield router


def account(platform_account_id: str, kind: str = "profile") -> ConnectedAccount:
    return ConnectedAccount(platform_account_id=platform_account_id, name="Herald", kind=kind)


async def test_x_reads_the_user_s_public_metrics(mock: respx.MockRouter) -> None:
    """GET /2/users/me?user.fields=public_metrics (https://docs.x.com/x-api/users/user-lookup-me;
    the answer as in https://docs.x.com/x-api/users/lookup/quickstart/authenticated-lookup)."""
    route = mock.get("https://api.x.com/2/users/me").respond(
        200,
        json={
            "data": {
                "id": "2244994945",
                "name": "X Developers",
                "username": "XDevelopers",
                "public_metrics": {
                    "followers_count": 583423,
                    "following_count": 2048,
                    "tweet_count": 14052,
                    "listed_count": 1672,
                },
            }
        },
    )
    adapter = XAdapter(client_id="c", client_secret="s", http=httpx.AsyncClient())

    found = await adapter.account_metrics(TOKENS, account("2244994945"))

    assert found == {
        "followers": 583423,
        "following": 2048,
        "posts": 14052,
        "listed_count": 1672,
    }
    request = route.calls.last.request
    assert dict(request.url.params) == {"user.fields": "public_metrics"}
    assert request.headers["authorization"] == AUTH


async def test_youtube_reads_the_channel_s_statistics(mock: respx.MockRouter) -> None:
    """channels.list?part=statistics&id=<channel>, counts as strings
    (https://developers.google.com/youtube/v3/docs/channels/list,
    https://developers.google.com/youtube/v3/docs/channels#statistics)."""
    route = mock.get("https://www.googleapis.com/youtube/v3/channels").respond(
        200,
        json={
            "kind": "youtube#channelListResponse",
            "items": [
                {
                    "kind": "youtube#channel",
                    "id": "UC123",
                    "statistics": {
                        "viewCount": "1234567",
                        "subscriberCount": "8910",
                        "hiddenSubscriberCount": False,
                        "videoCount": "321",
                    },
                }
            ],
        },
    )
    adapter = YouTubeAdapter(client_id="c", client_secret="s", http=httpx.AsyncClient())

    found = await adapter.account_metrics(TOKENS, account("UC123", "channel"))

    assert found == {"followers": 8910, "posts": 321, "channel_views": 1234567}
    assert dict(route.calls.last.request.url.params) == {"part": "statistics", "id": "UC123"}


async def test_youtube_keeps_no_follower_count_the_channel_hides(mock: respx.MockRouter) -> None:
    """hiddenSubscriberCount true: the channel does not show its subscriber count."""
    mock.get("https://www.googleapis.com/youtube/v3/channels").respond(
        200,
        json={
            "items": [
                {
                    "id": "UC123",
                    "statistics": {
                        "viewCount": "10",
                        "subscriberCount": "0",
                        "hiddenSubscriberCount": True,
                        "videoCount": "2",
                    },
                }
            ]
        },
    )
    adapter = YouTubeAdapter(client_id="c", client_secret="s", http=httpx.AsyncClient())

    assert "followers" not in await adapter.account_metrics(TOKENS, account("UC123", "channel"))


async def test_tiktok_reads_the_user_s_stats(mock: respx.MockRouter) -> None:
    """GET /v2/user/info/?fields=follower_count,following_count,likes_count,video_count (scope
    user.info.stats; https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info)."""
    route = mock.get("https://open.tiktokapis.com/v2/user/info/").respond(
        200,
        json={
            "data": {
                "user": {
                    "follower_count": 1200,
                    "following_count": 80,
                    "likes_count": 27155,
                    "video_count": 44,
                }
            },
            "error": {"code": "ok", "message": "", "log_id": "20260101"},
        },
    )
    adapter = TikTokAdapter(client_key="k", client_secret="s", http=httpx.AsyncClient())

    found = await adapter.account_metrics(TOKENS, account("open-id-1"))

    assert found == {"followers": 1200, "following": 80, "posts": 44, "likes_count": 27155}
    assert route.calls.last.request.url.params["fields"] == (
        "follower_count,following_count,likes_count,video_count"
    )
    assert "user.info.stats" in adapter.scopes


IG_USER = "17841400000000001"
# GET /<ig-user-id>/insights?metric=profile_views&period=day&metric_type=total_value
# (https://developers.facebook.com/docs/instagram-platform/api-reference/instagram-user/insights):
# since v22.0 the account metrics answer as `total_value`.
IG_PROFILE_VIEWS = {
    "data": [
        {
            "name": "profile_views",
            "period": "day",
            "title": "Profile views",
            "total_value": {"value": 842},
            "id": f"{IG_USER}/insights/profile_views/day",
        }
    ]
}


def instagram_counts(mock: respx.MockRouter) -> respx.Route:
    """GET /<ig-user-id>?fields=followers_count,follows_count,media_count
    (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user)."""
    return mock.get(f"{GRAPH}/{IG_USER}").respond(
        200,
        json={
            "followers_count": 267788,
            "follows_count": 310,
            "media_count": 1205,
            "id": IG_USER,
        },
    )


async def test_instagram_reads_the_ig_user_s_counts_and_profile_views(
    mock: respx.MockRouter,
) -> None:
    counts = instagram_counts(mock)
    views = mock.get(f"{GRAPH}/{IG_USER}/insights").respond(200, json=IG_PROFILE_VIEWS)
    adapter = InstagramAdapter(client_id="a", client_secret="s", http=httpx.AsyncClient())

    found = await adapter.account_metrics(TOKENS, account(IG_USER, "business"))

    assert found == {"followers": 267788, "following": 310, "posts": 1205, "profile_views": 842}
    request = counts.calls.last.request
    assert request.url.params["fields"] == "followers_count,follows_count,media_count"
    assert request.headers["authorization"] == AUTH
    asked = views.calls.last.request
    assert dict(asked.url.params) == {
        "metric": "profile_views",
        "period": "day",
        "metric_type": "total_value",
    }
    assert asked.headers["authorization"] == AUTH


async def test_instagram_keeps_the_counts_when_profile_views_are_refused(
    mock: respx.MockRouter,
) -> None:
    """A missing insights permission is a Graph error code 10 or 200
    (https://developers.facebook.com/docs/graph-api/guides/error-handling)."""
    instagram_counts(mock)
    mock.get(f"{GRAPH}/{IG_USER}/insights").respond(
        403,
        json={
            "error": {
                "message": "(#10) Application does not have permission for this action",
                "type": "OAuthException",
                "code": 10,
            }
        },
    )
    adapter = InstagramAdapter(client_id="a", client_secret="s", http=httpx.AsyncClient())

    found = await adapter.account_metrics(TOKENS, account(IG_USER, "business"))

    assert found == {"followers": 267788, "following": 310, "posts": 1205}


async def test_facebook_reads_the_page_s_followers(mock: respx.MockRouter) -> None:
    """GET /<page-id>?fields=followers_count,fan_count
    (https://developers.facebook.com/docs/graph-api/reference/page/)."""
    route = mock.get(f"{GRAPH}/104000000000001").respond(
        200, json={"followers_count": 5120, "fan_count": 4800, "id": "104000000000001"}
    )
    adapter = FacebookAdapter(client_id="a", client_secret="s", http=httpx.AsyncClient())

    found = await adapter.account_metrics(TOKENS, account("104000000000001", "page"))

    assert found == {"followers": 5120, "fan_count": 4800}
    assert route.calls.last.request.url.params["fields"] == "followers_count,fan_count"


THREADS_INSIGHTS = "https://graph.threads.net/v1.0/178414/threads_insights"


def threads_followers(mock: respx.MockRouter) -> respx.Route:
    """GET /<threads-user-id>/threads_insights?metric=followers_count, a `total_value`
    (https://developers.facebook.com/docs/threads/insights)."""
    return mock.get(THREADS_INSIGHTS, params={"metric": "followers_count"}).respond(
        200,
        json={
            "data": [
                {
                    "name": "followers_count",
                    "period": "day",
                    "title": "followers_count",
                    "total_value": {"value": 4321},
                    "id": "178414/insights/followers_count/day",
                }
            ]
        },
    )


def threads_adapter() -> ThreadsAdapter:
    return ThreadsAdapter(
        client_id="t", client_secret="s", http=httpx.AsyncClient(), api_version="v1.0"
    )


async def test_threads_reads_the_followers_and_the_latest_day_s_profile_views(
    mock: respx.MockRouter,
) -> None:
    """The user insight `views` is "the number of times your profile was viewed", a time
    series of daily `values` with their `end_time` (https://developers.facebook.com/docs/threads/insights)."""
    followers = threads_followers(mock)
    views = mock.get(THREADS_INSIGHTS, params={"metric": "views"}).respond(
        200,
        json={
            "data": [
                {
                    "name": "views",
                    "period": "day",
                    "title": "views",
                    "description": "The number of times your profile was viewed.",
                    "values": [
                        {"value": 118, "end_time": "2026-11-01T07:00:00+0000"},
                        {"value": 95, "end_time": "2026-10-31T07:00:00+0000"},
                    ],
                    "id": "178414/insights/views/day",
                }
            ]
        },
    )

    found = await threads_adapter().account_metrics(TOKENS, account("178414"))

    assert found == {"followers": 4321, "profile_views": 118}
    params = followers.calls.last.request.url.params
    assert (params["metric"], params["access_token"]) == ("followers_count", "user-token")
    assert dict(views.calls.last.request.url.params) == {
        "metric": "views",
        "access_token": "user-token",
    }


async def test_threads_keeps_the_followers_when_profile_views_fail(
    mock: respx.MockRouter,
) -> None:
    threads_followers(mock)
    mock.get(THREADS_INSIGHTS, params={"metric": "views"}).respond(
        500, json={"error": {"message": "An unknown error occurred", "code": 1}}
    )

    assert await threads_adapter().account_metrics(TOKENS, account("178414")) == {"followers": 4321}


async def test_linkedin_reads_an_organization_s_follower_count(mock: respx.MockRouter) -> None:
    """GET /rest/networkSizes/{organization URN}?edgeType=COMPANY_FOLLOWED_BY_MEMBER answers
    firstDegreeSize (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api)."""
    route = mock.get(
        "https://api.linkedin.com/rest/networkSizes/urn%3Ali%3Aorganization%3A2414183"
    ).respond(200, json={"firstDegreeSize": 219145})
    adapter = LinkedInAdapter(
        client_id="l", client_secret="s", http=httpx.AsyncClient(), api_version="202607"
    )

    organization = account("urn:li:organization:2414183", "organization")
    assert await adapter.account_metrics(TOKENS, organization) == {"followers": 219145}
    request = route.calls.last.request
    assert request.url.params["edgeType"] == "COMPANY_FOLLOWED_BY_MEMBER"
    assert request.headers["linkedin-version"] == "202607"


async def test_linkedin_offers_no_member_follower_count() -> None:
    adapter = LinkedInAdapter(
        client_id="l", client_secret="s", http=httpx.AsyncClient(), api_version="202607"
    )

    with pytest.raises(NotSupported):
        await adapter.account_metrics(TOKENS, account("urn:li:person:abc123"))


def test_sandbox_numbers_are_plausible_and_change_from_day_to_day() -> None:
    account_id = "sandbox-01M3TC5H00QTMBY8Y2V4NM6QEB"  # connected on 2026-10-01
    days = [datetime(2026, 11, day, 1, 0, tzinfo=UTC) for day in range(1, 31)]
    followers = [sandbox_account_metrics(account_id, day, 3)["followers"] for day in days]

    assert all(200 <= count < 50_000 for count in followers)
    assert followers[-1] > followers[0]
    assert len(set(followers)) > 10
    first = sandbox_account_metrics(account_id, days[0], 3)
    assert set(first) == {"followers", "following", "posts", "profile_views"}
    assert sandbox_account_metrics(account_id, days[0], 4)["posts"] == first["posts"] + 1
