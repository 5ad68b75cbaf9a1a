"""Platform webhooks in: the cost of a verified, deduplicated and queued delivery, and exactly
once under concurrent duplicates.

moto runs as a server in its own process (`infra/local/cloud.py`'s `LocalCloud`, as in `make
dev`), reached over loopback HTTP by endpoint URL. That is the closer stand-in for AWS: there the
conditional put and the SQS send are network calls whose work happens on other machines, so the
route's process pays for building, signing and sending the requests and waiting for the answers,
not for DynamoDB's and SQS's own work. With moto in-process (`mock_aws`) the route's figure
would also carry moto's Python emulation of both services, on the same interpreter and lock.

(a) Per delivery. Each request is an Instagram comment webhook (the shape of Meta's example,
https://developers.facebook.com/docs/instagram-platform/webhooks/examples), a distinct comment
each time, signed by this script with hmac as Meta signs it (`X-Hub-Signature-256: sha256=<hex
HMAC-SHA256 of the raw body keyed with the app secret>`), posted to Herald's real route
`POST /v1/webhooks/platforms/meta` through the webhooks group's real app (its middleware and
problem handlers included): body read under the size limit, signature checked, body parsed and
split, the event claimed by its id with a conditional put (DynamoDB) and sent to the inbound queue
(SQS). The bare handler is a FastAPI app answering 200 to the same request without reading it
(bench/baseline_handler.py); it is measured twice, alone and mounted in a webhooks group app
(Herald's middleware and problem handlers, `create_app`), which shows what the wrapping costs.
All are called the same way, one request at a time, in a random order for each delivery,
through httpx's ASGI transport (no network, no Lambda/Mangum wrapping for any). The client's own
work per request (building it, and a failed `import sniffio` httpx tries each time) is in every
figure alike.

Printed per request: wall time median and p99 and the ratio of medians to the bare handler (goal
for Herald at most 1.5x). That ratio includes the route's two AWS round trips, here to moto on
loopback (in AWS a few milliseconds each), which the bare handler never makes. So Herald's route
is shown twice more without them: its requests less the time each spent in `inbound.accept` (the
claim and the send), which still carries what those calls leave behind (garbage to collect, the
worker thread woken after the wait); and the route measured alone with `accept` answering at once
(nothing claimed, nothing queued): routing, body, signature, JSON, splitting and the answer.
Herald's rows run as under Lambda (`AWS_LAMBDA_FUNCTION_NAME` set), where the route does its
blocking work inline since an execution environment serves one request at a time; the stubbed
route is shown once more as a local server runs it, with the hop to the threadpool that keeps
one process answering every group at once. The `cpu ms` column is this process's CPU per
request (botocore's work for the two calls included, moto's not; moto's process CPU per delivery
is printed below).

(b) Exactly once. 100 distinct comments, each delivered 10 times, the 1,000 requests shuffled and
sent concurrently (asyncio; the route runs its blocking work on the threadpool, 40 threads, so
claims race each other in moto): the queue must hold exactly 100 messages. Then the inbound
processor (functions/webhooks/workers/inbound_processor.py) runs over the queue as local mode's
event source mapping runs it (infra/local/queue_sources.py, a thread per batch of 10, several
batches at once): the workspace that connected the Instagram account (its platform link, as
connecting writes it) must hold exactly 100 inbox items, and the queue must be empty.

Usage: `python bench/webhooks_inbound.py [--requests N] [--events N] [--copies N]`.
"""

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import io
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.moto_environment import (  # noqa: E402
    moto_in_its_own_process,
    process_cpu,
    use_moto_environment,
)

use_moto_environment()
APP_SECRET = "bench-meta-app-secret"  # noqa: S105 (the bench's own Meta app)
_credentials = Path(tempfile.mkdtemp(prefix="herald-bench-credentials-")) / "platforms.json"
_credentials.write_text(json.dumps({"meta": {"client_secret": APP_SECRET}}))
os.environ["HERALD_PLATFORM_CREDENTIALS_FILE"] = str(_credentials)

