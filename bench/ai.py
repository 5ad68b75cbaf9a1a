"""Herald's overhead around a model call, with a fake model of fixed latency.

(a) Overhead: `POST /v1/ai/captions` for one sandbox target, through the publish function's
Lambda handler (an API Gateway REST event into Mangum, FastAPI, access checks, the brand voice
and account reads, the budget's conditional UpdateItem and its ADD, the `openai` client's HTTP
call, preflight), against the local OpenAI-compatible fake of the tests
(tests/support/fake_model.py) answering after `--latency-ms` (200 ms). Herald's overhead is the
handler's wall time minus that latency; what the fake itself spends on HTTP is counted against
Herald, so the figure errs high. Goal: median at most 30 ms. Because moto answers in this
process, every AWS call costs here the emulator's CPU (tens of milliseconds) where DynamoDB
answers in single-digit milliseconds: the bench also times the AWS calls (botocore's
`_make_api_call`), counts them, and prints the overhead without them: Herald's own code, the
`openai` client and the HTTP to the model, beside a request without a model call
(`GET /v1/ai/brand-voice`, interleaved) that shows what any request costs on the machine at the
time. The first calls, which import
`openai` and open the connection, are warm-up and not counted (a warm container's cost is what
each request pays; the cold start is bench/cold_start.py's).

(b) First streamed token, at the provider-adapter level: Herald's configured client
(`ai_endpoint`'s, same timeout and retries) asks the fake for a streamed completion, and the
figure is the time from the fake writing its first chunk of text to the client yielding that
chunk. Goal: median at most 50 ms. The strategist chat's streaming over the real-time connection
(`ai.chat.*`, issue 16 section 3) is not measured here yet: to the client's socket is what this
should measure next.

moto answers in this process (`bench/moto_environment.py`): its DynamoDB calls cost CPU here
rather than network time as in AWS. Usage: `python bench/ai.py [--runs N] [--latency-ms MS]`.
"""

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.emulator_clock import EmulatorClock  # noqa: E402
from bench.moto_environment import use_moto_environment  # noqa: E402

use_moto_environment()

import boto3  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from moto import mock_aws  # noqa: E402
from ulid import ULID  # noqa: E402

from functions.shared import aws  # noqa: E402
from functions.shared.settings import get_settings  # noqa: E402
from tests.support.auth_world import Herald, add_thread_index  # noqa: E402
from tests.support.events import lambda_context, rest_proxy_event  # noqa: E402
from tests.support.fake_model import FakeModel, serving  # noqa: E402

OVERHEAD_GOAL_MS = 30.0
FIRST_TOKEN_GOAL_MS = 50.0
WARM_UP_CALLS = 3


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


def first_token_ms(model: FakeModel, runs: int) -> list[float]:
    from functions.shared import ai_endpoint
    from functions.shared.ai_setup import endpoint_for

    endpoint = endpoint_for("text")
    client = ai_endpoint.client_of(endpoint)
    samples = []
    for call in range(WARM_UP_CALLS + runs):
        model.answer("Fig, cocoa and orange: the autumn roast is back.")
        stream = client.chat.completions.create(
            model=endpoint.model, messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        first_seen = None
        for chunk in stream:
            if first_seen is None and chunk.choices and chunk.choices[0].delta.content:
                first_seen = time.perf_counter()
        assert first_seen is not None
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

    with mock_aws(), serving(FakeModel(latency_seconds=arguments.latency_ms / 1000)) as model:
        _prepare_cloud()
        overhead = overhead_ms(model, arguments.runs)
        first_token = first_token_ms(model, arguments.runs)

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
            "(b) first chunk, fake -> Herald's client (adapter level)",
            first_token,
            FIRST_TOKEN_GOAL_MS,
        )
    )
    print(
        "(b) is measured at the provider-adapter level, not through the strategist chat's "
        "real-time push."
    )


if __name__ == "__main__":
    main()
