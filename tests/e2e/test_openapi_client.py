"""The merged OpenAPI document feeds a real client generator (openapi-typescript).

The dashboard's build does the same: a document the generator rejects breaks the dashboard.
"""

import json
import subprocess
from pathlib import Path

from functions.shared.groups import GROUPS
from infra.local.openapi import merged_openapi

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_typescript_generates_types_for_every_group(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(merged_openapi()))
    types = tmp_path / "herald.d.ts"

    run = subprocess.run(
        ["npx", "--no", "--", "openapi-typescript", str(document), "--output", str(types)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    generated = types.read_text()
    for group in GROUPS:
        assert f'"{group.health_path}": {{' in generated
    assert "ProblemDetails: {" in generated
    # The client's operations are named by the document's operation ids.
    assert "createPost: {" in generated
    assert "schedulePost: {" in generated
    assert '"application/problem+json": components["schemas"]["ProblemDetails"]' in generated
