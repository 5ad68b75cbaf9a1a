"""Herald's overhead around a model call, and the first streamed token to a real-time client,
with a fake model of fixed latency.

(a) Overhead: `POST /v1/ai/captions` for one sandbox target, through the publish function's
Lambda handler (an API Gateway REST event into Mangum, FastAPI, access checks, the brand voice
and account reads, the budget's conditional UpdateItem and its ADD, the `openai` client's HTTP
call, preflight), against the local OpenAI-compatible fake of the tests
(tests/support/fake_model.py) answering after `--latency-ms` (200 ms). Herald's overhead is the
handler's wall time minus that latency; what the fake itself spends on HTTP is counted against
Herald, so the figure errs high. Goal: median at most 30 ms. Because moto answers in this
process, every AWS call costs here the emulator's CPU (tens of milliseconds) where DynamoDB
answers in single-digit milliseconds: the bench also times moto answering the AWS calls
(bench/emulator_clock.py; botocore building, signing and parsing them stays Herald's, as in AWS),
counts them, and prints the overhead without them: Herald's own code, the `openai` client and
the HTTP to the model, beside a request without a model call (`GET /v1/ai/brand-voice`,
interleaved) that shows what any request costs on the machine at the time. The first calls,
which import `openai` and open the connection, are warm-up and not counted (a warm container's
cost is what each request pays; the cold start is bench/cold_start.py's).

(b) First streamed token to the client: `python -m infra.local`, the server of `make dev`, runs
as a subprocess configured with the same fake (tests/e2e/local_stack.py); a person signs up, a
WebSocket client (`websockets`, as the tests') connects to `/v1/realtime` and joins the
workspace, and each run asks the strategist a question with streaming on (a new titled
conversation each time, so one model call per question). The figure is the time from the fake
writing the answer's first chunk of text (`FakeModel.first_chunk_sent_at`) to the client
receiving the first `ai.chat.chunk`: both in this process, on one clock. Goal: median at most
50 ms. The path measured: the publish group's FastAPI app under the server's uvicorn (locally
no API Gateway or Mangum in front; the question's request is not in the figure anyway), the
strategist reading the `openai` stream, `Audience.send` and boto3's `post_to_connection`, over
loopback HTTP to the server's own stand-in for the API Gateway Management API
(infra/local/realtime.py, `POST /@connections/{id}`), its WebSocket send, loopback TCP to the
client. Not modelled: the Management API's HTTPS and its hop inside AWS, API Gateway's own
delivery to the connection, and the internet between it and a browser. Access is checked once
per answer, before the model is called, so no DynamoDB call is on the measured path.

Usage: `python bench/ai.py [--runs N] [--latency-ms MS]`.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.emulator_clock import EmulatorClock  # noqa: E402
from bench.moto_environment import use_moto_environment  # noqa: E402

use_moto_environment()

import boto3  # noqa: E402
import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from moto import mock_aws  # noqa: E402
from ulid import ULID  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from functions.shared import aws  # noqa: E402
from functions.shared.settings import get_settings  # noqa: E402
from tests.e2e.local_stack import local_server, workspace_owner  # noqa: E402
from tests.support.auth_world import Herald, add_thread_index  # noqa: E402
from tests.support.events import lambda_context, rest_proxy_event  # noqa: E402
from tests.support.fake_model import FakeModel, serving  # noqa: E402
from tests.support.realtime import receive, send  # noqa: E402

OVERHEAD_GOAL_MS = 30.0
FIRST_TOKEN_GOAL_MS = 50.0
WARM_UP_CALLS = 3
STREAMED_ANSWER = "Fig, cocoa and orange: the autumn roast is back, in whole beans or ground."
STREAMED_PATH = """\
    (b) path: python -m infra.local (make dev's server) in a subprocess; the strategist reads the
        openai stream and posts each chunk with boto3's post_to_connection over loopback HTTP to
        the server's stand-in for API Gateway's Management API, which sends it on the WebSocket
        to the joined client here. Not modelled: that API's HTTPS hop in AWS, API Gateway's
        delivery to the connection, the internet to a browser."""


def _prepare_cloud() -> None:
    from functions.publish.adapters.items import SocialAccountItem

    aws.reset_clients()
    SocialAccountItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    add_thread_index()
    kms = boto3.client("kms", region_name=get_settings().region)
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    kms.create_alias(AliasName=get_settings().jwt_signing_key_id, TargetKeyId=signing["KeyId"])
    data_key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=get_settings().kms_key_id, TargetKeyId=data_key)


def _workspace_headers() -> dict[str, str]:
    """A signed-up owner's headers for a new workspace with one sandbox account (its id last)."""
    from functions.auth.app import app as auth_app
    from functions.auth.domain import accounts

    accounts.UNIFORM_ANSWER_SECONDS = 0.0  # sign-up's enumeration floor is not measured here
    with TestClient(auth_app, client=(str(ULID()), 50000)) as client:
        herald = Herald(client)
        owner = herald.sign_up("bench")
        workspace = herald.create_workspace(owner)
    return owner.headers | {"X-Workspace-Id": workspace["id"]}


def _invoke(method: str, path: str, headers: dict[str, str], body: object) -> dict[str, object]:
    from functions.publish.app import handler

    event = rest_proxy_event(method, path, resource="/v1/{proxy+}", headers=headers, body=body)
    response: dict[str, object] = handler(event, lambda_context("herald-bench-publish"))
    return response


@dataclass
class Timed:
    """One invocation: its wall time, and the count and time of its AWS calls (botocore's)."""

    status: int = 0
    wall_ms: float = 0.0
    aws_ms: float = 0.0
    aws_calls: int = 0


def _timed_invoke(
    clock: EmulatorClock, method: str, path: str, headers: dict[str, str], body: object
) -> Timed:
    clock.reset()
    started = time.perf_counter()
    response = _invoke(method, path, headers, body)
    return Timed(
        status=int(str(response["statusCode"])),
        wall_ms=(time.perf_counter() - started) * 1000,
        aws_ms=clock.milliseconds,
        aws_calls=clock.requests,
    )


@dataclass
class Overhead:
    total_ms: list[float] = field(default_factory=list)
    aws_ms: list[float] = field(default_factory=list)
    aws_calls: list[int] = field(default_factory=list)
    # The same handler answering a request without a model call, runs interleaved: what any
    # request costs on this machine now.
    reference_ms: list[float] = field(default_factory=list)


def overhead_ms(model: FakeModel, runs: int) -> Overhead:
    headers = _workspace_headers()
    created = _invoke("POST", "/v1/accounts", headers, {"platform": "sandbox", "name": "Bench"})
    assert created["statusCode"] == 201, created
    account_id = json.loads(str(created["body"]))["id"]
    body = {"brief": "Announce the autumn roast", "targets": [{"account_id": account_id}]}
    figures = Overhead()
    with EmulatorClock() as clock:
        for call in range(WARM_UP_CALLS + runs):
            captions = _timed_invoke(clock, "POST", "/v1/ai/captions", headers, body)
            reference = _timed_invoke(clock, "GET", "/v1/ai/brand-voice", headers, None)
            assert (captions.status, reference.status) == (200, 200)
            if call >= WARM_UP_CALLS:
                figures.reference_ms.append(reference.wall_ms - reference.aws_ms)
                figures.total_ms.append(captions.wall_ms - model.latency_seconds * 1000)
                figures.aws_ms.append(captions.aws_ms)
                figures.aws_calls.append(captions.aws_calls)
    return figures


def first_token_to_client_ms(model: FakeModel, runs: int) -> list[float]:
    """From the fake writing an answer's first chunk to a joined WebSocket client of
    `python -m infra.local` receiving its `ai.chat.chunk`, per question."""
    with (
        tempfile.TemporaryDirectory(prefix="herald-bench-ai-") as logs,
        local_server(Path(logs)) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as api,
        ThreadPoolExecutor(max_workers=1) as asker,
    ):
        workspace_id, owner = workspace_owner(api, server, "bench@example.com", "Bench")
        token = owner["Authorization"].removeprefix("Bearer ")
        websocket = server.base_url.replace("http://", "ws://") + f"/v1/realtime?token={token}"
        samples = []
        with connect(websocket, open_timeout=10) as client:
            joined = send(client, {"action": "join", "workspace_id": workspace_id})
            assert joined["type"] == "joined", joined
            for call in range(WARM_UP_CALLS + runs):
                # A titled conversation per question: no title call, no history growing.
                created = api.post("/v1/ai/conversations", json={"title": "Bench"}, headers=owner)
                assert created.status_code == 201, created.text
                model.answer(STREAMED_ANSWER)
                # The answer comes back whole in the response; meanwhile it streams.
                asked = asker.submit(
                    api.post,
                    f"/v1/ai/conversations/{created.json()['id']}/messages",
                    json={"content": "What should we post about the autumn roast?"},
                    headers=owner,
                )
                first_seen, pushed = None, receive(client, timeout=60)
                while pushed["type"] not in ("ai.chat.done", "ai.chat.failed"):
                    if first_seen is None and pushed["type"] == "ai.chat.chunk":
                        first_seen = time.perf_counter()
                    pushed = receive(client, timeout=60)
                answered = asked.result()
                assert answered.status_code == 200, answered.text
                assert answered.json()["streamed_to"] == 1
                assert first_seen is not None, pushed
                if call >= WARM_UP_CALLS:
                    samples.append((first_seen - model.first_chunk_sent_at[-1]) * 1000)
    return samples


def _line(name: str, samples: list[float], goal: float | None = None) -> str:
    median = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) >= 2 else median
    verdict = "" if goal is None else f"<= {goal:.0f}: {'ok' if median <= goal else 'OVER'}"
    return f"{name:<56} {median:8.1f} {p90:8.1f}   {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    arguments = parser.parse_args()

    # `serving` sets HERALD_AI_* in this process's environment, which the local stack inherits.
    with serving(FakeModel(latency_seconds=arguments.latency_ms / 1000)) as model:
        with mock_aws():
            _prepare_cloud()
            overhead = overhead_ms(model, arguments.runs)
        first_token = first_token_to_client_ms(model, arguments.runs)

    print(f"fake model latency {arguments.latency_ms:.0f} ms, {arguments.runs} runs after warm-up")
    print(f"{'figure (ms)':<56} {'median':>8} {'p90':>8}   goal")
    without_aws = [
        total - aws for total, aws in zip(overhead.total_ms, overhead.aws_ms, strict=True)
    ]
    print(_line("(a) Herald's overhead, POST /v1/ai/captions (with moto)", overhead.total_ms))
    print(_line("    of which AWS calls answered by in-process moto", overhead.aws_ms))
    print(_line("    Herald's overhead without the AWS calls", without_aws, OVERHEAD_GOAL_MS))
    print(f"    AWS calls per request: {statistics.median(overhead.aws_calls):.0f}")
    print(_line("(ref) GET /v1/ai/brand-voice without the AWS calls", overhead.reference_ms))
    print(
        _line(
            "(b) first token, fake model -> WebSocket client",
            first_token,
            FIRST_TOKEN_GOAL_MS,
        )
    )
    print(STREAMED_PATH)


if __name__ == "__main__":
    main()
