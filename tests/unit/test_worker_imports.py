"""Workers load no web framework: each non-HTTP entry point, imported in a fresh interpreter,
leaves FastAPI, Starlette and Mangum out of `sys.modules` (DESIGN section 1)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB_FRAMEWORKS = ("fastapi", "starlette", "mangum")
ENTRY_POINTS = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in ROOT.glob("functions/*/workers/*.py")
    if path.name != "__init__.py"
)


def test_the_known_workers_are_found() -> None:
    assert {"functions.publish.workers.publisher", "functions.media.workers.job_steps"} <= set(
        ENTRY_POINTS
    )


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_a_worker_imports_no_web_framework(module: str) -> None:
    probe = (
        f"import importlib, json, sys; importlib.import_module({module!r}); "
        f"print(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}})))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(run.stdout))

    assert callable(__import__(module, fromlist=["handler"]).handler)
    assert loaded.isdisjoint(WEB_FRAMEWORKS), sorted(loaded & set(WEB_FRAMEWORKS))
