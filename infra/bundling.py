"""Builds the Lambda code and the dependency layer on this machine, without Docker.

Functions: `build/lambda/<group>/functions/{__init__.py,shared/,<group>/}`.
Layer: `build/layers/deps/python/`, the runtime requirements of uv.lock installed from
manylinux wheels for Lambda's Python 3.13 on x86_64.

The layer carries bytecode compiled with `unchecked-hash` invalidation: Lambda's file system is
read-only, so without it every cold start would compile fastapi, pydantic, boto3... again, and
hash-based .pyc files keep the asset hash independent of file modification times. The function
trees are plain sources (a few small modules), without any __pycache__.
"""

from __future__ import annotations

import compileall
import hashlib
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / "build"
FUNCTIONS_DIR = ROOT / "functions"
LAMBDA_BUILD_DIR = BUILD_DIR / "lambda"
LAYER_DIR = BUILD_DIR / "layers" / "deps"
LAYER_STAMP = BUILD_DIR / "layers" / "deps.stamp"

# The python3.13 runtime runs on Amazon Linux 2023 (glibc 2.34); any manylinux wheel up to 2_34
# runs there, and allowing 2_34 lets uv reuse the wheels the dev venv already cached.
PYTHON_PLATFORM = "x86_64-manylinux_2_34"
PYTHON_VERSION = "3.13"
# Lambda's limit for a function plus its layers, unzipped.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
# Bump when the way the layer is built changes, so that stale layers are rebuilt.
_LAYER_RECIPE = f"v1 {PYTHON_PLATFORM} {PYTHON_VERSION} only-binary unchecked-hash"


class BundlingError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Bundle:
    """Where the assets of one synthesis live."""

    layer: Path
    functions: dict[str, Path]


def bundle(group_names: tuple[str, ...]) -> Bundle:
    layer = build_layer()
    return Bundle(layer=layer, functions={name: build_function(name) for name in group_names})


def build_function(group: str) -> Path:
    """Copy the group's package and the shared package into `build/lambda/<group>`."""
    source = FUNCTIONS_DIR / group
    if not (source / "app.py").is_file():
        raise BundlingError(f"{source}/app.py not found: is `{group}` a function group?")
    target = LAMBDA_BUILD_DIR / group
    staging = staging_dir(target)
    package = staging / "functions"
    package.mkdir()
    shutil.copy2(FUNCTIONS_DIR / "__init__.py", package / "__init__.py")
    shutil.copytree(FUNCTIONS_DIR / "shared", package / "shared", ignore=_IGNORED)
    shutil.copytree(source, package / group, ignore=_IGNORED)
    replace_tree(staging, target)
    return target


def build_layer() -> Path:
    """Install the runtime requirements into `build/layers/deps/python` unless already there."""
    return build_python_layer(LAYER_DIR, LAYER_STAMP, export_requirements())


def build_python_layer(layer_dir: Path, stamp: Path, requirements: str) -> Path:
    """Install pinned requirements into `<layer_dir>/python` unless `stamp` says they are there."""
    digest = hashlib.sha256(f"{_LAYER_RECIPE}\n{requirements}".encode()).hexdigest()
    if stamp.is_file() and stamp.read_text().strip() == digest and (layer_dir / "python").is_dir():
        return layer_dir
    staging = staging_dir(layer_dir)
    requirements_file = staging.parent / f"{staging.name}.requirements.txt"
    requirements_file.write_text(requirements)
    try:
        _install(requirements_file, staging / "python")
        _compile(staging / "python")
    finally:
        requirements_file.unlink(missing_ok=True)
    stamp.unlink(missing_ok=True)
    replace_tree(staging, layer_dir)
    stamp.write_text(digest + "\n")
    return layer_dir


def export_requirements() -> str:
    """The pinned runtime (non-dev) requirements of uv.lock, without the project itself."""
    result = _run_uv(
        ["export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet"],
        what="export the runtime requirements from uv.lock",
    )
    return result.stdout


def _install(requirements_file: Path, target: Path) -> None:
    args = [
        "pip",
        "install",
        "--quiet",
        "--no-deps",  # the export is already the complete, pinned closure
        "--only-binary",
        ":all:",
        "--python",
        sys.executable,
        "--python-platform",
        PYTHON_PLATFORM,
        "--python-version",
        PYTHON_VERSION,
        "--target",
        str(target),
        "-r",
        str(requirements_file),
    ]
    try:
        # After `make setup`, uv's cache holds these wheels: building must work offline.
        _run_uv([*args, "--offline"], what="install the layer from uv's cache")
    except BundlingError as offline_error:
        print(
            "herald bundling: uv's cache lacks some wheels of the dependency layer "
            f"({offline_error}); downloading them from the package index.",
            file=sys.stderr,
        )
        shutil.rmtree(target, ignore_errors=True)
        _run_uv(args, what="install the layer from the package index")


def _run_uv(args: list[str], *, what: str) -> subprocess.CompletedProcess[str]:
    uv = _uv_executable()
    # The CDK CLI forces colours on its child processes; requirement files must stay plain.
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    result = subprocess.run(  # noqa: S603 - fixed program, arguments built here
        [uv, "--color", "never", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BundlingError(f"uv could not {what}: {' / '.join(detail[-3:])}")
    return result


def _uv_executable() -> str:
    pinned = ROOT / ".tools" / "uv" / "bin" / "uv"
    if pinned.is_file():
        return str(pinned)
    found = shutil.which("uv")
    if found is None:
        raise BundlingError("uv not found: run `make setup` first")
    return found


def _compile(tree: Path) -> None:
    ok = compileall.compile_dir(
        tree,
        quiet=2,
        workers=1,  # a process pool misbehaves next to the jsii runtime
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    if not ok:
        raise BundlingError(f"some modules under {tree} do not compile")


def staging_dir(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))


def replace_tree(staging: Path, target: Path) -> None:
    """Swap a finished tree into place, so a failed build never leaves a half-written one."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        target.rename(old)
    staging.chmod(0o755)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old)


def tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def size_report(built: Bundle) -> dict[str, int]:
    """Unzipped bytes of each function's code plus the layer (what Lambda limits to 250 MB)."""
    layer = tree_size(built.layer)
    return {name: layer + tree_size(path) for name, path in built.functions.items()}


def main() -> None:
    from functions.shared.groups import code_packages

    built = bundle(code_packages())
    print(f"layer {built.layer}: {tree_size(built.layer) / 1e6:.1f} MB unzipped")
    for name, total in size_report(built).items():
        status = "ok" if total < LAMBDA_UNZIPPED_LIMIT else "OVER THE LIMIT"
        print(f"{name}: function + layer {total / 1e6:.1f} MB unzipped ({status})")


if __name__ == "__main__":
    main()
