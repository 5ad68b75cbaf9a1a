"""Issue 16's "done when" over `make dev`'s stack: `python -m infra.local` as a real process,
configured with a local OpenAI-compatible endpoint (the tests' fake model, serving on loopback;
its answers are scripted, so what is checked is Herald's part: what it sends, what it keeps,
what it refuses). Over HTTP and a real WebSocket client: a caption that passes preflight, a
streamed strategist answer grounded in the workspace's top post, a reply suggestion for a
sandbox comment, a generated image in the library, a generated video made by the media job
state machine (its StartVideo and PollVideo steps on the generation function, the rest on the
FFmpeg function, each by its handler string as in AWS). X and LinkedIn captions need X and LinkedIn
accounts, which `make dev` connects only with platform credentials; the same preflight
guarantee is tested for them in-process (tests/publish/test_ai_composer.py).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.e2e.local_stack import LocalServer, local_server, until, workspace_owner
from tests.support.fake_model import FakeModel, ToolCalls, serving
from tests.support.realtime import receive, send

COMMENT = "Is the autumn roast available in whole beans?"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServer, FakeModel]]:
    logs: Path = tmp_path_factory.mktemp("ai-stack")
    # `serving` sets HERALD_AI_* in this process's environment, which the stack inherits.
    # A generated video's job waits between polls: a second here, not 15.
    quick_polls = {"HERALD_AI_VIDEO_POLL_SECONDS": "1"}
    with serving(FakeModel()) as model, local_server(logs, quick_polls) as running:
        yield running, model


def _published_post(
    api: httpx.Client, headers: dict[str, str], server: LocalServer
) -> tuple[str, str]:
    account = api.post(
        "/v1/accounts", json={"platform": "sandbox", "name": "Cafe"}, headers=headers
    )
    assert account.status_code == 201, account.text
    account_id = account.json()["id"]
    post = api.post(
        "/v1/posts",
        json={"text": "Autumn roast is back", "targets": [{"account_id": account_id}]},
        headers=headers,
    )
    assert post.status_code == 201, post.text
    post_id = post.json()["id"]
    assert api.post(f"/v1/posts/{post_id}/publish", headers=headers).status_code in (200, 202)
    until(
        lambda: api.get(f"/v1/posts/{post_id}", headers=headers).json()["status"] == "published",
        server,
    )
    return account_id, post_id


def test_captions_a_grounded_streamed_answer_a_reply_suggestion_and_an_image(
    stack: tuple[LocalServer, FakeModel],
) -> None:
    server, model = stack
    api = httpx.Client(base_url=server.base_url, timeout=60)
    workspace_id, owner = workspace_owner(api, server, "ai@example.com", "AI Cafe")
    account_id, post_id = _published_post(api, owner, server)

    # A caption, returned only because it passes the target's preflight.
    model.answer("Autumn roast is back: whole beans or ground, from today.")
    captions = api.post(
        "/v1/ai/captions",
        json={"brief": "Our autumn roast is back", "targets": [{"account_id": account_id}]},
        headers=owner,
    )
    assert captions.status_code == 200, captions.text
    [caption] = captions.json()["items"]
    assert caption["text"] == "Autumn roast is back: whole beans or ground, from today."
    assert caption["preflight"]["problems"] == []

    # The post's metrics, read now, make it the workspace's top post.
    refreshed = api.post(f"/v1/analytics/posts/{post_id}/refresh", headers=owner)
    assert refreshed.status_code == 200, refreshed.text
    today = datetime.now(UTC).date()
    period = {"start": (today - timedelta(days=7)).isoformat(), "end": today.isoformat()}
    conversation = api.post("/v1/ai/conversations", json={"title": "Autumn"}, headers=owner)
    assert conversation.status_code == 201, conversation.text
    chat = conversation.json()["id"]
    answer = f'Your top post is "Autumn roast is back" ({post_id}).'
    model.answer(ToolCalls(("top_posts", period | {"limit": 3})), answer)
    token = owner["Authorization"].removeprefix("Bearer ")
    websocket = server.base_url.replace("http://", "ws://") + f"/v1/realtime?token={token}"
    with connect(websocket, open_timeout=10) as client:
        joined = send(client, {"action": "join", "workspace_id": workspace_id})
        assert joined["type"] == "joined"
        asked = api.post(
            f"/v1/ai/conversations/{chat}/messages",
            json={"content": "Which post did best this week?"},
            headers=owner,
        )
        assert asked.status_code == 200, asked.text
        pushed = [receive(client, timeout=10)]
        while pushed[-1]["type"] not in ("ai.chat.done", "ai.chat.failed"):
            pushed.append(receive(client, timeout=10))
    chunks = [message["data"]["text"] for message in pushed if message["type"] == "ai.chat.chunk"]
    assert "".join(chunks) == answer == asked.json()["answer"]["content"]
    assert asked.json()["streamed_to"] == 1
    # Grounded: the ranking the model read back names the published post.
    tool_results = [
        message["content"]
        for message in model.received_at("/v1/chat/completions")[-1].body["messages"]
        if message["role"] == "tool"
    ]
    assert len(tool_results) == 1
    assert post_id in tool_results[0]

    # A comment on the post, through the sandbox's signed webhook, then a suggested reply.
    commented = api.post(
        f"/v1/accounts/{account_id}/sandbox/comments",
        json={"post_id": post_id, "text": COMMENT},
        headers=owner,
    )
    assert commented.status_code in (200, 201, 202), commented.text

    def first_item() -> str | None:
        items: list[dict[str, Any]] = api.get("/v1/inbox", headers=owner).json()["items"]
        return str(items[0]["id"]) if items else None

    item_id = until(first_item, server)
    model.answer("Yes, in whole beans!\n---\nIt is: whole beans or ground, as you like.")
    suggested = api.post(f"/v1/inbox/{item_id}/suggestions", json={"count": 2}, headers=owner)
    assert suggested.status_code == 200, suggested.text
    assert [s["text"] for s in suggested.json()["suggestions"]] == [
        "Yes, in whole beans!",
        "It is: whole beans or ground, as you like.",
    ]
    assert COMMENT in model.received_at("/v1/chat/completions")[-1].last_user_message
    assert api.get(f"/v1/inbox/{item_id}", headers=owner).json()["status"] == "new"  # not sent

    # A generated image, in the library with its provenance.
    generated = api.post(
        "/v1/media/generate/images",
        json={"prompt": "A bag of autumn roast beans", "preset": "instagram_portrait"},
        headers=owner,
    )
    assert generated.status_code == 201, generated.text
    [image] = generated.json()["items"]
    assert (image["kind"], image["width"], image["height"]) == ("image", 1080, 1350)
    assert image["generation"]["prompt"] == "A bag of autumn roast beans"
    library = api.get("/v1/media", headers=owner).json()["items"]
    assert image["id"] in {asset["id"] for asset in library}


def test_a_generated_video_is_made_by_the_state_machine_on_both_functions(
    stack: tuple[LocalServer, FakeModel],
) -> None:
    server, _ = stack
    api = httpx.Client(base_url=server.base_url, timeout=60)
    _, owner = workspace_owner(api, server, "video@example.com", "Video Cafe")

    started = api.post(
        "/v1/media/generate/video",
        json={"prompt": "Steam over a flat white", "seconds": 4, "size": "1280x720"},
        headers=owner,
    )

    assert started.status_code == 202, started.text
    job_id = started.json()["id"]

    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = api.get(f"/v1/media/jobs/{job_id}", headers=owner).json()
        return job if job["status"] in ("succeeded", "failed") else None

    job = until(finished, server)
    assert job["status"] == "succeeded", job
    # PollVideo stored the clip, Thumbnail (FFmpeg) made its picture, Finalize kept it.
    asset = api.get(f"/v1/media/{job['output_asset_id']}", headers=owner).json()
    assert (asset["kind"], asset["width"], asset["height"]) == ("video", 1280, 720)
    assert asset["thumbnail_url"] is not None
    assert asset["generation"]["prompt"] == "Steam over a flat white"
