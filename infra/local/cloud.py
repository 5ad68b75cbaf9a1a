"""moto, run in-process as a server, standing in for every AWS service local mode uses."""

import json
import logging
import urllib.request
from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from moto.core.config import default_user_config
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer

from infra.local import moto_quirks

REGION = "us-east-1"
ACCOUNT = DEFAULT_ACCOUNT_ID

ClientFactory = Callable[[str], Any]
"""Gives a boto3 client, by service name, for the local cloud."""


class LocalCloud:
    """A moto server on a free port of `host`, and boto3 clients pointed at it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
        self._started = False
        self._previous_sfn_config: dict[str, Any] = {}
        self.endpoint_url = ""
        self.port = 0

    def start(self) -> "LocalCloud":
        # One line per request from werkzeug would drown the application's own logs.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_quirks.apply_all()
        self._server.start()
        self._started = True
        host, self.port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{self.port}"
        # Off by default: moto then only records executions. Must be on before any state machine
        # is created, as moto keeps executable state machines in a separate backend.
        self._previous_sfn_config = dict(default_user_config.get("stepfunctions", {}))
        self._post("/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})
        return self

    def stop(self) -> None:
        if self._started:
            # The setting is process-wide: leave it as found for any later mock_aws in the process.
            self._post("/moto-api/config", {"stepfunctions": self._previous_sfn_config})
            self._server.stop()
            self._started = False

    def reset(self) -> None:
        """Forget every resource (the configuration, such as Step Functions execution, stays)."""
        self._post("/moto-api/reset", {})

    def environment(self) -> dict[str, str]:
        """Variables that point boto3, botocore and PynamoDB of this process at the server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "herald-local",
            "AWS_SECRET_ACCESS_KEY": "herald-local",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            # moto's Step Functions engine calls other services through boto3 at
            # http://localhost:$MOTO_PORT; it assumes port 5000 without this.
            "MOTO_PORT": str(self.port),
        }

    def client(self, service: str) -> Any:
        return _client(self.endpoint_url, service)

    def _post(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(  # noqa: S310 - always our own http://host:port
            self.endpoint_url + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()


@cache
def _client(endpoint_url: str, service: str) -> Any:
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="herald-local",
        aws_secret_access_key="herald-local",  # noqa: S106
        config=Config(retries={"mode": "standard", "max_attempts": 2}),
    )
