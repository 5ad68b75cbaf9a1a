"""`python -m infra.local [--host HOST] [--port PORT] [--outbox DIR]`: Herald on one port.

Start-up: moto server, CDK synthesis, resources created in moto, environment set from the
functions' variables, Lambda dispatch for Step Functions, local scheduler, then the gateway.
Emails are written into the outbox folder instead of being sent.
Ctrl-C or SIGTERM stops everything and exits 0.
"""

import argparse
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn

if TYPE_CHECKING:
    from infra.local.provision import Deployment

logger = logging.getLogger("infra.local")

OUTBOX_VARIABLE = "HERALD_MAIL_OUTBOX_DIR"
DEFAULT_OUTBOX = Path(__file__).resolve().parents[2] / ".local" / "outbox"


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


def run(listener: socket.socket, *, outbox: Path) -> None:
    # Imported here, not at the top: moto and boto3 take seconds to import, and a busy port
    # or a bad argument should be reported before that.
    from infra.local import lambda_dispatch
    from infra.local.cloud import ACCOUNT, REGION, LocalCloud
    from infra.local.provision import provision
    from infra.local.runtime import InProcessLambdas
    from infra.local.scheduler import LocalScheduler
    from infra.local.synth import STACK_NAME, synthesize_template

    cloud = LocalCloud(host="127.0.0.1").start()
    scheduler: LocalScheduler | None = None
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
        lambdas = InProcessLambdas(deployment.functions)
        lambda_dispatch.install(lambdas)
        scheduler = LocalScheduler(cloud.client, lambdas)
        scheduler.start()
        serve(listener, moto_url=cloud.endpoint_url, outbox=outbox)
    finally:
        if scheduler is not None:
            scheduler.stop()
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
    # Until uvicorn takes over the signals, both stop start-up as Ctrl-C does (also when the
    # shell started us in the background with SIGINT ignored, as non-interactive shells do).
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        listener = listen(args.host, args.port)
    except OSError as error:
        print(f"Cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    try:
        run(listener, outbox=outbox)
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
