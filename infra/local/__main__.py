"""`python -m infra.local [--host HOST] [--port PORT] [--outbox DIR]`: Herald on one port.

Start-up: moto server, CDK synthesis, resources created in moto, environment set from the
functions' variables, Lambda dispatch for Step Functions, local scheduler, then the gateway.
Emails are written into the outbox folder instead of being sent, and each one is announced on
the console with its token and the API call that uses it. Platform OAuth client credentials are
read from .local/platform-credentials.json when it exists (or the file
$HERALD_PLATFORM_CREDENTIALS_FILE names); without them only the sandbox platform connects.
Ctrl-C or SIGTERM stops everything and exits 0.
"""

import argparse
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn

if TYPE_CHECKING:
    from infra.local.background import BackgroundLoop
    from infra.local.provision import Deployment

logger = logging.getLogger("infra.local")

OUTBOX_VARIABLE = "HERALD_MAIL_OUTBOX_DIR"
DEFAULT_OUTBOX = Path(__file__).resolve().parents[2] / ".local" / "outbox"
API_BASE_URL_VARIABLE = "HERALD_API_BASE_URL"
CREDENTIALS_FILE_VARIABLE = "HERALD_PLATFORM_CREDENTIALS_FILE"
CREDENTIALS_SECRET_VARIABLE = "HERALD_PLATFORM_CREDENTIALS_SECRET"  # noqa: S105 (a name)
UNSUBSCRIBE_SECRET_VARIABLE = "HERALD_UNSUBSCRIBE_SECRET"  # noqa: S105 (a name)
AI_KEY_SECRET_VARIABLE = "HERALD_AI_API_KEY_SECRET"  # noqa: S105 (a name)
# The local server answers the API Gateway Management API calls of its WebSocket route.
REALTIME_CALLBACK_VARIABLE = "HERALD_REALTIME_CALLBACK_URL"
DEFAULT_CREDENTIALS = DEFAULT_OUTBOX.parent / "platform-credentials.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8000")),
        help="port to listen on (default: $PORT or 8000; 0 picks a free one)",
    )
    parser.add_argument(
        "--outbox",
        type=Path,
        default=Path(os.environ.get(OUTBOX_VARIABLE) or DEFAULT_OUTBOX),
        metavar="DIR",
        help="folder the functions write their emails into, as .eml files, instead of sending "
        f"them (default: ${OUTBOX_VARIABLE} or .local/outbox in the repository)",
    )
    return parser.parse_args(argv)


def prepare_outbox(path: Path) -> Path:
    """The outbox folder as an absolute path, created if missing."""
    outbox = path.expanduser().resolve()
    outbox.mkdir(parents=True, exist_ok=True)
    return outbox


def base_url(host: str, port: int) -> str:
    """The URL the local server answers at; a wildcard address is reached through loopback."""
    wildcards = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 (no binding)
    host = wildcards.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def credentials_file(shell: Mapping[str, str], default: Path = DEFAULT_CREDENTIALS) -> Path | None:
    """The platform credentials file, absolute: the one the shell's
    HERALD_PLATFORM_CREDENTIALS_FILE names, else `default` if it exists, else None (then only
    the sandbox platform connects).

    Raises FileNotFoundError when the shell names a file that does not exist.
    """
    named = shell.get(CREDENTIALS_FILE_VARIABLE, "")
    if named:
        path = Path(named).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{CREDENTIALS_FILE_VARIABLE} names {named}, not a file")
        return path
    return default.resolve() if default.is_file() else None


def platform_environment(
    shell: Mapping[str, str], *, server_url: str, credentials: Path | None
) -> dict[str, str]:
    """The API base URL and platform credentials settings of local mode, set last.

    `shell` is the environment `python -m infra.local` started with. HERALD_API_BASE_URL (where
    platforms redirect OAuth logins) is the local server's URL, unless the shell names another,
    e.g. an https tunnel for platforms that refuse http redirect URIs. The credentials secret
    is not emulated: its variable, which would name a placeholder, is emptied, so that the
    functions read the file. Nor is the unsubscribe links' key: emptied, the functions sign
    with a random key per process (local mode keeps nothing between runs anyway). Nor is the AI
    endpoint's key: emptied, the functions use HERALD_AI_API_KEY from the shell (docs/ai.md).
    """
    return {
        API_BASE_URL_VARIABLE: shell.get(API_BASE_URL_VARIABLE) or server_url,
        CREDENTIALS_FILE_VARIABLE: str(credentials) if credentials else "",
        CREDENTIALS_SECRET_VARIABLE: "",
        UNSUBSCRIBE_SECRET_VARIABLE: "",
        AI_KEY_SECRET_VARIABLE: "",
    }


def configure_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)-8s %(name)s: %(message)s")
    logging.getLogger("infra.local").setLevel(logging.INFO)
    # moto logs every failed state with a dump of its parse tree; a failed Lambda task is
    # already logged with its traceback by the dispatcher, and every failure is in the history.
    logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(
        logging.CRITICAL
    )


def summarize(deployment: "Deployment") -> str:
    emulated = [r for r in deployment.resources.values() if not r.placeholder]
    return (
        f"{len(emulated) - len(deployment.functions)} resources created in moto, "
        f"{len(deployment.functions)} functions in process"
    )


class _Server(uvicorn.Server):
    """Reports where it listens once its sockets are bound (the port may have been 0)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[str, int], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started and self.servers:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            self._on_started(str(host), int(port))


def listen(host: str, port: int) -> socket.socket:
    """Bind before the slow part of start-up, so that a busy port is reported at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _ignore(signum: int, frame: FrameType | None) -> None:
    """uvicorn re-raises the signal that stopped it; by then there is nothing left to stop."""


