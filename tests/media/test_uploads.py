"""Uploads: a form pinned to key, type and size; completion trusts the file's bytes only.

Images are real bytes made with Pillow, video and audio real files made by FFmpeg (tests/media/
ffmpeg_samples.py); executables are a copy of /bin/true's first bytes.
"""

import base64
import json
import struct
import zlib
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from PIL import Image

from functions.media.adapters.asset_items import MediaUploadItem, MediaUsageItem
from functions.shared.access import Role, WorkspaceAccess
from functions.shared.auth import UserPrincipal
from functions.shared.media_items import MediaAssetItem
from functions.shared.problems import NotFound
from functions.shared.settings import get_settings
from functions.shared.tables import utc_now
from tests.media.library_world import (
    RED,
    Library,
    camera_photo,
    encode,
    jpeg,
    near,
    object_keys,
    read_object,
    tags_of,
)
from tests.support.ffmpeg_samples import make_tone, make_video
from tests.support.s3_forms import post_form, put_as_browser, put_past_the_form, s3_error

MIB = 1024 * 1024


def elf_program() -> bytes:
    return Path("/bin/true").read_bytes()[:4096]


def start(library: Library, name: str, content_type: str, size: int) -> dict[str, Any]:
    response = library.start(name, content_type, size)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def pending_upload(library: Library, upload_id: str) -> MediaUploadItem | None:
    return MediaUploadItem.find(library.workspace_id, upload_id)


def upload_file(library: Library, path: Path, content_type: str) -> Any:
    return library.upload(path.read_bytes(), path.name, content_type)


# The form ---------------------------------------------------------------------------------------


