"""Cold-start cost of every function group, against a bare FastAPI + Mangum handler.

Each sample is a fresh Python process that imports a handler and answers its first API Gateway
health event. Samples of all handlers are interleaved so that machine noise hits each alike.
The figure is the median wall time; beside it, the median CPU time (user + system) of the same
processes, which shared machines disturb far less. Usage: `python bench/cold_start.py [--runs N]`.
Exits 1 when a function's median wall time exceeds GOAL_RATIO times the baseline's.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

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


class Sample(NamedTuple):
    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _sample(module: str, path: str, environment: dict[str, str]) -> Sample:
    cpu_before = _children_cpu()
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "bench.first_invocation", module, path],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"{module} failed:\n{run.stderr}")
    return Sample(wall=wall, cpu=_children_cpu() - cpu_before)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="samples per handler (>= 7)")
    runs = max(7, parser.parse_args().runs)

    targets = {"baseline (FastAPI + Mangum)": BASELINE}
    targets |= {group.name: (f"functions.{group.name}.app", group.health_path) for group in GROUPS}
    environment = _environment()
    for module, path in targets.values():  # warm the OS file cache and compile bytecode once
        _sample(module, path, environment)
    samples: dict[str, list[Sample]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, (module, path) in targets.items():
            samples[name].append(_sample(module, path, environment))

    wall = {name: statistics.median(s.wall for s in values) for name, values in samples.items()}
    cpu = {name: statistics.median(s.cpu for s in values) for name, values in samples.items()}
    base_name = next(iter(targets))
    print(f"cold start: median of {runs} fresh processes (import + first health event)")
    print(f"{'handler':<30}{'wall ms':>9}{'ratio':>7}{'cpu ms':>9}{'ratio':>7}  wall ratio goal")
    worst = 0.0
    for name in targets:
        wall_ratio, cpu_ratio = wall[name] / wall[base_name], cpu[name] / cpu[base_name]
        verdict = "ok" if wall_ratio <= GOAL_RATIO else "OVER"
        goal = "" if name == base_name else f"<= {GOAL_RATIO}: {verdict}"
        worst = max(worst, wall_ratio)
        print(
            f"{name:<30}{wall[name] * 1000:>9.0f}{wall_ratio:>7.2f}"
            f"{cpu[name] * 1000:>9.0f}{cpu_ratio:>7.2f}  {goal}"
        )
    return 0 if worst <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
