"""Outbound webhooks: fan-out to 50 endpoints, a hanging endpoint, 1,000 changes delivered.

Herald's real path, end to end: each state change's event is written to the outbox
(`functions/shared/events.py`'s `record_event`, one conditional put; not `write_event` in a
transaction with a change: chosen when moto still copied the whole table for every
transaction's rollback, so 1,000 transactions into a growing table took minutes, an emulator cost
DynamoDB does not have; local mode copies only a transaction's own items since 9e3dc9c, and the
outbox item is the same either way); the relay
(`functions/webhooks/workers/relay.py`) reads the table's stream (`infra/local/stream_relay.py`,
every 0.25 s, as Lambda polls a stream shard about four times a second) and puts the events on
the bus; the bus's rule (the stack's pattern, source prefix `herald.`) leaves them in an SQS
queue, from which each event is handed to the fan-out worker on a concurrent invocation, as
EventBridge invokes a Lambda target asynchronously; the fan-out writes the deliveries and queues
one message each; the deliverer worker signs and POSTs them. Endpoints are created by the
domain's `create_endpoint` (the URL check included), on `http://127.0.0.1` thanks to
`HERALD_WEBHOOKS_ALLOW_LOCAL_HTTP=true`, the switch local mode and the e2e test use.

moto runs as a server in its own process (`bench/moto_environment.py`, as in `make dev`),
reached over HTTP: in AWS DynamoDB, SQS, KMS and EventBridge are network calls as well, and the
emulator's CPU does not share the interpreter of the workers being measured.

Concurrency as in AWS: each SQS batch (up to 10 messages, the stack's batch size) is one Lambda
invocation, and the invocations run side by side up to the function's concurrency
(`--concurrency`, 50), here a pool of 50 threads fed by 5 pollers (Lambda starts an SQS event
source with 5) long-polling the queue; each invocation handles its messages on a thread each, as
the deliverer does. The batch is handed over by `infra/local/queue_sources.py`'s `QueueSource`.
Not modelled: the stack's 1 s batching window (it would add up to a second to a lone message,
flattering every ratio below), and the CPU: every invocation shares this one interpreter and
moto answers every call of every worker, where in AWS each invocation has its own share of a
core and the services scale out. So (a) also prints the CPU both processes spent meanwhile: when
it exceeds what the machine's cores give in the time measured, the figure measures the machine.

The fake receiver is a threaded HTTP server on loopback that answers 200 after `--latency-ms`
(50 ms); its hanging endpoint answers only after the deliverer's 10 s timeout. It deduplicates
by `webhook-id` and verifies every signature with the `standardwebhooks` package.

(a) One event to 1 and to 50 endpoints (separate workspaces), runs interleaved: from the
fan-out's invocation to the last endpoint receiving it. Goal: 50 at most 1.5x 1.
(b) `--events` events a run, `--interval-ms` apart, to 49 endpoints, with and without a 50th
that hangs (runs interleaved): each delivery's latency from the fan-out's invocation to the
receiver, p95 per run. Goal: with the hanging endpoint at most 1.2x without.
(c) `--changes` state changes (1,000) to a workspace with 2 endpoints subscribed and 1 not; the
bus hands every `--redeliver-every`th event to the fan-out twice (EventBridge delivers at least
once). Goal: 1,000 deliveries per subscribed endpoint, none lost, each `webhook-id` seen once
after deduplication, every signature valid, nothing for the unsubscribed endpoint.

Usage: `python bench/webhooks.py [--runs N] [--endpoints N] [--changes N] [--latency-ms MS]`
(see `--help`).
"""

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
os.environ["HERALD_WEBHOOKS_ALLOW_LOCAL_HTTP"] = "true"

import boto3  # noqa: E402
from standardwebhooks.webhooks import Webhook, WebhookVerificationError  # noqa: E402
from ulid import ULID  # noqa: E402