def test_the_form_is_pinned_to_the_workspace_key_type_size_and_fifteen_minutes(
    library: Library,
) -> None:
    upload = start(library, "launch.mp4", "video/mp4", 12_345_678)

    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    key = f"workspaces/{library.workspace_id}/uploads/{upload['upload_id']}"
    assert upload["fields"]["key"] == key
    assert upload["fields"]["Content-Type"] == "video/mp4"
    assert {"key": key} in policy["conditions"]
    assert {"bucket": get_settings().media_bucket} in policy["conditions"]
    assert {"Content-Type": "video/mp4"} in policy["conditions"]
    assert ["content-length-range", 1, 12_345_678] in policy["conditions"]
    # Signature Version 4: S3 buckets created since June 2020 refuse version 2.
    assert upload["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert {"x-amz-algorithm": "AWS4-HMAC-SHA256"} in policy["conditions"]
    # Tagged pending until completed: the bucket expires abandoned uploads by this tag.
    assert {"tagging": upload["fields"]["tagging"]} in policy["conditions"]
    assert upload["fields"]["tagging"] == (
        "<Tagging><TagSet><Tag><Key>herald-upload</Key><Value>pending</Value></Tag></TagSet>"
        "</Tagging>"
    )
    assert (upload["max_bytes"], upload["content_type"], upload["expires_in"]) == (
        12_345_678,
        "video/mp4",
        900,
    )
    pending = pending_upload(library, upload["upload_id"])
    assert pending is not None
    assert (pending.name, pending.content_type, pending.object_key) == (
        "launch.mp4",
        "video/mp4",
        key,
    )
    assert pending.expires_at is not None  # the item expires by TTL if never completed


@pytest.mark.parametrize(
    ("content_type", "cap"),
    [
        ("image/png", 50 * MIB),
        ("image/gif", 15 * MIB),
        ("video/quicktime", 1024 * MIB),
        ("audio/mpeg", 256 * MIB),
    ],
)
def test_each_kind_has_its_size_cap(library: Library, content_type: str, cap: int) -> None:
    allowed = library.start("file", content_type, cap)
    refused = library.start("file", content_type, cap + 1)

    assert allowed.status_code == 201, allowed.text
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/body/size_bytes"
    assert f"({cap} bytes)" in refused.json()["detail"]


@pytest.mark.parametrize("content_type", ["image/svg+xml", "application/pdf", "video/x-msvideo"])
def test_types_herald_cannot_verify_are_not_offered(library: Library, content_type: str) -> None:
    response = library.start("file", content_type, 1000)

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/body/content_type"


# Completing with real files -----------------------------------------------------------------------


def test_a_camera_photo_enters_the_library_with_its_displayed_size_and_a_thumbnail(
    library: Library,
) -> None:
    data = camera_photo()

    response = library.upload(data, "holiday.jpg", "image/jpeg")

    assert response.status_code == 201, response.text
    asset = response.json()
    folder = f"workspaces/{library.workspace_id}/media/{asset['id']}"
    assert (asset["kind"], asset["content_type"], asset["name"]) == (
        "image",
        "image/jpeg",
        "holiday.jpg",
    )
    assert (asset["container"], asset["width"], asset["height"]) == ("JPEG", 2000, 3000)
    assert asset["size_bytes"] == len(data)
    # The upload was copied to the asset's own key, which no form can write, and removed.
    assert object_keys(library.workspace_id) == {f"{folder}/original", f"{folder}/thumbnail.jpg"}
    assert read_object(f"{folder}/original") == (data, "image/jpeg")
    # Kept for good: not tagged as a pending upload, which the bucket would expire.
    assert tags_of(f"{folder}/original") == {}
    thumbnail, thumbnail_type = read_object(f"{folder}/thumbnail.jpg")
    shown = Image.open(BytesIO(thumbnail))
    assert (thumbnail_type, shown.format, shown.size) == ("image/jpeg", "JPEG", (640, 960))
    assert near(shown.getpixel((630, 480)), RED)  # upright: the band runs down the right edge
    assert b"HeraldCam" not in thumbnail
    assert f"/{folder}/thumbnail.jpg?" in asset["thumbnail_url"]
    item = MediaAssetItem.find(library.workspace_id, asset["id"])
    assert item is not None
    assert item.created_by == f"user:{library.owner.user_id}"
    assert pending_upload(library, asset["id"]) is None


def test_the_bytes_decide_the_type_within_a_family(library: Library) -> None:
    png = encode(Image.new("RGBA", (300, 200), (0, 0, 255, 128)), "PNG")

    response = library.upload(png, "logo.jpg", "image/jpeg")

    assert response.status_code == 201, response.text
    asset = response.json()
    assert (asset["content_type"], asset["container"]) == ("image/png", "PNG")
    key = f"workspaces/{library.workspace_id}/media/{asset['id']}/original"
    assert read_object(key) == (png, "image/png")  # stored with the type it really is


def test_an_animated_gif_has_its_duration_and_frame_rate(library: Library) -> None:
    frames = [Image.new("RGB", (120, 90), (index * 20, 0, 0)) for index in range(10)]
    out = BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)

    response = library.upload(out.getvalue(), "dance.gif", "image/gif")

    assert response.status_code == 201, response.text
    asset = response.json()
    assert (asset["kind"], asset["width"], asset["height"]) == ("gif", 120, 90)
    assert (asset["duration_seconds"], asset["frame_rate"]) == (0.5, 20.0)


