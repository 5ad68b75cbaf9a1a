"""Media figures, each a ratio measured in the same run. Usage: `python bench/media.py`.

(a) `bench_image_preset`: a 6000x4000 JPEG made into the 1080x1350 `instagram_portrait` preset
    by the image tools' pixel work (`image_ops.pixels`: reduced-size decoding with `draft()`,
    EXIF orientation, Lanczos, sRGB) against plain Pillow (full decode, then one Lanczos resize
    to the same geometry), in both preset modes: `crop` (fill 1080x1350 from the centre: the
    source must be decoded at least 2025x1350, so at 1/2 scale) and `fit` (the picture fits in
    1080x720 and is padded: 1/4 scale suffices). Goal: at least 3x faster, with a PSNR of at
    least 35 dB against plain Pillow's output. Encoding the result, the same for both, is left
    out.
(b), (c): bench/media_video.py (merging by stream copy; a job against bare FFmpeg).

Exits 1 when a figure misses its goal.
"""

import math
import statistics
import sys
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageChops, ImageFilter  # noqa: E402

from functions.media.domain import image_ops  # noqa: E402
from functions.media.domain.models import PresetOperation  # noqa: E402
from functions.shared import images, platform_formats  # noqa: E402

SOURCE_SIZE = (6000, 4000)
PRESET = "instagram_portrait"
SPEED_GOAL = 3.0
PSNR_GOAL = 35.0
ROUNDS = 9


def photo_like_jpeg(size: tuple[int, int] = SOURCE_SIZE, quality: int = 90) -> bytes:
    """A camera-sized JPEG with a photo's mix of smooth areas, edges and fine grain.

    Decoding cost grows with how much detail the entropy-coded data holds, so the source is
    neither flat (which flatters draft()) nor noise (which no photo is): a lit gradient, the
    hard edges and fine structure of a Mandelbrot set, and sensor-like grain in every channel.
    """
    light = Image.linear_gradient("L").resize(size)
    structure = Image.effect_mandelbrot(size, (-2.2, -1.2, 1.0, 1.2), 80)
    grain = [Image.effect_noise(size, 12).filter(ImageFilter.GaussianBlur(0.8)) for _ in range(3)]
    red = ImageChops.add(ImageChops.multiply(structure, light), grain[0], 1, -128)
    green = ImageChops.add(light, grain[1], 1, -128)
    blue = ImageChops.add(structure.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grain[2], 1, -128)
    out = BytesIO()
    Image.merge("RGB", (red, green, blue)).save(out, "JPEG", quality=quality)
    return out.getvalue()


def plain_pillow(source: bytes, operation: PresetOperation) -> Image.Image:
    """What one writes without draft(): decode everything, then one Lanczos resize (and, to
    fit, the same padding)."""
    target = platform_formats.size_of(operation.preset)
    image = Image.open(BytesIO(source))
    image.load()
    if operation.mode == "crop":
        box = images.cover_box(image.size, target)
        return image.resize(target, Image.Resampling.LANCZOS, box=box)
    picture = image.resize(images.fit_size(image.size, target), Image.Resampling.LANCZOS)
    padded = Image.new("RGB", target, images.WHITE)
    padded.paste(picture, ((target[0] - picture.width) // 2, (target[1] - picture.height) // 2))
    return padded


def psnr(first: Image.Image, second: Image.Image) -> float:
    histogram = ImageChops.difference(first, second).histogram()
    squared = sum(count * (index % 256) ** 2 for index, count in enumerate(histogram))
    mean = squared / (first.width * first.height * len(first.getbands()))
    return math.inf if mean == 0 else 10 * math.log10(255**2 / mean)


def _timed(action: Callable[[], Image.Image]) -> tuple[float, float, Image.Image]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def bench_image_preset(rounds: int = ROUNDS) -> bool:
    """(a): prints the speed ratio and the PSNR of each preset mode; True when all meet the
    goals."""
    source = photo_like_jpeg()
    width, height = SOURCE_SIZE
    print(
        f"(a) {width}x{height} JPEG ({len(source) / 1e6:.1f} MB, "
        f"{len(source) * 8 / (width * height):.2f} bits/pixel) -> {PRESET}, median CPU time of "
        f"{rounds} interleaved runs, against full decode + Lanczos:"
    )
    results = [
        _compare(source, PresetOperation(type="preset", preset=PRESET, mode=mode), rounds)
        for mode in ("crop", "fit")
    ]
    return all(results)


def _compare(source: bytes, operation: PresetOperation, rounds: int) -> bool:
    ours: list[tuple[float, float]] = []
    plain: list[tuple[float, float]] = []
    ours_image = plain_image = None
    for _ in range(rounds):  # interleaved, so machine noise hits both alike
        wall, cpu, plain_image = _timed(lambda: plain_pillow(source, operation))
        plain.append((wall, cpu))
        wall, cpu, ours_image = _timed(
            lambda: image_ops.pixels(source, operation, keep_alpha=False)
        )
        ours.append((wall, cpu))
    assert ours_image is not None
    assert plain_image is not None
    assert ours_image.size == plain_image.size == platform_formats.size_of(operation.preset)
    ours_wall, ours_cpu = (statistics.median(sample[i] for sample in ours) for i in (0, 1))
    plain_wall, plain_cpu = (statistics.median(sample[i] for sample in plain) for i in (0, 1))
    ratio = plain_cpu / ours_cpu
    quality = psnr(ours_image, plain_image)
    met = ratio >= SPEED_GOAL and quality >= PSNR_GOAL
    print(
        f"    mode {operation.mode}: image tools {ours_cpu * 1000:.0f} ms "
        f"({ours_wall * 1000:.0f} ms wall), plain Pillow {plain_cpu * 1000:.0f} ms "
        f"({plain_wall * 1000:.0f} ms wall) -> {ratio:.2f}x faster (goal >= {SPEED_GOAL:g}x), "
        f"PSNR {quality:.1f} dB (goal >= {PSNR_GOAL:g} dB): {'met' if met else 'MISSED'}"
    )
    return met


def main() -> int:
    from bench.media_video import video_figures

    met = bench_image_preset()
    video_met = video_figures()
    return 0 if met and video_met else 1


if __name__ == "__main__":
    sys.exit(main())
