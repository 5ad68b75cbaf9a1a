"""Presigned uploads and downloads of the media bucket, end to end against moto's S3 server."""

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from functions.shared import aws
from functions.shared.settings import get_settings
from functions.shared.storage import (
    PENDING_UPLOAD_TAGGING,
    presign_download,
    presign_upload,
    user_key,
    workspace_key,
)
from infra.local.cloud import LocalCloud

WORKSPACE = "01JD5W3X8F2Q9Y7K6T4M2N1P0R"


@pytest.fixture(scope="module")
def media_bucket() -> Iterator[None]:
    cloud = LocalCloud().start()
    patch = pytest.MonkeyPatch()
    patch.setenv("AWS_ENDPOINT_URL", cloud.endpoint_url)
    aws.reset_clients()
    try:
        aws.s3().create_bucket(Bucket=get_settings().media_bucket)
        yield
    finally:
        aws.reset_clients()
        patch.undo()
        cloud.stop()


@pytest.mark.usefixtures("media_bucket")
def test_a_browser_upload_lands_at_its_key_and_downloads_back() -> None:
    key = workspace_key(WORKSPACE, "media", "01JD5W3X8F2Q9Y7K6T4M2N1P0S.png")
    upload = presign_upload(key, content_type="image/png", max_bytes=1024)

    posted = httpx.post(
        upload.url,
        data=upload.fields,
        files={"file": ("logo.png", b"\x89PNG fake bytes", "image/png")},
    )
    downloaded = httpx.get(presign_download(key, filename='brand "logo".png'))

    assert posted.status_code == 204
    assert downloaded.status_code == 200
    assert downloaded.content == b"\x89PNG fake bytes"
    assert downloaded.headers["content-type"] == "image/png"
    assert downloaded.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''brand%20%22logo%22.png"
    )


@pytest.mark.usefixtures("media_bucket")
def test_the_upload_policy_pins_key_type_and_size() -> None:
    key = workspace_key(WORKSPACE, "media", "clip.mp4")
    upload = presign_upload(key, content_type="video/mp4", max_bytes=50_000_000, expires_in=120)

    policy = json.loads(base64.b64decode(upload.fields["policy"]))

    assert upload.fields["key"] == key
    assert {"bucket": get_settings().media_bucket} in policy["conditions"]
    assert {"key": key} in policy["conditions"]
    assert {"Content-Type": "video/mp4"} in policy["conditions"]
    assert ["content-length-range", 1, 50_000_000] in policy["conditions"]
    # Tagged pending until completed: the bucket expires abandoned uploads by this tag.
    assert {"tagging": PENDING_UPLOAD_TAGGING} in policy["conditions"]
    assert upload.fields["tagging"] == PENDING_UPLOAD_TAGGING


@pytest.mark.parametrize(
    "parts",
    [(), ("..", "secret"), ("media", "../../other"), ("media", "a/b"), ("media", "")],
)
def test_keys_stay_inside_their_owner_prefix(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="unsafe or missing"):
        workspace_key(WORKSPACE, *parts)


def test_owner_prefixes_match_the_iam_grants() -> None:
    assert workspace_key(WORKSPACE, "media", "a.png") == f"workspaces/{WORKSPACE}/media/a.png"
    assert user_key("01JD5W3X8F2Q9Y7K6T4M2N1P0T", "avatar.webp") == (
        "users/01JD5W3X8F2Q9Y7K6T4M2N1P0T/avatar.webp"
    )