import boto3  # noqa: E402
import httpx  # noqa: E402
from ulid import ULID  # noqa: E402

from bench.baseline_handler import app as bare_app  # noqa: E402
from bench.baseline_handler import router as bare_router  # noqa: E402
from bench.workspaces import new_workspace  # noqa: E402
from functions.publish.adapters.items import SocialAccountItem  # noqa: E402
from functions.shared import aws  # noqa: E402
from functions.shared.http.app import create_app  # noqa: E402
from functions.shared.inbound import accept  # noqa: E402
from functions.shared.platform_links import PlatformAccountLink  # noqa: E402
from functions.shared.settings import get_settings  # noqa: E402
from functions.shared.tables import key  # noqa: E402
from functions.webhooks.adapters.inbox_items import InboxItem  # noqa: E402
from functions.webhooks.app import app as herald_app  # noqa: E402
from functions.webhooks.domain import platform_intake  # noqa: E402
from infra.local.queue_sources import QueueMapping, QueueSource  # noqa: E402
from infra.local.runtime import InProcessLambdas, LocalFunction  # noqa: E402

ROUTE = "/v1/webhooks/platforms/meta"
INSTAGRAM_ACCOUNT = "17841405309211844"  # the Instagram professional account the hooks are for
GOAL = 1.5
WARM_UP = 50
CONCURRENT = 20_000_000  # the first comment number of (b), after any of (a)
PROCESSOR = LocalFunction(
    name="herald-local-inbound-processor",
    arn="arn:aws:lambda:us-east-1:123456789012:function:herald-local-inbound-processor",
    handler="functions.webhooks.workers.inbound_processor.handler",
    timeout_seconds=60,
)


def comment_id(number: int) -> str:
    return str(17865799348089039 + number)


