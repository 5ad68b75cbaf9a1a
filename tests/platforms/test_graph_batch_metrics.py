"""Post metrics of Facebook Pages and Instagram read in Graph API batch requests.

Meta's "Batch Requests" (https://developers.facebook.com/docs/graph-api/batch-requests): a POST
whose `batch` parameter is a JSON array of {"method", "relative_url"}, "limited to 50 requests
per batch"; `include_headers=false` leaves the headers out of the answer; the answer is an array
in the order of the requests, each {"code", "body"} with `body` a JSON-encoded string; an error of
one request is its own code and body (the others still complete), and a request a batch that ran
out of time did not complete is null. The sample request carries `access_token` beside `batch`.

Errors are Graph API error objects (https://developers.facebook.com/docs/graph-api/guides/error-handling):
a deleted object reads as code 100, subcode 33; code 190 is a refused token; code 4 and 17 are
rate limits."""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from functions.publish.adapters.platforms.base import (
    BatchMetrics,
    ConnectedAccount,
    ReauthRequired,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.platforms.facebook import FacebookAdapter
from functions.publish.adapters.platforms.instagram import InstagramAdapter

GRAPH = "https://graph.facebook.com/v25.0"
TOKEN = "PAGE-TOKEN-abc"
TOKENS = TokenSet(access_token=TOKEN)
PAGE = ConnectedAccount(platform_account_id="104000000000001", name="Brand", kind="page")
IG = ConnectedAccount(platform_account_id="17841400000000001", name="Brand", kind="business")
FEED_METRICS = "views,reach,likes,comments,shares,saved,total_interactions"
STORY_METRICS = "views,reach,shares,total_interactions,replies,navigation,follows,profile_visits"
GONE = {
    "code": 400,
    "body": json.dumps(
        {
            "error": {
                "message": "Unsupported get request. Object with ID 'M2' does not exist, cannot "
                "be loaded due to missing permissions, or does not support this operation.",
                "type": "GraphMethodException",
                "code": 100,
                "error_subcode": 33,
            }
        }
    ),
}

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        yield router


def ok(body: dict[str, Any]) -> dict[str, Any]:
    return {"code": 200, "body": json.dumps(body)}


def sent(request: httpx.Request) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The batch request's form fields (each once) and its requests."""
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = {name: values[0] for name, values in parse_qs(request.content.decode()).items()}
    return form, json.loads(form["batch"])


def relative(request: dict[str, str]) -> tuple[str, dict[str, str]]:
    split = urlsplit(request["relative_url"])
    return split.path, {name: values[0] for name, values in parse_qs(split.query).items()}


def insights(**values: int) -> dict[str, Any]:
    return {
        "data": [
            {"name": name, "period": "lifetime", "values": [{"value": value}]}
            for name, value in values.items()
        ]
    }


def facebook() -> FacebookAdapter:
    return FacebookAdapter(client_id="a", client_secret="s", http=httpx.AsyncClient())


def instagram() -> InstagramAdapter:
    return InstagramAdapter(client_id="a", client_secret="s", http=httpx.AsyncClient())


def test_both_adapters_batch_up_to_fifty_posts() -> None:
    for adapter in (facebook(), instagram()):
        assert isinstance(adapter, BatchMetrics)
        assert adapter.metrics_batch_size == 50


async def test_facebook_reads_posts_in_one_batch_and_leaves_a_deleted_one_out(
    mock: respx.MockRouter,
) -> None:
    route = mock.post(GRAPH).respond(
        200,
        json=[
            ok(
                {
                    "reactions": {"data": [], "summary": {"total_count": 41}},
                    "comments": {"data": [], "summary": {"total_count": 7}},
                    "shares": {"count": 3},
                    "id": "104_1",
                }
            ),
            GONE,
        ],
    )

    found = await facebook().metrics_many(TOKENS, PAGE, ["104_1", "104_2"])

    assert found == {"104_1": {"reactions": 41, "comments": 7, "shares": 3}}
    request = route.calls.last.request
    assert (request.method, str(request.url)) == ("POST", GRAPH)
    assert "authorization" not in request.headers  # the token travels in the form body
    form, batch = sent(request)
    assert form["access_token"] == TOKEN
    assert form["include_headers"] == "false"
    fields = "reactions.limit(0).summary(total_count),comments.limit(0).summary(total_count),shares"
    assert [request["method"] for request in batch] == ["GET", "GET"]
    assert [relative(request) for request in batch] == [
        ("104_1", {"fields": fields}),
        ("104_2", {"fields": fields}),
    ]


async def test_instagram_reads_types_then_insights_in_two_batches(
    mock: respx.MockRouter,
) -> None:
    """Insights take the metrics of the media's product type (see test_instagram), so the types
    are one batch and the insights of the media still there a second one."""
    route = mock.post(GRAPH)
    route.side_effect = [
        httpx.Response(
            200,
            json=[
                ok({"media_product_type": "FEED", "id": "M1"}),
                GONE,
                ok({"media_product_type": "STORY", "id": "S1"}),
            ],
        ),
        httpx.Response(
            200,
            json=[
                ok(insights(views=1200, reach=900, likes=80)),
                ok(insights(views=410, replies=6)),
            ],
        ),
    ]

    found = await instagram().metrics_many(TOKENS, IG, ["M1", "M2", "S1"])

    assert found == {
        "M1": {"views": 1200, "reach": 900, "likes": 80},
        "S1": {"views": 410, "replies": 6},
    }
    types, metrics = (sent(call.request) for call in route.calls)
    assert types[0]["access_token"] == metrics[0]["access_token"] == TOKEN
    assert [relative(request) for request in types[1]] == [
        (media, {"fields": "media_product_type"}) for media in ("M1", "M2", "S1")
    ]
    assert [relative(request) for request in metrics[1]] == [
        ("M1/insights", {"metric": FEED_METRICS}),
        ("S1/insights", {"metric": STORY_METRICS}),
    ]


async def test_instagram_asks_no_insights_when_every_media_is_gone(
    mock: respx.MockRouter,
) -> None:
    route = mock.post(GRAPH).respond(200, json=[GONE])

    assert await instagram().metrics_many(TOKENS, IG, ["M2"]) == {}
    assert route.call_count == 1


async def test_a_refused_token_in_the_batch_is_reauth_for_the_whole_call(
    mock: respx.MockRouter,
) -> None:
    mock.post(GRAPH).respond(
        400,
        json={
            "error": {
                "message": "Error validating access token: Session has expired.",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 463,
            }
        },
    )

    with pytest.raises(ReauthRequired):
        await facebook().metrics_many(TOKENS, PAGE, ["104_1", "104_2"])


async def test_a_rate_limit_inside_the_batch_is_retryable_for_the_whole_call(
    mock: respx.MockRouter,
) -> None:
    """Each request of a batch counts against the rate limits on its own, so a throttled one
    stands for the account, not for its post."""
    throttled = {
        "code": 403,
        "body": json.dumps(
            {"error": {"message": "(#4) Application request limit reached", "code": 4}}
        ),
    }
    mock.post(GRAPH).respond(200, json=[ok({"id": "104_1"}), throttled])

    with pytest.raises(Retryable):
        await facebook().metrics_many(TOKENS, PAGE, ["104_1", "104_2"])


async def test_a_request_the_batch_did_not_complete_is_retryable(mock: respx.MockRouter) -> None:
    """A timed-out batch answers null for what it did not complete: not a deleted post."""
    mock.post(GRAPH).respond(200, json=[ok({"id": "104_1"}), None])

    with pytest.raises(Retryable):
        await facebook().metrics_many(TOKENS, PAGE, ["104_1", "104_2"])


async def test_more_than_fifty_reads_are_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="50"):
        await facebook().metrics_many(TOKENS, PAGE, [f"104_{n}" for n in range(51)])