def run(listener: socket.socket, *, outbox: Path, platform: Mapping[str, str]) -> None:
    """`platform`: the variables `platform_environment` chose and the real-time callback URL,
    set last."""
    # Imported here, not at the top: moto and boto3 take seconds to import, and a busy port
    # or a bad argument should be reported before that.
    from infra.local import lambda_dispatch
    from infra.local.cloud import ACCOUNT, REGION, LocalCloud
    from infra.local.event_rules import LocalEventRules
    from infra.local.outbox import OutboxAnnouncer
    from infra.local.periodic import start_periodic_tasks
    from infra.local.provision import provision
    from infra.local.queue_sources import start_queue_sources
    from infra.local.runtime import InProcessLambdas
    from infra.local.scheduler import LocalScheduler
    from infra.local.stream_relay import start_stream_relays
    from infra.local.synth import STACK_NAME, synthesize_template

    cloud = LocalCloud(host="127.0.0.1").start()
    scheduler: LocalScheduler | None = None
    rules: LocalEventRules | None = None
    announcer: OutboxAnnouncer | None = None
    pollers: list[BackgroundLoop] = []
    try:
        os.environ.update(cloud.environment())
        logger.info("Synthesizing the CDK app...")
        deployment = provision(
            synthesize_template(),
            cloud.client,
            region=REGION,
            account=ACCOUNT,
            stack_name=STACK_NAME,
        )
        logger.info("Provisioned: %s", summarize(deployment))
        os.environ.update(deployment.process_environment(os.environ))
        os.environ[OUTBOX_VARIABLE] = str(outbox)
        os.environ.update(platform)
        if platform[CREDENTIALS_FILE_VARIABLE]:
            logger.info(
                "Platform credentials from %s; OAuth logins return to %s/v1/accounts/callback/...",
                platform[CREDENTIALS_FILE_VARIABLE],
                platform[API_BASE_URL_VARIABLE],
            )
        else:
            logger.info(
                "No platform credentials (no %s): only the sandbox platform can be connected",
                DEFAULT_CREDENTIALS,
            )
        lambdas = InProcessLambdas(deployment.functions)
        lambda_dispatch.install(lambdas)
        scheduler = LocalScheduler(cloud.client, lambdas)
        scheduler.start()
        rules = LocalEventRules(cloud.client("sqs"), deployment.rule_routes, lambdas)
        rules.start()
        # Domain events: the outbox relay reads the table's stream as its mapping does in AWS.
        pollers = start_stream_relays(
            deployment.stream_mappings, cloud.client("dynamodbstreams"), lambdas.invoke
        )
        # Scheduled rules that make dev needs (the metrics collector) run on a local loop.
        pollers += start_periodic_tasks(lambdas, deployment.functions)
        # Queued work (webhook deliveries) reaches its worker as the queue's mapping does in AWS.
        pollers += start_queue_sources(
            deployment.queue_mappings, cloud.client("sqs"), lambdas.invoke
        )
        host, port = listener.getsockname()[:2]
        announcer = OutboxAnnouncer(outbox, base_url(str(host), int(port)))
        announcer.start()
        serve(listener, moto_url=cloud.endpoint_url, outbox=outbox)
    finally:
        for poller in pollers:
            poller.stop()
        if announcer is not None:
            announcer.stop()
        if scheduler is not None:
            scheduler.stop()
        if rules is not None:
            rules.stop()
        lambda_dispatch.uninstall()
        cloud.stop()


def serve(listener: socket.socket, *, moto_url: str, outbox: Path) -> None:
    # Imported only now: the groups read their settings from the environment just set.
    from infra.local.server import create_gateway

    def announce(host: str, port: int) -> None:
        base = f"http://{host}:{port}"
        details = f"docs: {base}/docs; AWS emulated by moto at {moto_url}; emails in {outbox}"
        print(f"Herald is listening on {base} ({details})", flush=True)

    config = uvicorn.Config(create_gateway(), lifespan="off", timeout_graceful_shutdown=5)
    signal.signal(signal.SIGINT, _ignore)
    signal.signal(signal.SIGTERM, _ignore)
    _Server(config, announce).run(sockets=[listener])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    try:
        outbox = prepare_outbox(args.outbox)
    except OSError as error:
        print(f"Cannot use {args.outbox} as the outbox: {error.strerror}", file=sys.stderr)
        return 1
    try:
        credentials = credentials_file(os.environ)
    except FileNotFoundError as error:
        print(f"Cannot read the platform credentials: {error}", file=sys.stderr)
        return 1
    # Until uvicorn takes over the signals, both stop start-up as Ctrl-C does (also when the
    # shell started us in the background with SIGINT ignored, as non-interactive shells do).
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        listener = listen(args.host, args.port)
    except OSError as error:
        print(f"Cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    host, port = listener.getsockname()[:2]
    server_url = base_url(str(host), int(port))
    platform = platform_environment(os.environ, server_url=server_url, credentials=credentials)
    platform[REALTIME_CALLBACK_VARIABLE] = server_url
    try:
        run(listener, outbox=outbox, platform=platform)
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
    print("Herald stopped.", flush=True)
    # Everything is stopped; without this, collecting moto's and the apps' object graphs at
    # interpreter exit adds about a second to every Ctrl-C.
    gc.freeze()
    return 0


if __name__ == "__main__":
    sys.exit(main())