@pytest.mark.ffmpeg
def test_a_video_is_probed_by_ffmpeg_and_gets_a_frame_as_thumbnail(
    library: Library, tmp_path: Path
) -> None:
    clip = make_video(
        tmp_path / "clip.mp4",
        size="640x360",
        rate=30,
        seconds=2.0,
        extra=("-movflags", "+faststart"),
    )

    response = upload_file(library, clip, "video/mp4")

    assert response.status_code == 201, response.text
    asset = response.json()
    assert (asset["kind"], asset["content_type"]) == ("video", "video/mp4")
    assert (asset["width"], asset["height"], asset["rotation"]) == (640, 360, 0)
    assert (asset["video_codec"], asset["audio_codec"]) == ("h264", "aac")
    assert (asset["frame_rate"], asset["audio_channels"], asset["audio_sample_rate"]) == (
        30.0,
        1,
        44_100,
    )
    assert asset["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    assert asset["faststart"] is True
    thumbnail, _ = read_object(
        f"workspaces/{library.workspace_id}/media/{asset['id']}/thumbnail.jpg"
    )
    assert Image.open(BytesIO(thumbnail)).size == (640, 360)


@pytest.mark.ffmpeg
def test_a_video_with_its_index_at_the_end_is_reported_as_not_faststart(
    library: Library, tmp_path: Path
) -> None:
    clip = make_video(tmp_path / "late-moov.mov", seconds=1.0)

    asset = upload_file(library, clip, "video/quicktime").json()

    assert (asset["content_type"], asset["faststart"]) == ("video/quicktime", False)


@pytest.mark.ffmpeg
@pytest.mark.parametrize(
    ("filename", "content_type", "codec"),
    [
        ("tone.mp3", "audio/mpeg", "mp3"),
        ("tone.wav", "audio/wav", "pcm_s16le"),
        ("tone.m4a", "audio/mp4", "aac"),
    ],
)
def test_audio_is_probed_and_has_no_thumbnail(
    library: Library, tmp_path: Path, filename: str, content_type: str, codec: str
) -> None:
    tone = make_tone(tmp_path / filename, seconds=1.5)

    response = upload_file(library, tone, content_type)

    assert response.status_code == 201, response.text
    asset = response.json()
    assert (asset["kind"], asset["content_type"], asset["audio_codec"]) == (
        "audio",
        content_type,
        codec,
    )
    assert asset["duration_seconds"] == pytest.approx(1.5, abs=0.1)
    assert (asset["audio_sample_rate"], asset["thumbnail_url"]) == (48_000, None)
    assert asset["width"] is None


# Refusals ---------------------------------------------------------------------------------------


def assert_discarded(library: Library, response: Any, upload_id: str, *phrases: str) -> None:
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"] == "urn:herald:problem:media-rejected"
    for phrase in phrases:
        assert phrase in problem["detail"]
    assert object_keys(library.workspace_id) == set()
    assert pending_upload(library, upload_id) is None
    assert library.complete(upload_id).status_code == 404  # it cannot be completed again


def test_a_jpg_that_is_a_program_is_refused_and_deleted(library: Library) -> None:
    program = elf_program()
    upload = start(library, "invoice.jpg", "image/jpeg", len(program))
    put_as_browser(upload, program)

    response = library.complete(upload["upload_id"])

    assert_discarded(
        library,
        response,
        upload["upload_id"],
        "uploaded as image/jpeg, but its content is an executable program (ELF)",
    )


@pytest.mark.parametrize(
    ("content", "description"),
    [
        (b"holiday.jpg is really a note:\nbuy milk\n", "no image, video or audio format"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "a web page"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
    ],
)
def test_files_of_no_accepted_format_are_refused(
    library: Library, content: bytes, description: str
) -> None:
    upload = start(library, "photo.png", "image/png", len(content))
    put_as_browser(upload, content)

    assert_discarded(
        library, library.complete(upload["upload_id"]), upload["upload_id"], description
    )


def test_a_playlist_named_like_a_video_never_reaches_ffprobe(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HLS playlists make ffprobe open the files and URLs they list.
    playlist = b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n"
    from functions.media.adapters import ffmpeg

    def no_probe(path: Path) -> None:
        raise AssertionError("ffprobe was handed the playlist")

    monkeypatch.setattr(ffmpeg, "probe", no_probe)
    upload = start(library, "clip.mp4", "video/mp4", len(playlist))
    put_as_browser(upload, playlist)

    assert_discarded(
        library, library.complete(upload["upload_id"]), upload["upload_id"], "a playlist"
    )


def test_an_image_declared_as_a_video_is_refused(library: Library) -> None:
    data = jpeg()
    upload = start(library, "clip.mp4", "video/mp4", len(data))
    put_as_browser(upload, data)

    assert_discarded(
        library,
        library.complete(upload["upload_id"]),
        upload["upload_id"],
        "uploaded as video/mp4, but its content is image/jpeg",
    )


@pytest.mark.ffmpeg
def test_sound_declared_as_a_video_is_refused(library: Library, tmp_path: Path) -> None:
    # An MP4 with only an audio track: the container says video, the streams say otherwise.
    sound_only = make_video(tmp_path / "sound.mp4", seconds=1.0, extra=("-vn",))
    upload = start(library, "sound.mp4", "video/mp4", sound_only.stat().st_size)
    put_as_browser(upload, sound_only.read_bytes())

    assert_discarded(
        library,
        library.complete(upload["upload_id"]),
        upload["upload_id"],
        "holds no video, only sound; upload it as audio/mp4",
    )


@pytest.mark.ffmpeg
def test_a_truncated_video_is_refused(library: Library, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=2.0).read_bytes()
    broken = clip[: len(clip) // 3]  # the index (moov) is at the end: cut off
    upload = start(library, "clip.mp4", "video/mp4", len(broken))
    put_as_browser(upload, broken)

    assert_discarded(
        library, library.complete(upload["upload_id"]), upload["upload_id"], "could not be read"
    )


def test_a_truncated_image_is_refused(library: Library) -> None:
    broken = camera_photo()[:5000]
    upload = start(library, "photo.jpg", "image/jpeg", len(broken))
    put_as_browser(upload, broken)

    assert_discarded(
        library, library.complete(upload["upload_id"]), upload["upload_id"], "truncated or corrupt"
    )


def handmade_png(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of any size, all black: megapixels in a few kilobytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = bytes(1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    ("width", "height", "phrase"),
    [
        (20_000, 20_000, "far too many pixels to decode safely"),  # Pillow's bomb guard
        (12_000, 9_000, "The image is 12000x9000 pixels; an image may have at most 100"),
    ],
)
def test_decompression_bombs_are_refused_before_decoding(
    library: Library, width: int, height: int, phrase: str
) -> None:
    bomb = handmade_png(width, height)
    assert len(bomb) < 200_000
    upload = start(library, "bomb.png", "image/png", len(bomb))
    put_as_browser(upload, bomb)

    assert_discarded(library, library.complete(upload["upload_id"]), upload["upload_id"], phrase)


def test_a_file_bigger_than_declared_is_refused(library: Library) -> None:
    data = jpeg()
    upload = start(library, "photo.jpg", "image/jpeg", 100)
    put_past_the_form(upload, data)  # the form's policy refuses it (test below)

    assert_discarded(
        library,
        library.complete(upload["upload_id"]),
        upload["upload_id"],
        f"The file has {len(data)} bytes, more than the 100 declared",
    )


# What S3 lets through the form ------------------------------------------------------------------
# The policy S3 enforces: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
# and its errors: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html


def test_the_form_takes_the_declared_file(library: Library) -> None:
    data = jpeg()
    upload = start(library, "photo.jpg", "image/jpeg", len(data))

    posted = post_form(upload, data, filename="photo.jpg")

    assert posted.status_code == 204, posted.text
    assert read_object(upload["fields"]["key"]) == (data, "image/jpeg")


def test_the_form_refuses_a_file_bigger_than_declared(library: Library) -> None:
    upload = start(library, "photo.jpg", "image/jpeg", 1_000)

    posted = post_form(upload, b"\xff" * 200_000)

    assert s3_error(posted) == (
        400,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
    )
    assert object_keys(library.workspace_id) == set()


def test_the_form_refuses_an_empty_file(library: Library) -> None:
    upload = start(library, "photo.jpg", "image/jpeg", 1_000)

    posted = post_form(upload, b"")

    assert s3_error(posted) == (
        400,
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size",
    )


def test_the_form_refuses_another_content_type(library: Library) -> None:
    data = jpeg()
    upload = start(library, "photo.jpg", "image/jpeg", len(data))

    posted = post_form(upload, data, fields={"Content-Type": "text/html"})

    assert s3_error(posted) == (
        403,
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", '
        '"image/jpeg"]',
    )
    assert object_keys(library.workspace_id) == set()


def test_the_form_refuses_another_key(library: Library) -> None:
    data = jpeg()
    upload = start(library, "photo.jpg", "image/jpeg", len(data))
    key = upload["fields"]["key"]

    posted = post_form(upload, data, fields={"key": f"{key}-and-more"})

    assert s3_error(posted) == (
        403,
        "AccessDenied",
        f'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "{key}"]',
    )
    assert object_keys(library.workspace_id) == set()


def test_the_form_refuses_fields_its_policy_does_not_name(library: Library) -> None:
    data = jpeg()
    upload = start(library, "photo.jpg", "image/jpeg", len(data))

    posted = post_form(upload, data, fields={"Content-Disposition": "attachment"})

    assert s3_error(posted) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: Content-Disposition",
    )


def test_the_form_expires_after_fifteen_minutes(library: Library) -> None:
    data = jpeg()
    upload = start(library, "photo.jpg", "image/jpeg", len(data))

    with time_machine.travel(utc_now() + timedelta(minutes=15, seconds=1)):
        posted = post_form(upload, data)

    assert s3_error(posted) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    )
    assert object_keys(library.workspace_id) == set()


def test_a_policy_changed_after_signing_is_refused(library: Library) -> None:
    big = b"\xff" * 200_000
    upload = start(library, "photo.jpg", "image/jpeg", 1_000)
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    policy["conditions"].remove(["content-length-range", 1, 1_000])
    policy["conditions"].append(["content-length-range", 1, 10 * MIB])
    widened = base64.b64encode(json.dumps(policy).encode()).decode()

    posted = post_form(upload, big, fields={"policy": widened})

    assert s3_error(posted) == (
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    )
    assert object_keys(library.workspace_id) == set()


# The upload's life ------------------------------------------------------------------------------


def test_completing_before_the_file_arrives_is_a_conflict_and_can_be_retried(
    library: Library,
) -> None:
    data = jpeg()
    upload = start(library, "photo.jpg", "image/jpeg", len(data))

    early = library.complete(upload["upload_id"])
    put_as_browser(upload, data)
    later = library.complete(upload["upload_id"])

    assert early.status_code == 409
    assert "has no file yet" in early.json()["detail"]
    assert later.status_code == 201, later.text


def test_an_upload_completes_once(library: Library) -> None:
    data = jpeg()
    upload = start(library, "photo.jpg", "image/jpeg", len(data))
    put_as_browser(upload, data)

    first = library.complete(upload["upload_id"])
    second = library.complete(upload["upload_id"])

    assert (first.status_code, second.status_code) == (201, 404)
    assert len(library.client.get("/v1/media", headers=library.headers).json()["items"]) == 1


def test_of_two_completions_racing_only_one_keeps_an_asset(library: Library) -> None:
    from functions.media.adapters import asset_store
    from functions.media.domain import uploads

    data = jpeg()
    upload = start(library, "photo.jpg", "image/jpeg", len(data))
    put_as_browser(upload, data)
    pending = pending_upload(library, upload["upload_id"])
    assert pending is not None
    stored = asset_store.stat(pending.object_key)
    assert stored is not None
    access = WorkspaceAccess(
        principal=UserPrincipal(library.owner.user_id, "01JD5W3X8F2Q9Y7K6T4M2N1P0S", {}),
        workspace_id=library.workspace_id,
        role=Role.OWNER,
    )
    # The other completion's transaction spends the pending upload while this one checks the
    # file: this one's transaction then finds it gone.
    pending.delete()

    with pytest.raises(NotFound, match="was completed already"):
        uploads._keep(access, pending, stored)

    assert library.client.get("/v1/media", headers=library.headers).json()["items"] == []
    assert usage(library)["used_bytes"] == 0
    # Its copy and thumbnail are gone; the upload's file is the other completion's to move.
    assert object_keys(library.workspace_id) == {pending.object_key}


def test_an_upload_left_for_more_than_a_day_cannot_be_completed(library: Library) -> None:
    data = jpeg()
    upload = start(library, "photo.jpg", "image/jpeg", len(data))
    put_as_browser(upload, data)
    pending = pending_upload(library, upload["upload_id"])
    assert pending is not None
    pending.update(actions=[MediaUploadItem.complete_by.set(utc_now() - timedelta(seconds=1))])

    response = library.complete(upload["upload_id"])

    assert response.status_code == 404


def test_unknown_and_malformed_upload_ids(library: Library) -> None:
    assert library.complete("01JD5W3X8F2Q9Y7K6T4M2N1P0R").status_code == 404
    assert library.complete("not-an-id").status_code == 422


# Quota ------------------------------------------------------------------------------------------


def usage(library: Library) -> dict[str, Any]:
    response = library.client.get("/v1/media/usage", headers=library.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.ffmpeg
def test_usage_counts_every_kept_file(library: Library, tmp_path: Path) -> None:
    photo, tone = jpeg(), make_tone(tmp_path / "tone.mp3", seconds=1.0).read_bytes()

    library.add(photo)
    library.add(tone, "tone.mp3", "audio/mpeg")

    assert usage(library) == {
        "used_bytes": len(photo) + len(tone),
        "quota_bytes": get_settings().media_quota_bytes,
        "asset_count": 2,
    }


def settings_with_quota(monkeypatch: pytest.MonkeyPatch, quota: int) -> None:
    from functions.media.domain import quotas

    monkeypatch.setattr(quotas, "quota_bytes", lambda: quota)


def test_an_upload_that_would_pass_the_quota_is_refused_at_the_start(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_with_quota(monkeypatch, 100_000)
    first = jpeg(400, 300)
    library.add(first)

    room = 100_000 - len(first)
    fits = library.start("b.jpg", "image/jpeg", room)
    refused = library.start("c.jpg", "image/jpeg", room + 1)

    assert fits.status_code == 201, fits.text
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["type"] == "urn:herald:problem:quota"
    assert f"has {room} bytes left" in problem["detail"]
    assert f"needs {room + 1} bytes" in problem["detail"]


def test_the_quota_holds_when_uploads_complete_together(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = jpeg(1200, 900, (10, 200, 30)), jpeg(1200, 900, (200, 10, 30))
    settings_with_quota(monkeypatch, len(first) + len(second) - 1)
    # Both start while the library is empty, so both pass the check at the start.
    uploads = [
        start(library, "a.jpg", "image/jpeg", len(first)),
        start(library, "b.jpg", "image/jpeg", len(second)),
    ]
    put_as_browser(uploads[0], first)
    put_as_browser(uploads[1], second)

    kept = library.complete(uploads[0]["upload_id"])
    refused = library.complete(uploads[1]["upload_id"])

    assert kept.status_code == 201
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:herald:problem:quota"
    assert usage(library)["used_bytes"] == len(first)
    # The refused upload waits: once room is made, it completes.
    assert pending_upload(library, uploads[1]["upload_id"]) is not None
    assert (
        library.client.delete(f"/v1/media/{kept.json()['id']}", headers=library.headers).status_code
        == 204
    )
    assert library.complete(uploads[1]["upload_id"]).status_code == 201
    assert usage(library)["used_bytes"] == len(second)


def test_the_usage_counter_is_one_item_in_the_workspace_partition(library: Library) -> None:
    data = jpeg()
    library.add(data)

    counter = MediaUsageItem.find(library.workspace_id)

    assert counter is not None
    assert (counter.pk, counter.sk) == (f"WS#{library.workspace_id}", "MEDIA_USAGE")
    assert (counter.used_bytes, counter.asset_count) == (len(data), 1)
