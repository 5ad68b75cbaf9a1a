"""`cdk synth` works from a clean clone: offline, without AWS credentials, without lookups."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_cdk_json_keeps_the_cli_offline() -> None:
    settings = json.loads((ROOT / "cdk.json").read_text())
    assert settings["app"] == ".venv/bin/python -m infra.app"
    assert settings["notices"] is False  # no fetch of the notices feed
    assert settings["versionReporting"] is False
    assert settings["context"]["cli-telemetry"] is False


def test_cdk_synth_from_the_repo_root(tmp_path: Path) -> None:
    if shutil.which("npx") is None:
        pytest.fail("npx not found: run `make setup`")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "CDK_"))  # no credentials, profile or region
    }
    env |= {
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
    }
    out = tmp_path / "cdk.out"
    started = time.monotonic()
    # `--no` makes npx use the project's CLI or fail; it never downloads one.
    result = subprocess.run(
        ["npx", "--no", "--", "cdk", "synth", "--quiet", "-o", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    template = json.loads((out / "Herald.template.json").read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    # Six groups (generation too), the publish worker and events function, the media job steps
    # and their execution reconciler, the event relay, the notifier and digest, the webhook
    # fan-out and deliverer, the real-time connection function and pusher, the inbox's
    # engagement function, the inbound processor, the metrics collector, the inbox assistant.
    assert len(functions) == 21
    # Synthesis takes ~25 s here; a network wait (notices, telemetry, IMDS) would add minutes.
    assert elapsed < 150, f"cdk synth took {elapsed:.0f} s"
    # The CLI ran cdk-nag: the (empty) report is part of the assembly.
    report = json.loads((out / "validation-report.json").read_text())
    assert report["pluginReports"] == []
