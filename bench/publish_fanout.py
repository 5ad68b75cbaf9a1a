"""Publishing fan-out: one post to 7 targets against one target, in the same run.

A fake platform on loopback (a threaded HTTP server) answers X's `POST /2/tweets` after 200 ms;
the X adapter's requests are sent there instead of api.x.com by an httpx transport that rewrites
the address. Everything else is Herald's real worker path: the post is claimed, each target is
claimed, its sealed token opened (KMS), the platform called, the result recorded, the post
settled and its event put on the bus, all against moto in this process.

Prints the median time to publish a post with 1 target and with 7, and their ratio (goal: at
most 1.5x, because targets publish concurrently). moto answers in-process and holds the GIL, so
the bookkeeping of the 7 targets runs one at a time here; in AWS it waits on the network.
Usage: `python bench/publish_fanout.py [--runs N] [--delay-ms MS]`.
"""

import argparse
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.moto_environment import use_moto_environment  # noqa: E402

use_moto_environment()

import boto3  # noqa: E402
import httpx  # noqa: E402
from moto import mock_aws  # noqa: E402
from ulid import ULID  # noqa: E402

from functions.publish.adapters import registry, token_vault  # noqa: E402
from functions.publish.adapters.items import SocialAccountItem  # noqa: E402
from functions.publish.adapters.platforms.base import TokenSet  # noqa: E402
from functions.publish.adapters.post_items import PostItem  # noqa: E402
from functions.publish.domain import platform_calls, post_store, publishing  # noqa: E402
from functions.publish.domain.post_models import PostContent, TargetSpec  # noqa: E402
from functions.shared import aws  # noqa: E402
from functions.shared.identity_items import WorkspaceItem  # noqa: E402
from functions.shared.settings import get_settings  # noqa: E402

TARGETS = 7


class FakePlatform(BaseHTTPRequestHandler):
    delay_seconds = 0.2
    served = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        time.sleep(self.delay_seconds)
        with self.lock:
            FakePlatform.served += 1
            post_id = 1_000_000 + FakePlatform.served
        body = f'{{"data": {{"id": "{post_id}", "text": "fan-out"}}}}'.encode()
        self.send_response(201)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the benchmark prints its own figures."""


class ToLoopback(httpx.AsyncBaseTransport):
    """Sends every request to the fake platform, keeping its path and body."""

    def __init__(self, port: int) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._port = port

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self._port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def provision() -> None:
    settings = get_settings()
    aws.reset_clients()
    SocialAccountItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    kms = boto3.client("kms", region_name=settings.region)
    data_key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=settings.kms_key_id, TargetKeyId=data_key)
    boto3.client("events", region_name=settings.region).create_event_bus(
        Name=settings.event_bus_name
    )


def accounts(workspace_id: str) -> list[str]:
    ids = []
    for index in range(TARGETS):
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


def publish_once(workspace_id: str, account_ids: list[str]) -> float:
    """Seconds from the firing to the settled post."""
    content = PostContent(
        text="fan-out", targets=[TargetSpec(account_id=account_id) for account_id in account_ids]
    )
    item = post_store.new_post_item(workspace_id, content, (), "user:bench")
    fire_id = str(ULID())
    item.status = "scheduled"
    item.fire_id = fire_id
    item.save()
    started = time.perf_counter()
    report = publishing.fire_post(workspace_id, item.post_id, fire_id)
    elapsed = time.perf_counter() - started
    if report.outcome != "published":
        raise SystemExit(f"the post was not published: {report}")
    stored = PostItem.find(workspace_id, item.post_id)
    if stored is None or stored.status != "published":
        raise SystemExit("the post was not recorded as published")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--delay-ms", type=int, default=200)
    arguments = parser.parse_args()
    FakePlatform.delay_seconds = arguments.delay_ms / 1000
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePlatform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    def loopback_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=platform_calls.HTTP_TIMEOUT, transport=ToLoopback(port))

    credentials = {"x": {"client_id": "bench", "client_secret": "bench"}}
    with (
        # Every platform call goes to the fake platform.
        mock.patch.object(platform_calls, "http_client", loopback_client),
        mock.patch.object(registry, "platform_credentials", return_value=credentials),
        mock_aws(),
    ):
        provision()
        workspace_id = str(ULID())
        WorkspaceItem(
            *WorkspaceItem.keys(workspace_id),
            workspace_id=workspace_id,
            name="Bench",
            slug="bench",
            timezone="UTC",
            created_by="user:bench",
        ).save()
        account_ids = accounts(workspace_id)
        publish_once(workspace_id, account_ids[:1])  # warm up imports and clients
        single, fanned = [], []
        for _ in range(arguments.runs):
            single.append(publish_once(workspace_id, account_ids[:1]))
            fanned.append(publish_once(workspace_id, account_ids))
    server.shutdown()
    one, seven = statistics.median(single), statistics.median(fanned)
    print(f"platform answers after {arguments.delay_ms} ms; medians of {arguments.runs} runs")
    print(f"1 target:  {one * 1000:7.1f} ms")
    print(f"{TARGETS} targets: {seven * 1000:7.1f} ms")
    print(f"ratio {TARGETS}/1:  {seven / one:5.2f}x  (goal <= 1.5x)")


if __name__ == "__main__":
    main()