from bench.workspaces import new_workspace  # noqa: E402
from functions.shared import aws  # noqa: E402
from functions.shared.access import Role, WorkspaceAccess  # noqa: E402
from functions.shared.auth import UserPrincipal  # noqa: E402
from functions.shared.events import OUTBOX_INSERTS, DomainEvent, record_event  # noqa: E402
from functions.shared.settings import get_settings  # noqa: E402
from functions.webhooks.adapters import sender  # noqa: E402
from functions.webhooks.adapters.items import DeliveryItem, EndpointItem  # noqa: E402
from functions.webhooks.domain import endpoints  # noqa: E402
from functions.webhooks.domain.models import EndpointCreate, EndpointUpdate  # noqa: E402
from functions.webhooks.workers import relay  # noqa: E402
from infra.local.background import BackgroundLoop  # noqa: E402
from infra.local.queue_sources import QueueMapping, QueueSource  # noqa: E402
from infra.local.runtime import InProcessLambdas, LocalFunction  # noqa: E402
from infra.local.stream_relay import StreamRelay  # noqa: E402

EVENT_TYPE = "post.published"
OTHER_TYPE = "media.job.failed"  # what (c)'s unsubscribed endpoint listens to
FAN_OUT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:bench-webhook-fanout"
DELIVERER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:bench-webhook-deliverer"
FAN_OUT_QUEUE = "bench-webhook-fanout-rule"
SQS_POLLERS = 5  # how many pollers Lambda starts an SQS event source with
BATCH_SIZE = 10  # the stack's batch size (infra/webhook_delivery.py)
STREAM_POLL_SECONDS = 0.25
GOAL_FAN_OUT = 1.5
GOAL_HANGING = 1.2


@dataclass(frozen=True, slots=True)
class Arrival:
    path: str
    webhook_id: str
    arrived: float  # time.monotonic()


