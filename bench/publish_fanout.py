"""Publishing: fan-out to 1, 7 and 25 targets; how close to its requested second a post goes out.

moto runs as a server in its own process (`infra/local/cloud.py`'s `LocalCloud`, as in `make
dev`), reached by endpoint URL, so its CPU no longer shares the worker's interpreter: in AWS
DynamoDB and KMS are network calls too. A fake platform on loopback (a threaded
HTTP server) answers X's `POST /2/tweets` after `--latency-ms`; the X adapter's requests are sent
there instead of api.x.com by an httpx transport that rewrites the address.

(a) Fan-out. Everything else is Herald's real worker path: the post is claimed, each target is
claimed, its sealed token opened (KMS), the platform called, the result recorded, the post
settled with its event written to the outbox. Prints the medians for 1, 7 and 25 targets,
interleaved, and the ratios to 1 target (goal: 7 targets at most 1.3x), twice: for a warm worker
that opened the accounts' token data keys in an earlier run (kept for minutes, see
`functions/shared/sealing.py`), and with those kept keys forgotten before each run, so that every
target asks KMS for its key as a worker's first post for the accounts does. Beside the wall time
it prints the CPU time the worker's process and moto's process spent on the firing (Linux), which
a shared machine disturbs far less.

(b) On time. Posts are armed for requested times a little over a minute ahead (one per second)
through the real path: `schedule_arming.arm` writes the schedule a minute early, the local
scheduler (`infra/local/scheduler.py`, polling every second) fires it into the publish worker's
handler (idempotency layer included), which waits for the requested second. Prints the delay
from the requested time to the fake platform receiving the post, p50 and p95.

Usage: `python bench/publish_fanout.py [--runs N] [--latency-ms MS] [--on-time-posts N]`.
"""

import argparse
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.loopback import ToLoopback  # noqa: E402
from bench.moto_environment import (  # noqa: E402
    moto_in_its_own_process,
    process_cpu,
    use_moto_environment,
)

use_moto_environment()

import boto3  # noqa: E402
import httpx  # noqa: E402
from ulid import ULID  # noqa: E402

from bench.workspaces import new_workspace  # noqa: E402
from functions.publish.adapters import registry, token_vault  # noqa: E402
from functions.publish.adapters.items import SocialAccountItem  # noqa: E402
from functions.publish.adapters.platforms.base import TokenSet  # noqa: E402
from functions.publish.adapters.post_items import PostItem  # noqa: E402
from functions.publish.domain import (  # noqa: E402
    platform_calls,
    post_store,
    publishing,
    schedule_arming,
)
from functions.publish.domain.post_models import PostContent, TargetSpec  # noqa: E402
from functions.shared import aws, sealing  # noqa: E402
from functions.shared.settings import get_settings  # noqa: E402
from infra.local.runtime import InProcessLambdas, LocalFunction  # noqa: E402
from infra.local.scheduler import LocalScheduler  # noqa: E402

FAN_OUTS = (1, 7, 25)
GOAL_7 = 1.3