def instagram_comment(number: int) -> bytes:
    """Meta's Instagram `comments` change for one comment on one of the account's posts."""
    body = {
        "object": "instagram",
        "entry": [
            {
                "id": INSTAGRAM_ACCOUNT,
                "time": int(time.time()),
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": comment_id(number),
                            "from": {"id": str(1234567890123456 + number % 97), "username": "ada"},
                            "text": f"Is the autumn roast available in whole beans? ({number})",
                            "media": {"id": "18023345989012587", "media_product_type": "FEED"},
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"content-type": "application/json", "x-hub-signature-256": f"sha256={digest}"}


def provision() -> str:
    """The table, the inbound queue, a workspace and its Instagram account's platform link; the
    workspace's id."""
    settings = get_settings()
    aws.reset_clients()
    # The account model declares the table's index too, so it creates the table whole.
    SocialAccountItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    boto3.client("sqs", region_name=settings.region).create_queue(
        QueueName=settings.inbound_queue_url.rsplit("/", 1)[-1]
    )
    workspace_id = new_workspace()
    PlatformAccountLink.of("instagram", INSTAGRAM_ACCOUNT, workspace_id, str(ULID())).save()
    return workspace_id


def queue_depth() -> tuple[int, int]:
    """Messages visible and in flight on the inbound queue (moto counts them exactly)."""
    settings = get_settings()
    attributes = boto3.client("sqs", region_name=settings.region).get_queue_attributes(
        QueueUrl=settings.inbound_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def purge_queue() -> None:
    settings = get_settings()
    boto3.client("sqs", region_name=settings.region).purge_queue(
        QueueUrl=settings.inbound_queue_url
    )


def client_of(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://herald.test")


def percentile(samples: Sequence[float], point: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[point - 1]


@dataclass(slots=True)
class Series:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def median_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    def p99_ms(self) -> float:
        return percentile(self.wall, 99) * 1000

    def cpu_ms(self) -> str:
        return f"{statistics.median(self.cpu) * 1000:8.2f}" if self.cpu else ""


def bare_in_herald_wrapping() -> Any:
    """The bare handler in a webhooks group app: Herald's middleware and problem handlers, an
    empty route."""
    app = create_app("webhooks")
    app.include_router(bare_router)
    return app


@dataclass(frozen=True, slots=True)
class PerDelivery:
    bare: Series
    wrapped: Series
    herald: Series
    without_aws: Series
    stubbed: Series
    stubbed_served_locally: Series
    moto_cpu_ms: float


async def per_delivery(requests: int, moto_pid: int) -> PerDelivery:
    """Herald's route, the bare handler, the bare handler in Herald's wrapping and Herald's route
    with `accept` answering at once, interleaved; Herald's figures less the time in `accept`, and
    moto's CPU per Herald delivery."""
    inside_accept = Series()
    stubbed = False
    # Lambda sets this in every execution environment; the route runs its blocking work inline
    # there, on a local server in the threadpool (the "served locally" row).
    lambda_environment = {"AWS_LAMBDA_FUNCTION_NAME": "herald-bench-webhooks"}

    def timed_accept(deliveries: Any) -> int:
        if stubbed:
            return len(deliveries)
        # The requests go one at a time: this process's CPU here is the call's alone.
        wall, cpu = time.perf_counter(), time.process_time()
        queued = accept(deliveries)
        inside_accept.wall.append(time.perf_counter() - wall)
        inside_accept.cpu.append(time.process_time() - cpu)
        return queued

    apps = {
        "bare": bare_app,
        "wrapped": bare_in_herald_wrapping(),
        "herald": herald_app,
        "stubbed": herald_app,
        "stubbed_served_locally": herald_app,
    }
    series = {name: Series() for name in apps}
    clients = {name: client_of(app) for name, app in apps.items()}
    moto_cpu = 0.0

    async def post(name: str, body: bytes, measured: bool) -> None:
        nonlocal moto_cpu, stubbed
        stubbed = name.startswith("stubbed")
        headers = signed(body)
        environment = {} if name == "stubbed_served_locally" else lambda_environment
        moto_before = process_cpu(moto_pid)
        with mock.patch.dict(os.environ, environment):
            wall, cpu = time.perf_counter(), time.process_time()
            response = await clients[name].post(ROUTE, content=body, headers=headers)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if response.status_code != 200:
            raise SystemExit(f"{name}: {response.status_code} {response.text}")
        if apps[name] is herald_app and response.json() != {"received": 1, "queued": 1}:
            raise SystemExit(f"a delivery was not queued once: {response.text}")
        if measured:
            series[name].wall.append(wall)
            series[name].cpu.append(cpu)
            if name == "herald":
                moto_cpu += process_cpu(moto_pid) - moto_before

    names = list(series)
    with mock.patch.object(platform_intake, "accept", timed_accept):
        for number in range(WARM_UP):  # imports, clients, connections
            for name in names:
                await post(name, instagram_comment(10_000_000 + number), measured=False)
        inside_accept.wall.clear()
        inside_accept.cpu.clear()
        for number in range(requests):
            body = instagram_comment(number)
            random.shuffle(names)  # none always runs first, right after another's work
            for name in names:
                await post(name, body, measured=True)
    for client in clients.values():
        await client.aclose()
    herald = series["herald"]
    pairs = zip(herald.wall, herald.cpu, inside_accept.wall, inside_accept.cpu, strict=True)
    without_aws = Series()
    for wall, cpu, wall_inside, cpu_inside in pairs:
        without_aws.wall.append(wall - wall_inside)
        without_aws.cpu.append(cpu - cpu_inside)
    return PerDelivery(
        bare=series["bare"],
        wrapped=series["wrapped"],
        herald=herald,
        without_aws=without_aws,
        stubbed=series["stubbed"],
        stubbed_served_locally=series["stubbed_served_locally"],
        moto_cpu_ms=moto_cpu / requests * 1000,
    )


async def concurrent_duplicates(events: int, copies: int) -> tuple[int, int]:
    """Every event delivered `copies` times, shuffled, all at once: (received, queued) summed
    over the answers."""
    bodies = [instagram_comment(CONCURRENT + number) for number in range(events)] * copies
    random.shuffle(bodies)
    async with client_of(herald_app) as client:
        responses = await asyncio.gather(
            *(client.post(ROUTE, content=body, headers=signed(body)) for body in bodies)
        )
    refused = [response for response in responses if response.status_code != 200]
    if refused:
        raise SystemExit(f"{len(refused)} deliveries refused: {refused[0].text}")
    answers = [response.json() for response in responses]
    return sum(a["received"] for a in answers), sum(a["queued"] for a in answers)


def process_queue() -> float:
    """The processor over the queue as local mode feeds it, until the queue is empty; seconds."""
    settings = get_settings()
    sqs = boto3.client("sqs", region_name=settings.region)
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=settings.inbound_queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    invoke = InProcessLambdas([PROCESSOR]).invoke
    source = QueueSource(sqs, QueueMapping(PROCESSOR.name, queue_arn, batch_size=10), invoke)
    started = time.perf_counter()
    batches: list[threading.Thread] = []
    while (polled := source.poll()) or any(batch.is_alive() for batch in batches):
        batches.extend(polled)
        if not polled:
            time.sleep(0.05)
    for batch in batches:
        batch.join()
    return time.perf_counter() - started


def inbox_comments(workspace_id: str) -> list[str]:
    """The platform ids of the workspace's inbox items (one query of its partition)."""
    return [
        item.platform_item_id
        for item in InboxItem.query(
            key("WS", workspace_id), InboxItem.sk.startswith("INBOX#"), consistent_read=True
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--copies", type=int, default=10)
    arguments = parser.parse_args()
    with moto_in_its_own_process() as moto_pid:
        workspace_id = provision()
        figures = asyncio.run(per_delivery(arguments.requests, moto_pid))
        purge_queue()
        received, queued = asyncio.run(concurrent_duplicates(arguments.events, arguments.copies))
        visible, in_flight = queue_depth()
        # The processor prints its metric documents and warns of batches without any.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "No application metrics", UserWarning)
            processing = process_queue()
        left = sum(queue_depth())
        recorded = inbox_comments(workspace_id)
    sent = {comment_id(CONCURRENT + number) for number in range(arguments.events)}

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"(a) per delivery: {arguments.requests} Instagram comments, each distinct and signed;")
    print(f"    moto in its own process; load average {load} on {os.cpu_count()} cores")
    print("                                        median ms   p99 ms   ratio  cpu ms")
    rows = (
        ("bare FastAPI handler (200)", figures.bare),
        ("bare handler in Herald's app", figures.wrapped),
        ("Herald: verify, claim, queue", figures.herald),
        ("Herald less its time in accept", figures.without_aws),
        ("Herald, accept stubbed (no AWS)", figures.stubbed),
        ("  the same on a local server", figures.stubbed_served_locally),
    )
    for name, series in rows:
        ratio = series.median_ms() / figures.bare.median_ms()
        print(
            f"    {name:<34}{series.median_ms():>11.2f}{series.p99_ms():>9.2f}"
            f"{ratio:>7.2f}x{series.cpu_ms()}"
        )
    print(f"    goal: Herald at most {GOAL}x the bare handler")
    print(f"    moto's own CPU per Herald delivery: {figures.moto_cpu_ms:.2f} ms")
    print(
        f"(b) {arguments.events} events x {arguments.copies} copies, shuffled, concurrent:"
        f" received {received}, queued {queued}, on the queue {visible} (+{in_flight} in flight)"
    )
    print(
        f"    processor over the queue: {processing:.1f} s; inbox items {len(recorded)}, the"
        f" comments sent: {'yes' if sorted(recorded) == sorted(sent) else 'NO'};"
        f" left on the queue {left} (want {arguments.events}, yes and 0)"
    )


if __name__ == "__main__":
    main()