class Receiver(BaseHTTPRequestHandler):
    """Answers 200 after `latency_seconds`; a path in `hanging` outlasts the sender's timeout.

    Records each request when it arrives and verifies its signature once it has answered."""

    latency_seconds = 0.05
    hanging: frozenset[str] = frozenset()
    secrets: dict[str, str] = {}  # noqa: RUF012 (one server per run)
    arrivals: list[Arrival] = []  # noqa: RUF012
    bad_signatures = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        arrived = time.monotonic()
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with self.lock:
            Receiver.arrivals.append(Arrival(self.path, self.headers["webhook-id"], arrived))
        hangs = self.path in self.hanging
        time.sleep(sender.TIMEOUT_SECONDS + 1 if hangs else self.latency_seconds)
        try:
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
        except OSError:
            return  # the sender gave up on a hanging answer, as it should
        try:
            Webhook(self.secrets[self.path]).verify(body, dict(self.headers.items()))
        except WebhookVerificationError:
            with self.lock:
                Receiver.bad_signatures += 1

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the benchmark prints its own figures."""


class ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 would refuse a burst of 50 connections, and the kernel would
    # retry them a second later: a receiver's limit, not Herald's.
    request_queue_size = 256


class Pipeline:
    """The relay, the bus's rule and the two workers' event sources, running in the background;
    `fan_out_started` records when each event id's first fan-out invocation began."""

    def __init__(self, concurrency: int) -> None:
        settings = get_settings()
        self._sqs: Any = boto3.client("sqs", region_name=settings.region)
        self._lambdas = InProcessLambdas(
            [
                LocalFunction(
                    "bench-webhook-fanout",
                    FAN_OUT_ARN,
                    "functions.webhooks.workers.fanout.handler",
                    timeout_seconds=30,
                ),
                LocalFunction(
                    "bench-webhook-deliverer",
                    DELIVERER_ARN,
                    "functions.webhooks.workers.deliverer.handler",
                    timeout_seconds=30,
                    memory_mb=512,
                ),
            ]
        )
        self._delivery_queue_url = settings.webhook_delivery_queue_url
        self._fan_out_queue_url = self._sqs.get_queue_url(QueueName=FAN_OUT_QUEUE)["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(
            QueueUrl=self._delivery_queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self._deliveries = QueueSource(
            self._sqs, QueueMapping(DELIVERER_ARN, queue_arn, BATCH_SIZE), self._lambdas.invoke
        )
        table = boto3.client("dynamodb", region_name=settings.region).describe_table(
            TableName=settings.table_name
        )["Table"]
        streams = boto3.client("dynamodbstreams", region_name=settings.region)
        self._stream = StreamRelay(
            streams, table["LatestStreamArn"], relay.handler, filters=[OUTBOX_INSERTS]
        )
        self._relay_loop = BackgroundLoop("relay", self._stream.drain, STREAM_POLL_SECONDS)
        self._invocations = ThreadPoolExecutor(max_workers=2 * concurrency)
        self._deliverer_slots = threading.BoundedSemaphore(concurrency)
        self._fan_out_slots = threading.BoundedSemaphore(concurrency)
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._poll_deliveries, daemon=True) for _ in range(SQS_POLLERS)
        ] + [threading.Thread(target=self._poll_fan_out, daemon=True)]
        self.fan_out_started: dict[str, float] = {}
        self.redeliver_every = 0  # the bus hands every n-th event to the fan-out twice (0: never)
        self._events_seen = 0

    def start(self) -> "Pipeline":
        self._relay_loop.start()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._relay_loop.stop()
        for thread in self._threads:
            thread.join(timeout=5)
        self._invocations.shutdown(wait=True)

    def _receive(self, queue_url: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self._sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=BATCH_SIZE,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        return messages

    def _invoke(self, slots: threading.BoundedSemaphore, call: Any, *arguments: Any) -> None:
        """One invocation, on a concurrency slot already taken."""
        with self._busy_lock:
            self._busy += 1

        def run() -> None:
            try:
                call(*arguments)
            finally:
                with self._busy_lock:
                    self._busy -= 1
                slots.release()

        self._invocations.submit(run)

    def _poll_deliveries(self) -> None:
        while not self._stopping.is_set():
            self._deliverer_slots.acquire()
            messages = self._receive(self._delivery_queue_url)
            if not messages:
                self._deliverer_slots.release()
                continue
            self._invoke(self._deliverer_slots, self._deliveries.handle, messages)

    def _poll_fan_out(self) -> None:
        while not self._stopping.is_set():
            for message in self._receive(self._fan_out_queue_url):
                self._sqs.delete_message(
                    QueueUrl=self._fan_out_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
                event = json.loads(message["Body"])
                self._events_seen += 1
                twice = self.redeliver_every and self._events_seen % self.redeliver_every == 0
                for _ in range(2 if twice else 1):
                    self._fan_out_slots.acquire()
                    self._invoke(self._fan_out_slots, self._fan_out, event)

    def _fan_out(self, event: dict[str, Any]) -> None:
        self.fan_out_started.setdefault(event["detail"]["id"], time.monotonic())
        self._lambdas.invoke(FAN_OUT_ARN, event)

    def settle(self, timeout: float = 240) -> None:
        """Wait until nothing is queued (delayed messages included) and nothing is running; longer
        than the queue's visibility timeout, after which a failed message is offered again."""
        deadline = time.monotonic() + timeout
        quiet = queued = busy = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise SystemExit(f"still {queued} messages queued and {busy} invocations running")
            time.sleep(0.5)
            self._stream.drain()
            queued = sum(
                int(value)
                for url in (self._delivery_queue_url, self._fan_out_queue_url)
                for value in self._sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=[
                        "ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible",
                        "ApproximateNumberOfMessagesDelayed",
                    ],
                )["Attributes"].values()
            )
            with self._busy_lock:
                busy = self._busy
            quiet = quiet + 1 if queued == 0 and busy == 0 else 0


def provision() -> None:
    """The table (with its stream), the data key, the delivery queue, the bus and its rule."""
    settings = get_settings()
    region = settings.region
    aws.reset_clients()
    EndpointItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    boto3.client("dynamodb", region_name=region).update_table(
        TableName=settings.table_name,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    kms = boto3.client("kms", region_name=region)
    kms.create_alias(
        AliasName=settings.kms_key_id, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"]
    )
    sqs = boto3.client("sqs", region_name=region)
    sqs.create_queue(
        QueueName=settings.webhook_delivery_queue_url.rsplit("/", 1)[-1],
        Attributes={"VisibilityTimeout": "180"},
    )
    rule_queue = sqs.create_queue(QueueName=FAN_OUT_QUEUE)["QueueUrl"]
    rule_queue_arn = sqs.get_queue_attributes(QueueUrl=rule_queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events = boto3.client("events", region_name=region)
    events.create_event_bus(Name=settings.event_bus_name)
    events.put_rule(
        Name="webhook-fanout",
        EventBusName=settings.event_bus_name,
        EventPattern=json.dumps({"source": [{"prefix": "herald."}]}),
    )
    events.put_targets(
        Rule="webhook-fanout",
        EventBusName=settings.event_bus_name,
        Targets=[{"Id": "fanout", "Arn": rule_queue_arn}],
    )


def workspace() -> WorkspaceAccess:
    """A new workspace, and its owner's access to it."""
    workspace_id = new_workspace()
    owner = UserPrincipal(user_id="bench", session_id="bench", claims={})
    return WorkspaceAccess(principal=owner, workspace_id=workspace_id, role=Role.OWNER)


def add_endpoint(access: WorkspaceAccess, port: int, event_types: list[str] | str = "all") -> str:
    """An endpoint created as the API creates it; its path on the receiver is returned."""
    path = f"/hook/{ULID()}"
    created = endpoints.create_endpoint(
        access, EndpointCreate(url=f"http://127.0.0.1:{port}{path}", event_types=event_types)
    )
    Receiver.secrets[path] = created.secret
    return path


def change(workspace_id: str) -> str:
    """A state change's event, written to the outbox as every producer writes it."""
    event = DomainEvent("publish", EVENT_TYPE, workspace_id, {"post_id": str(ULID())})
    record_event(event)
    return event.id


def arrivals_of(paths: set[str], event_ids: set[str]) -> list[Arrival]:
    with Receiver.lock:
        return [a for a in Receiver.arrivals if a.path in paths and a.webhook_id in event_ids]


def wait_for(paths: set[str], event_ids: set[str], timeout: float = 120) -> list[Arrival]:
    """Every (path, event) pair's first arrival, once each has arrived."""
    deadline = time.monotonic() + timeout
    expected = len(paths) * len(event_ids)
    while True:
        first: dict[tuple[str, str], Arrival] = {}
        for arrival in arrivals_of(paths, event_ids):
            first.setdefault((arrival.path, arrival.webhook_id), arrival)
        if len(first) == expected:
            return list(first.values())
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(first)} of {expected} deliveries arrived")
        time.sleep(0.02)


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds used so far by this process (Herald's workers, the receiver) and by its
    children (moto's server), the latter where /proc tells."""
    pid = os.getpid()
    children = 0.0
    try:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            children += process_cpu(int(child))
    except OSError:
        pass  # not Linux
    return time.process_time(), children


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def fan_out(
    pipeline: Pipeline, port: int, endpoint_count: int, runs: int
) -> dict[int, tuple[float, float, float]]:
    """(a) Medians of the seconds from the fan-out's invocation to the last endpoint receiving,
    and of the CPU seconds spent meanwhile by this process and by moto."""
    targets = {}
    for count in (1, endpoint_count):
        access = workspace()
        targets[count] = (access.workspace_id, {add_endpoint(access, port) for _ in range(count)})
    samples: dict[int, list[tuple[float, float, float]]] = {count: [] for count in targets}
    for run in range(runs + 1):  # the first run warms imports and clients up
        for count, (workspace_id, paths) in targets.items():
            herald_before, moto_before = cpu_seconds()
            event_id = change(workspace_id)
            arrivals = wait_for(paths, {event_id})
            herald_after, moto_after = cpu_seconds()
            if run:
                last = max(arrival.arrived for arrival in arrivals)
                samples[count].append(
                    (
                        last - pipeline.fan_out_started[event_id],
                        herald_after - herald_before,
                        moto_after - moto_before,
                    )
                )
            pipeline.settle()
    return {
        count: (
            statistics.median(sample[0] for sample in values),
            statistics.median(sample[1] for sample in values),
            statistics.median(sample[2] for sample in values),
        )
        for count, values in samples.items()
    }


def switch(access: WorkspaceAccess, endpoint_id: str, *, enabled: bool) -> None:
    """Enable or disable an endpoint as an admin would (deliveries recorded meanwhile never
    make it answer 409)."""
    endpoints.update_endpoint(access, endpoint_id, EndpointUpdate(enabled=enabled))


def hanging(
    pipeline: Pipeline, port: int, endpoint_count: int, runs: int, events: int, interval: float
) -> dict[str, float]:
    """(b) Median over runs of the p95 latency of the steady endpoints, with and without a
    hanging one."""
    setups: dict[str, tuple[WorkspaceAccess, set[str], str | None]] = {}
    for name in ("without", "with"):
        access = workspace()
        steady = {add_endpoint(access, port) for _ in range(endpoint_count - 1)}
        stuck = None
        if name == "with":
            path = add_endpoint(access, port)
            Receiver.hanging = frozenset({path})
            stuck = next(
                e.endpoint_id
                for e in EndpointItem.of_workspace(access.workspace_id)
                if e.url.endswith(path)
            )
        setups[name] = (access, steady, stuck)
    samples: dict[str, list[float]] = {name: [] for name in setups}
    for _ in range(runs):
        for name, (access, steady, stuck) in setups.items():
            if stuck:
                switch(access, stuck, enabled=True)
            event_ids = set()
            for _ in range(events):
                event_ids.add(change(access.workspace_id))
                time.sleep(interval)
            arrivals = wait_for(steady, event_ids)
            samples[name].append(
                p95([a.arrived - pipeline.fan_out_started[a.webhook_id] for a in arrivals])
            )
            if stuck:  # its retries would carry on into the next run
                switch(access, stuck, enabled=False)
            pipeline.settle()
    return {name: statistics.median(values) for name, values in samples.items()}


@dataclass(frozen=True, slots=True)
class Tally:
    received: int
    unique: int
    delivered_items: int


def no_loss(pipeline: Pipeline, port: int, changes: int, redeliver_every: int) -> dict[str, Tally]:
    """(c) What each endpoint received (duplicates included), what was unique, and how many of
    its deliveries Herald recorded as delivered."""
    access = workspace()
    paths = {
        "subscribed 1": add_endpoint(access, port, [EVENT_TYPE]),
        "subscribed 2": add_endpoint(access, port, "all"),
        "not subscribed": add_endpoint(access, port, [OTHER_TYPE]),
    }
    pipeline.redeliver_every = redeliver_every
    event_ids = {change(access.workspace_id) for _ in range(changes)}
    wait_for({paths["subscribed 1"], paths["subscribed 2"]}, event_ids, timeout=600)
    pipeline.settle()
    pipeline.redeliver_every = 0
    tallies = {}
    by_path = {
        e.url.rsplit(str(port), 1)[-1]: e for e in EndpointItem.of_workspace(access.workspace_id)
    }
    for name, path in paths.items():
        received = [a.webhook_id for a in arrivals_of({path}, event_ids)]
        endpoint = by_path[path]
        delivered = sum(
            1
            for delivery in DeliveryItem.query(
                endpoint.pk, DeliveryItem.sk.startswith(DeliveryItem.prefix(endpoint.endpoint_id))
            )
            if delivery.status == "delivered"
        )
        tallies[name] = Tally(len(received), len(set(received)), delivered)
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--endpoints", type=int, default=50, help="(a) and (b)")
    parser.add_argument("--events", type=int, default=3, help="(b) events per run")
    parser.add_argument("--interval-ms", type=int, default=200, help="(b) between events")
    parser.add_argument("--changes", type=int, default=1000, help="(c)")
    parser.add_argument("--redeliver-every", type=int, default=10, help="(c), 0: never")
    parser.add_argument("--latency-ms", type=int, default=50, help="the receiver's answer time")
    parser.add_argument("--concurrency", type=int, default=50, help="Lambda invocations at once")
    arguments = parser.parse_args()
    Receiver.latency_seconds = arguments.latency_ms / 1000
    server = ReceiverServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    # The API caps a workspace at 20 endpoints; the figure is for 50.
    cap = max(endpoints.MAX_ENDPOINTS_PER_WORKSPACE, arguments.endpoints)
    with (
        # Powertools prints its metrics once 100 values pile up, even when disabled.
        contextlib.redirect_stdout(io.StringIO()),
        moto_in_its_own_process(),
        mock.patch.object(endpoints, "MAX_ENDPOINTS_PER_WORKSPACE", cap),
    ):
        provision()
        pipeline = Pipeline(arguments.concurrency).start()
        try:
            started = time.monotonic()
            medians = fan_out(pipeline, port, arguments.endpoints, arguments.runs)
            a_seconds = time.monotonic() - started
            started = time.monotonic()
            latencies = hanging(
                pipeline,
                port,
                arguments.endpoints,
                arguments.runs,
                arguments.events,
                arguments.interval_ms / 1000,
            )
            b_seconds = time.monotonic() - started
            started = time.monotonic()
            tallies = no_loss(pipeline, port, arguments.changes, arguments.redeliver_every)
            c_seconds = time.monotonic() - started
        finally:
            pipeline.stop()
    server.shutdown()
    report(arguments, medians, latencies, tallies, (a_seconds, b_seconds, c_seconds))


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def report(
    arguments: argparse.Namespace,
    medians: dict[int, tuple[float, float, float]],
    latencies: dict[str, float],
    tallies: dict[str, Tally],
    durations: tuple[float, float, float],
) -> None:
    count = arguments.endpoints
    ratio = medians[count][0] / medians[1][0]
    print(
        f"receiver answers after {arguments.latency_ms} ms; moto in its own process;"
        f" {arguments.concurrency} concurrent invocations per worker; medians of {arguments.runs}"
        " runs"
    )
    print(f"(a) one event, fan-out invocation -> last endpoint receiving ({durations[0]:.0f} s)")
    for endpoint_count in (1, count):
        wall, herald_cpu, moto_cpu = medians[endpoint_count]
        print(
            f"    {endpoint_count:2d} endpoint(s): {wall * 1000:7.1f} ms   CPU meanwhile: Herald"
            f" {herald_cpu * 1000:5.0f} ms, moto {moto_cpu * 1000:5.0f} ms"
        )
    print(f"    ratio {ratio:5.2f}x  (goal <= {GOAL_FAN_OUT}x: {verdict(ratio <= GOAL_FAN_OUT)})")
    ratio_b = latencies["with"] / latencies["without"]
    print(
        f"(b) {arguments.events} events {arguments.interval_ms} ms apart to {count - 1} steady"
        f" endpoints, p95 latency ({durations[1]:.0f} s)"
    )
    print(f"    without a hanging endpoint: {latencies['without'] * 1000:7.1f} ms")
    print(
        f"    with one hanging (10 s)   : {latencies['with'] * 1000:7.1f} ms  {ratio_b:5.2f}x"
        f"  (goal <= {GOAL_HANGING}x: {verdict(ratio_b <= GOAL_HANGING)})"
    )
    print(
        f"(c) {arguments.changes} state changes, every {arguments.redeliver_every}th event"
        f" handed to the fan-out twice ({durations[2]:.0f} s)"
    )
    ok = True
    for name, tally in tallies.items():
        expected = 0 if name == "not subscribed" else arguments.changes
        lost = expected - tally.unique
        ok = ok and lost == 0 and tally.delivered_items == expected
        print(
            f"    {name:14s}: received {tally.received:5d}, unique {tally.unique:5d},"
            f" lost {lost}, recorded delivered {tally.delivered_items:5d}"
        )
    print(
        f"    bad signatures: {Receiver.bad_signatures}  (goal: none lost, every signature"
        f" valid: {verdict(ok and Receiver.bad_signatures == 0)})"
    )


if __name__ == "__main__":
    main()
