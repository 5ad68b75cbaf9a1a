"""Cold-start cost of every function group, against a bare FastAPI + Mangum handler.

Each sample is the wall time of a fresh Python process that imports a handler and answers its
first API Gateway health event. Samples of all handlers are interleaved so that machine noise
hits each alike; the figure is the median. Usage: `python bench/cold_start.py [--runs N]`.
Exits 1 when a function is slower than GOAL_RATIO times the baseline.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions.shared.groups import GROUPS  # noqa: E402

GOAL_RATIO = 1.3
BASELINE = ("bench.baseline_handler", "/v1/baseline/health")


def _environment() -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HERALD_", "AWS_", "POWERTOOLS_"))
    }
    environment.update(
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
        AWS_REGION="us-east-1",
        AWS_LAMBDA_FUNCTION_NAME="cold-start-bench",
        POWERTOOLS_SERVICE_NAME="herald-bench",
    )
    return environment


def _sample(module: str, path: str, environment: dict[str, str]) -> float:
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "bench.first_invocation", module, path],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"{module} failed:\n{run.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="samples per handler (>= 7)")
    runs = max(7, parser.parse_args().runs)

    targets = {"baseline (FastAPI + Mangum)": BASELINE}
    targets |= {group.name: (f"functions.{group.name}.app", group.health_path) for group in GROUPS}
    environment = _environment()
    for module, path in targets.values():  # warm the OS file cache and compile bytecode once
        _sample(module, path, environment)
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, (module, path) in targets.items():
            samples[name].append(_sample(module, path, environment))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians.pop("baseline (FastAPI + Mangum)")
    print(f"cold start: median of {runs} fresh processes (import + first health event)")
    print(f"{'function':<30}{'median ms':>10}{'ratio':>8}  goal <= {GOAL_RATIO}x")
    print(f"{'baseline (FastAPI + Mangum)':<30}{baseline * 1000:>10.0f}{1.0:>8.2f}")
    worst = 0.0
    for name, median in medians.items():
        ratio = median / baseline
        worst = max(worst, ratio)
        verdict = "ok" if ratio <= GOAL_RATIO else "OVER GOAL"
        print(f"{name:<30}{median * 1000:>10.0f}{ratio:>8.2f}  {verdict}")
    return 0 if worst <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
