"""Cold-start cost of every Herald function, against a bare FastAPI + Mangum handler.

Each sample is a fresh Python process. An API function imports its handler and answers its first
API Gateway health event (goal: API_GOAL times the baseline). A worker (every module under
`functions/<group>/workers/`) imports its entry point, its Lambda init phase (goal: WORKER_GOAL
times the baseline); each task's own code is imported by the task's first event. For information,
without a goal, each API function's first routed request is measured too: an unauthenticated GET
that loads the group's routers and answers 401. Samples of all handlers are interleaved so that
machine noise hits each alike. The figure is the median wall time; beside it, the median CPU time
(user + system) of the same processes, which shared machines disturb far less.
Usage: `python bench/cold_start.py [--runs N]`. Exits 1 when a function misses its goal.
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

API_GOAL = 1.1
WORKER_GOAL = 0.6
# A GET that each group's routers answer with 401 when no token is sent.
ROUTED_PATHS = {"auth": "/v1/me", "publish": "/v1/posts", "media": "/v1/media"}


class Target(NamedTuple):
    arguments: tuple[str, ...]  # for bench/first_invocation.py
    goal: float | None


BASELINE = Target(("bench.baseline_handler", "/v1/baseline/health", "200"), None)


def _targets() -> dict[str, Target]:
    targets = {"baseline (FastAPI + Mangum)": BASELINE}
    for group in GROUPS:
        targets[group.name] = Target((group.module, group.health_path, "200"), API_GOAL)
    for name, path in ROUTED_PATHS.items():
        targets[f"{name}: first routed request"] = Target(
            (f"functions.{name}.app", path, "401"), None
        )
    for entry in sorted(ROOT.glob("functions/*/workers/*.py")):
        if entry.name != "__init__.py":
            module = ".".join(entry.relative_to(ROOT).with_suffix("").parts)
            targets[f"worker {module.removeprefix('functions.')}"] = Target((module,), WORKER_GOAL)
    return targets


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


def _sample(arguments: tuple[str, ...], environment: dict[str, str]) -> Sample:
    cpu_before = _children_cpu()
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "bench.first_invocation", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"{arguments[0]} failed:\n{run.stderr}")
    return Sample(wall=wall, cpu=_children_cpu() - cpu_before)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="samples per handler (>= 7)")
    runs = max(7, parser.parse_args().runs)

    targets = _targets()
    environment = _environment()
    for target in targets.values():  # warm the OS file cache and compile bytecode once
        _sample(target.arguments, environment)
    samples: dict[str, list[Sample]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, target in targets.items():
            samples[name].append(_sample(target.arguments, environment))

    wall = {name: statistics.median(s.wall for s in values) for name, values in samples.items()}
    cpu = {name: statistics.median(s.cpu for s in values) for name, values in samples.items()}
    base_name = next(iter(targets))
    print(f"cold start: median of {runs} fresh processes (API: import + first health event;")
    print("worker: import of its entry point; routed: import + first 401 through the routers)")
    print(f"{'handler':<38}{'wall ms':>9}{'ratio':>7}{'cpu ms':>9}{'ratio':>7}  wall ratio goal")
    missed = []
    for name, target in targets.items():
        wall_ratio, cpu_ratio = wall[name] / wall[base_name], cpu[name] / cpu[base_name]
        goal = ""
        if target.goal is not None:
            verdict = "ok" if wall_ratio <= target.goal else "OVER"
            goal = f"<= {target.goal}: {verdict}"
            if verdict == "OVER":
                missed.append(name)
        print(
            f"{name:<38}{wall[name] * 1000:>9.0f}{wall_ratio:>7.2f}"
            f"{cpu[name] * 1000:>9.0f}{cpu_ratio:>7.2f}  {goal}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
