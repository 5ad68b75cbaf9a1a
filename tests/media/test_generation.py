"""Generated media (`/v1/media/generate/...`, docs/ai.md#generated-media) through the real `openai`
client against the local OpenAI-compatible fake (tests/support/fake_model.py): images fitted to
their preset, speech probed like an upload, video as a media job polled by the workflow's steps,
each kept in the library with its provenance; budgets, quota, roles and workspaces."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from functions.media import generation_app
from functions.media.adapters.ffmpeg import MediaRejected
from functions.media.adapters.job_items import MediaJobItem
from functions.media.domain import quotas
from functions.media.workers import job_steps
from functions.shared.settings import get_settings
from tests.media.library_world import Library, object_keys, read_object
from tests.support.auth_world import Herald
from tests.support.fake_model import API_KEY, IMAGE_MODEL, SPEECH_MODEL, VIDEO_MODEL, FakeModel
from tests.support.fake_model import fake_model as fake_model

pytestmark = pytest.mark.ffmpeg

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "A flat white on a wooden counter, autumn light"


@pytest.fixture
def publish(herald: Herald) -> Iterator[TestClient]:
    """The publish app, which answers `GET /v1/ai/usage`."""
    from functions.publish.app import app

    with TestClient(app) as client:
        yield client


@pytest.fixture
def budgets(fake_model: FakeModel, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Small monthly budgets: 3 images, 2 s of speech, 8 s of video."""
    monkeypatch.setenv("HERALD_AI_MONTHLY_IMAGE_BUDGET", "3")
    monkeypatch.setenv("HERALD_AI_MONTHLY_AUDIO_SECONDS_BUDGET", "2")
    monkeypatch.setenv("HERALD_AI_MONTHLY_VIDEO_SECONDS_BUDGET", "8")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def usage(publish: TestClient, library: Library) -> dict[str, Any]:
    answer = publish.get("/v1/ai/usage", headers=library.headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def generate(library: Library, what: str, body: dict[str, Any], **headers: str) -> Response:
    answer: Response = library.client.post(
        f"/v1/media/generate/{what}", json=body, headers=headers or library.headers
    )
    return answer


def problem(answer: Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    found: dict[str, Any] = answer.json()
    return found


def test_images_come_at_the_presets_size_into_the_library_with_their_provenance(
    library: Library, fake_model: FakeModel, publish: TestClient
) -> None:
    answer = generate(
        library, "images", {"prompt": PROMPT, "preset": "instagram_portrait", "count": 2}
    )

    assert answer.status_code == 201, answer.text
    items = answer.json()["items"]
    assert [(item["kind"], item["width"], item["height"]) for item in items] == [
        ("image", 1080, 1350)
    ] * 2
    assert [item["name"] for item in items] == [f"{PROMPT} (1).jpg", f"{PROMPT} (2).jpg"]
    for item in items:
        assert item["content_type"] == "image/jpeg"
        assert item["thumbnail_url"] is not None
        assert item["generation"]["prompt"] == PROMPT
        assert item["generation"]["model"] == IMAGE_MODEL
        assert item["generation"]["generated_at"].startswith("20")
        stored, content_type = read_object(
            f"workspaces/{library.workspace_id}/media/{item['id']}/original"
        )
        assert (len(stored), content_type) == (item["size_bytes"], "image/jpeg")
    # One call, for the portrait size closest to 4:5, the model of the settings, both at once.
    (sent,) = fake_model.received_at("/v1/images/generations")
    assert sent.body | {"prompt": "", "model": ""} == {
        "prompt": "",
        "model": "",
        "n": 2,
        "size": "1024x1536",
    }
    assert (sent.body["prompt"], sent.body["model"]) == (PROMPT, IMAGE_MODEL)
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    # Charged to the quota like uploads, and to the month's images.
    library_usage = library.client.get("/v1/media/usage", headers=library.headers).json()
    assert library_usage["used_bytes"] == sum(item["size_bytes"] for item in items)
    assert library_usage["asset_count"] == 2
    spent = usage(publish, library)
    assert (spent["images"], spent["images_budget"], spent["calls"]) == (2, 100, 1)
    listed = library.client.get("/v1/media", headers=library.headers).json()["items"]
    assert {item["id"] for item in listed} == {item["id"] for item in items}


def test_an_image_of_another_size_than_asked_is_fitted_to_the_preset(
    library: Library, fake_model: FakeModel
) -> None:
    fake_model.image_size = (512, 512)

    answer = generate(
        library, "images", {"prompt": PROMPT, "preset": "story", "format": "png", "name": "Hi"}
    )

    (item,) = answer.json()["items"]
    assert (item["width"], item["height"], item["content_type"]) == (1080, 1920, "image/png")
    assert item["name"] == "Hi"
    assert fake_model.received_at("/v1/images/generations")[0].body["size"] == "1024x1536"


@pytest.mark.parametrize(
    ("audio_format", "content_type", "codec"),
    [
        ("mp3", "audio/mpeg", "mp3"),
        ("opus", "audio/ogg", "opus"),
        ("aac", "audio/aac", "aac"),
        ("flac", "audio/flac", "flac"),
        ("wav", "audio/wav", "pcm_s16le"),
    ],
)
def test_speech_is_probed_and_kept_like_an_upload(
    library: Library,
    fake_model: FakeModel,
    publish: TestClient,
    audio_format: str,
    content_type: str,
    codec: str,
) -> None:
    text = "The autumn roast is back."

    answer = generate(library, "speech", {"text": text, "voice": "coral", "format": audio_format})

    assert answer.status_code == 201, answer.text
    asset = answer.json()
    assert (asset["kind"], asset["content_type"], asset["audio_codec"]) == (
        "audio",
        content_type,
        codec,
    )
    assert asset["duration_seconds"] == pytest.approx(1.5, abs=0.1)
    assert asset["name"] == f"{text}.{audio_format}"
    assert asset["generation"] | {"generated_at": ""} == {
        "prompt": text,
        "model": SPEECH_MODEL,
        "voice": "coral",
        "generated_at": "",
    }
    (sent,) = fake_model.received_at("/v1/audio/speech")
    assert sent.body == {
        "model": SPEECH_MODEL,
        "input": text,
        "voice": "coral",
        "response_format": audio_format,
    }
    assert usage(publish, library)["audio_seconds"] == pytest.approx(1.5, abs=0.1)


@pytest.mark.usefixtures("budgets")
def test_budgets_are_enforced_per_kind_with_a_429_before_any_call(
    library: Library, fake_model: FakeModel, publish: TestClient
) -> None:
    first = generate(library, "images", {"prompt": PROMPT, "preset": "linkedin", "count": 2})
    over = generate(library, "images", {"prompt": PROMPT, "preset": "linkedin", "count": 2})
    last = generate(library, "images", {"prompt": PROMPT, "preset": "linkedin"})
    spoken = generate(library, "speech", {"text": "Hello there."})  # 1.5 s of the 2
    unspoken = generate(library, "speech", {"text": "Hello again."})
    unfilmed = generate(library, "video", {"prompt": PROMPT, "seconds": 12})

    assert (first.status_code, last.status_code, spoken.status_code) == (201, 201, 201)
    details = problem(over, 429)
    assert details["detail"].startswith("This workspace has spent its AI budget of 3 images for ")
    assert "(this request needs 2)" in details["detail"]
    assert 0 < int(over.headers["retry-after"]) <= 31 * 24 * 3600
    assert "2 seconds of speech" in problem(unspoken, 429)["detail"]
    assert "8 seconds of video" in problem(unfilmed, 429)["detail"]
    # Refused requests reached no model and made nothing.
    assert len(fake_model.received_at("/v1/images/generations")) == 2
    assert len(fake_model.received_at("/v1/audio/speech")) == 1
    assert fake_model.received_at("/v1/videos") == []
    assert library.client.get("/v1/media/usage", headers=library.headers).json()["asset_count"] == 4
    spent = usage(publish, library)
    assert (spent["images"], spent["video_seconds"]) == (3, 0)
    assert (spent["images_budget"], spent["audio_seconds_budget"]) == (3, 2)


def test_an_endpoint_failure_is_a_502_that_gives_the_images_back(
    library: Library, fake_model: FakeModel, publish: TestClient
) -> None:
    fake_model.fail_media(500, 500)  # the client's one retry, then it gives up

    details = problem(generate(library, "images", {"prompt": PROMPT, "preset": "tiktok"}), 502)

    assert details["detail"] == (
        "The AI endpoint answered HTTP 500; check its key, model and quota."
    )
    assert API_KEY[:8] not in json.dumps(details)
    assert usage(publish, library)["images"] == 0
    assert object_keys(library.workspace_id) == set()


def test_without_an_endpoint_generation_answers_503_naming_what_to_set(
    library: Library,
) -> None:
    for what, body in (
        ("images", {"prompt": PROMPT, "preset": "tiktok"}),
        ("speech", {"text": "Hello."}),
        ("video", {"prompt": PROMPT}),
    ):
        details = problem(generate(library, what, body), 503)
        assert "HERALD_AI_BASE_URL" in details["detail"]
        assert (
            f"HERALD_AI_{ {'images': 'IMAGE'}.get(what, what.upper()) }_MODEL"
            in (details["detail"])
        )


def test_a_video_model_left_unset_is_named(
    library: Library, fake_model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HERALD_AI_VIDEO_MODEL")
    get_settings.cache_clear()

    details = problem(generate(library, "video", {"prompt": PROMPT}), 503)

    assert details["detail"] == (
        "AI video generation is not configured: set HERALD_AI_VIDEO_MODEL. See docs/ai.md."
    )


def test_a_full_library_refuses_before_the_model_is_called(
    library: Library, fake_model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quotas, "quota_bytes", lambda: 0)

    for what, body in (
        ("images", {"prompt": PROMPT, "preset": "tiktok"}),
        ("speech", {"text": "Hello."}),
        ("video", {"prompt": PROMPT}),
    ):
        assert problem(generate(library, what, body), 403)["type"] == "urn:herald:problem:quota"
    assert fake_model.received == []


def test_viewers_and_read_only_keys_cannot_generate_and_strangers_get_404(
    herald: Herald, library: Library, fake_model: FakeModel
) -> None:
    viewer, stranger = herald.sign_up("viewer"), herald.sign_up("stranger")
    herald.add_member(library.owner, library.workspace_id, viewer, "viewer")
    herald.create_workspace(stranger, "Elsewhere")
    key = herald.client.post(
        f"/v1/workspaces/{library.workspace_id}/api-keys",
        json={"name": "Zapier", "scopes": ["media:read"]},
        headers=library.owner.headers,
    ).json()["key"]
    body = {"prompt": PROMPT, "preset": "tiktok"}

    as_viewer = generate(library, "images", body, **library.headers_of(viewer))
    as_reader = generate(library, "images", body, Authorization=f"Bearer {key}")
    as_stranger = generate(library, "images", body, **library.headers_of(stranger))

    assert problem(as_viewer, 403)["detail"] == (
        "This needs the editor role or above; yours is viewer."
    )
    assert problem(as_reader, 403)["detail"] == "This API key lacks the `media:write` scope."
    problem(as_stranger, 404)
    assert fake_model.received == []
    assert object_keys(library.workspace_id) == set()


@pytest.fixture
def workflow(cloud: None) -> str:
    """The media job state machine at the ARN the settings name; its executions only wait
    (the test runs the generation branch's steps as the state machine would)."""
    client = boto3.client("stepfunctions", region_name=get_settings().region)
    arn = get_settings().media_jobs_state_machine_arn
    client.create_state_machine(
        name=arn.rsplit(":", 1)[1],
        definition=json.dumps(
            {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}
        ),
        roleArn="arn:aws:iam::123456789012:role/media-jobs",
    )
    return arn


def execution_input(workflow: str, job_id: str) -> dict[str, Any]:
    client = boto3.client("stepfunctions", region_name=get_settings().region)
    (execution,) = client.list_executions(stateMachineArn=workflow)["executions"]
    assert execution["name"] == job_id
    found: dict[str, Any] = json.loads(
        client.describe_execution(executionArn=execution["executionArn"])["input"]
    )
    return found


def step(name: str, state: dict[str, Any]) -> dict[str, Any]:
    """The task as the state machine runs it (infra/media_jobs.py): the video steps on the
    generation function, the others on the FFmpeg function."""
    run = generation_app.handler if name in job_steps.VIDEO_STEPS else job_steps.handler
    result: dict[str, Any] = run({"step": name, "job": state}, None)
    return result


@pytest.mark.parametrize("name", job_steps.STEPS)
def test_the_generation_function_refuses_the_ffmpeg_steps(name: str) -> None:
    # It has no ffmpeg binary: a task sent to it by mistake fails at once, naming the step.
    with pytest.raises(ValueError, match=f"the {name} step runs on the FFmpeg function"):
        generation_app.handler({"step": name, "job": {}}, None)


def test_a_video_is_started_as_a_job_polled_and_kept_with_its_provenance(
    library: Library, fake_model: FakeModel, publish: TestClient, workflow: str
) -> None:
    fake_model.video_polls = 2
    body = {"prompt": PROMPT, "seconds": 8, "size": "1280x720"}

    started = generate(library, "video", body)

    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["status"], job["input_asset_ids"]) == ("queued", [])
    assert job["operation"] == body | {"type": "generate_video", "model": VIDEO_MODEL, "name": None}
    state = execution_input(workflow, job["id"])
    assert state["generation"] == {
        "poll_seconds": 15,
        "video_id": None,
        "deadline": None,
    }
    assert usage(publish, library)["video_seconds"] == 8  # charged when asked for

    after_start = step("start_video", state)
    assert after_start["generation"]["video_id"] == "video_1"
    polled = step("poll_video", after_start)
    assert polled["output"] is None
    running = library.client.get(f"/v1/media/jobs/{job['id']}", headers=library.headers).json()
    assert (running["status"], running["step"], running["percent"]) == (
        "running",
        "generate",
        42.5,
    )

    # As the state machine goes on: VideoReady ($.output not null)? If not, Wait and poll again.
    polls = 1
    while polled["output"] is None:
        polls += 1
        polled = step("poll_video", polled)
    finished = step("finalize", step("thumbnail", polled))

    assert polls == 3  # in progress at two retrievals, completed at the third
    done = library.client.get(f"/v1/media/jobs/{job['id']}", headers=library.headers).json()
    assert done["status"] == "succeeded"
    asset = library.client.get(
        f"/v1/media/{done['output_asset_id']}", headers=library.headers
    ).json()
    assert (asset["kind"], asset["width"], asset["height"], asset["video_codec"]) == (
        "video",
        1280,
        720,
        "h264",
    )
    assert asset["name"] == f"{PROMPT}.mp4"
    assert asset["source_asset_id"] is None
    assert asset["thumbnail_url"] is not None
    assert (asset["generation"]["prompt"], asset["generation"]["model"]) == (PROMPT, VIDEO_MODEL)
    (created,) = fake_model.received_at("/v1/videos")
    assert created.body == {
        "prompt": PROMPT,
        "model": VIDEO_MODEL,
        "seconds": "8",
        "size": "1280x720",
    }
    assert finished["output"]["asset_id"] == asset["id"]


def test_a_video_the_endpoint_fails_fails_the_job_with_its_reason(
    library: Library, fake_model: FakeModel, workflow: str
) -> None:
    fake_model.video_polls = 0
    fake_model.video_failure = "The prompt was blocked by moderation."
    job = generate(library, "video", {"prompt": PROMPT}).json()
    state = step("start_video", execution_input(workflow, job["id"]))

    with pytest.raises(MediaRejected) as failed:
        step("poll_video", state)
    cause = json.dumps({"errorMessage": str(failed.value)})
    step("record_failure", state | {"error": {"Error": "MediaRejected", "Cause": cause}})

    item = MediaJobItem.find(library.workspace_id, job["id"])
    assert item is not None
    assert (item.status, item.error) == (
        "failed",
        "The AI endpoint could not make the video: The prompt was blocked by moderation.",
    )
    assert object_keys(library.workspace_id) == set()


def loaded_modules(script: str) -> set[str]:
    probe = f"import json, sys; {script}; print(json.dumps(sorted(sys.modules)))"
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(run.stdout))


def test_the_generation_app_and_its_generation_modules_load_without_openai() -> None:
    loaded = loaded_modules(
        "from functions.media.generation_app import app; app.openapi(); "
        "import functions.media.domain.generation, functions.media.domain.video_generation"
    )

    assert "functions.media.routes.generate" in loaded
    assert "openai" not in loaded


def test_the_media_app_leaves_the_generate_routes_to_the_generation_function() -> None:
    loaded = loaded_modules("from functions.media.app import app; app.openapi()")

    assert "functions.media.routes.generate" not in loaded
