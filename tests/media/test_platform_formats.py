"""One catalogue of platform formats: a name means one frame whether the image tools or a reframe
job make it, a platform's format has one name for both kinds, and preflight's fixes name formats
the media studio makes for the file's kind."""

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from functions.media.adapters.ffmpeg import Probe
from functions.media.adapters.ffmpeg_jobs import reframe_command
from functions.media.domain import image_ops
from functions.media.domain.job_operations import ReframeOperation
from functions.media.domain.models import ImageOperation
from functions.publish.domain.platforms import platform_info
from functions.shared import platform_formats

IMAGE_PRESETS = TypeAdapter[Any](ImageOperation).json_schema()
VIDEO_PRESETS = ReframeOperation.model_json_schema()["properties"]["preset"]


def image_names() -> set[str]:
    [preset_model] = [m for m in IMAGE_PRESETS["$defs"].values() if m["title"] == "PresetOperation"]
    return set(preset_model["properties"]["preset"]["enum"])


def image_frame(name: str) -> tuple[int, int]:
    """The frame the image tools crop a large photo to for the preset."""
    operation = TypeAdapter[Any](ImageOperation).validate_python({"type": "preset", "preset": name})
    return image_ops.plan(operation, (6000, 4000)).size


def video_frame(name: str) -> tuple[int, int]:
    """The frame a reframe job pads a video to for the preset (FFmpeg's `pad=` filter)."""
    operation = ReframeOperation(type="reframe", asset_id="1", preset=name, mode="fit_pad")
    probe = Probe(
        kind="video", has_video=True, has_audio=False, width=1920, height=1080, duration_seconds=2.0
    )
    command = " ".join(reframe_command(operation, Path("in.mp4"), probe, Path("out.mp4")).arguments)
    found = re.search(r"pad=(\d+):(\d+):", command)
    assert found is not None, command
    return int(found[1]), int(found[2])


def test_a_preset_name_is_one_frame_for_images_and_videos() -> None:
    shared = image_names() & set(VIDEO_PRESETS["enum"])

    frames = {name: (image_frame(name), video_frame(name)) for name in sorted(shared)}

    assert frames == {
        "facebook": ((1080, 1350), (1080, 1350)),
        "instagram_portrait": ((1080, 1350), (1080, 1350)),
        "instagram_square": ((1080, 1080), (1080, 1080)),
        "linkedin": ((1920, 1080), (1920, 1080)),
        "story": ((1080, 1920), (1080, 1920)),
        "tiktok": ((1080, 1920), (1080, 1920)),
        "x_landscape": ((1280, 720), (1280, 720)),
    }


def test_only_formats_of_one_kind_have_a_name_of_their_own() -> None:
    """A YouTube thumbnail is a still, a YouTube video and a Short are videos; every other
    platform format has the same name for its images and its videos."""
    assert image_names() - set(VIDEO_PRESETS["enum"]) == {"youtube_thumbnail"}
    assert set(VIDEO_PRESETS["enum"]) - image_names() == {"youtube", "youtube_shorts"}


@pytest.mark.parametrize("name", sorted(VIDEO_PRESETS["enum"]))
def test_every_video_frame_has_even_sides(name: str) -> None:
    """H.264 with 4:2:0 chroma refuses odd sides."""
    width, height = video_frame(name)
    assert (width % 2, height % 2) == (0, 0)


def test_every_preflight_fix_names_a_format_the_studio_makes_for_that_kind() -> None:
    made = {"image": image_names(), "video": set(VIDEO_PRESETS["enum"])}
    for (platform, content_type, kind), name in platform_formats.FIXES.items():
        info = platform_info(platform)
        assert info is not None, platform
        [content] = [c for c in info.content_types if c.name == content_type]
        assert any(kind in limits.types for limits in content.media), (platform, content_type)
        assert name in made[kind], (platform, content_type, kind)