class FakePlatform(BaseHTTPRequestHandler):
    latency_seconds = 0.2
    served = 0
    lock = threading.Lock()
    received: dict[str, float] = {}  # noqa: RUF012 (one server per run)
    """Post text -> when the first request carrying it arrived (epoch seconds)."""

    def do_POST(self) -> None:
        arrived = time.time()
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        text = httpx.Response(200, content=body).json().get("text", "")
        with self.lock:
            FakePlatform.received.setdefault(text, arrived)
        time.sleep(self.latency_seconds)
        with self.lock:
            FakePlatform.served += 1
            post_id = 1_000_000 + FakePlatform.served
        answer = f'{{"data": {{"id": "{post_id}", "text": "fan-out"}}}}'.encode()
        self.send_response(201)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the benchmark prints its own figures."""


class FakePlatformServer(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: 25 targets connecting at once overflowed it, and
    # some connections broke (targets left `unconfirmed`), which a platform's servers never do.
    request_queue_size = 64


def provision() -> str:
    """The tables, keys and schedule group; a workspace, whose id is returned."""
    settings = get_settings()
    aws.reset_clients()
    SocialAccountItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    region = settings.region
    boto3.client("dynamodb", region_name=region).create_table(
        TableName=settings.idempotency_table_name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    kms = boto3.client("kms", region_name=region)
    data_key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=settings.kms_key_id, TargetKeyId=data_key)
    boto3.client("scheduler", region_name=region).create_schedule_group(
        Name=settings.schedule_group
    )
    return new_workspace()


def accounts(workspace_id: str, count: int) -> list[str]:
    ids = []
    for index in range(count):
        account_id = str(ULID())
        SocialAccountItem(
            *SocialAccountItem.keys(workspace_id, account_id),
            account_id=account_id,
            workspace_id=workspace_id,
            platform="x",
            platform_account_id=str(4_000 + index),
            name=f"Brand {index}",
            sealed_tokens=token_vault.seal(
                TokenSet(access_token=f"token-{index}"),
                workspace_id=workspace_id,
                account_id=account_id,
            ),
            connected_by="user:bench",
        ).save()
        ids.append(account_id)
    return ids


def new_post(workspace_id: str, account_ids: list[str], text: str) -> PostItem:
    content = PostContent(
        text=text, targets=[TargetSpec(account_id=account_id) for account_id in account_ids]
    )
    return post_store.new_post_item(workspace_id, content, (), "user:bench")


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float
    worker_cpu: float  # this process: the worker, and the fake platform's few threads
    moto_cpu: float


def publish_once(workspace_id: str, account_ids: list[str], moto_pid: int) -> Sample:
    """From the firing to the settled post (a firing at the post's time: no wait)."""
    item = new_post(workspace_id, account_ids, "fan-out")
    fire_id = str(ULID())
    item.status = "scheduled"
    item.fire_id = fire_id
    item.save()
    moto_cpu = process_cpu(moto_pid)
    worker_cpu = time.process_time()
    started = time.perf_counter()
    report = publishing.fire_post(workspace_id, item.post_id, fire_id)
    elapsed = time.perf_counter() - started
    worker_cpu = time.process_time() - worker_cpu
    moto_cpu = process_cpu(moto_pid) - moto_cpu
    if report.outcome != "published":
        raise SystemExit(f"the post was not published: {report}")
    stored = PostItem.find(workspace_id, item.post_id)
    if stored is None or stored.status != "published":
        raise SystemExit("the post was not recorded as published")
    return Sample(elapsed, worker_cpu, moto_cpu)


KEYS = ("kept", "forgotten")


def fan_out(
    workspace_id: str, account_ids: list[str], runs: int, moto_pid: int
) -> dict[tuple[str, int], Sample]:
    """Medians of publishing to each fan-out, with the opened token keys kept from the run
    before or forgotten; samples interleaved."""
    publish_once(workspace_id, account_ids[:1], moto_pid)  # warm up imports and clients
    samples: dict[tuple[str, int], list[Sample]] = {(k, n): [] for k in KEYS for n in FAN_OUTS}
    for _ in range(runs):
        for count in FAN_OUTS:
            targets = account_ids[:count]
            sealing.opened_keys.clear()
            samples["forgotten", count].append(publish_once(workspace_id, targets, moto_pid))
            # The same accounts again: their keys were opened by the run just before.
            samples["kept", count].append(publish_once(workspace_id, targets, moto_pid))
    return {
        sample: Sample(
            statistics.median(s.wall for s in values),
            statistics.median(s.worker_cpu for s in values),
            statistics.median(s.moto_cpu for s in values),
        )
        for sample, values in samples.items()
    }


def on_time(workspace_id: str, account_id: str, posts: int) -> list[float]:
    """Milliseconds from each post's requested second to the platform receiving it."""
    settings = get_settings()
    worker = LocalFunction(
        name=settings.publish_worker_arn.rsplit(":", 1)[-1],
        arn=settings.publish_worker_arn,
        handler="functions.publish.workers.publisher.handler",
        timeout_seconds=900,
    )

    def clients(service: str) -> Any:
        return boto3.client(service, region_name=settings.region)  # type: ignore[call-overload]

    scheduler = LocalScheduler(clients, InProcessLambdas([worker]))
    first = datetime.now(UTC).replace(microsecond=0) + schedule_arming.FIRE_LEAD
    requested: dict[str, datetime] = {}
    post_ids = []
    for index in range(posts):
        at = first + timedelta(seconds=5 + index)
        text = f"on time {index} {ULID()}"
        item = new_post(workspace_id, [account_id], text)
        post_store.save_new(item, "user:bench", "post.created")
        schedule_arming.arm(item, at, "UTC", actor="user:bench")
        requested[text] = at
        post_ids.append(item.post_id)
    scheduler.start()
    try:
        last = max(requested.values())
        deadline = time.monotonic() + (last - datetime.now(UTC)).total_seconds() + 30
        # Until every post is published (not only sent), so no worker is cut off by the end.
        while not all(
            (stored := PostItem.find(workspace_id, post_id)) is not None
            and stored.status == "published"
            for post_id in post_ids
        ):
            if time.monotonic() > deadline:
                raise SystemExit("some posts were never published")
            time.sleep(0.5)
    finally:
        scheduler.stop()
    return [(FakePlatform.received[text] - at.timestamp()) * 1000 for text, at in requested.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency-ms", type=int, default=200, help="the platform's answer time")
    parser.add_argument("--on-time-posts", type=int, default=10)
    arguments = parser.parse_args()
    FakePlatform.latency_seconds = arguments.latency_ms / 1000
    server = FakePlatformServer(("127.0.0.1", 0), FakePlatform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    def loopback_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=platform_calls.HTTP_TIMEOUT, transport=ToLoopback(port))

    credentials = {"x": {"client_id": "bench", "client_secret": "bench"}}
    with (
        moto_in_its_own_process() as moto_pid,
        # Every platform call goes to the fake platform.
        mock.patch.object(platform_calls, "http_client", loopback_client),
        mock.patch.object(registry, "platform_credentials", return_value=credentials),
    ):
        workspace_id = provision()
        account_ids = accounts(workspace_id, max(FAN_OUTS))
        medians = fan_out(workspace_id, account_ids, arguments.runs, moto_pid)
        delays = on_time(workspace_id, account_ids[0], arguments.on_time_posts)
    server.shutdown()

    print(f"(a) fan-out: platform answers after {arguments.latency_ms} ms; moto in its own")
    print(f"    process; medians of {arguments.runs} runs (forgotten: KMS per target)")
    print("    token keys  targets   wall ms  ratio  worker cpu ms  moto cpu ms")
    for keys in KEYS:
        for count in FAN_OUTS:
            sample = medians[keys, count]
            ratio = sample.wall / medians[keys, 1].wall
            goal = f"  (goal <= {GOAL_7}x)" if count == 7 else ""
            print(
                f"    {keys:<10}{count:>9}{sample.wall * 1000:>10.1f}{ratio:>7.2f}"
                f"{sample.worker_cpu * 1000:>15.1f}{sample.moto_cpu * 1000:>13.0f}{goal}"
            )
    p50 = statistics.median(delays)
    p95 = statistics.quantiles(delays, n=20, method="inclusive")[18]
    print(f"(b) on time: requested second -> first platform call, {len(delays)} posts")
    low, high = min(delays), max(delays)
    print(f"    p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   min {low:6.1f} ms   max {high:6.1f} ms")


if __name__ == "__main__":
    main()
