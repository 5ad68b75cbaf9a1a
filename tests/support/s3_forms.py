"""A browser's form upload to S3 (presigned POST), posted to moto with S3's policy check on.

moto's in-process mock (`mock_aws`) intercepts boto3, not httpx; its WSGI server app, mounted as
an httpx transport, answers the form's URL in this process from the same buckets, and the local
stack's policy check (`infra/local/post_policy.py`) runs on every form, as under `make dev`. So an
upload the form's policy forbids is refused here as S3 refuses it, and tests of upload limits
test the policy. Presigned download URLs are fetched the same way, with the local stack's check
of their signature and expiry (`infra/local/presigned_get.py`).
"""

from collections.abc import Mapping
from functools import cache
from typing import Any
from xml.etree import ElementTree

import boto3
import httpx
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from functions.shared.settings import get_settings
from functions.shared.storage import PENDING_UPLOAD_TAG, PENDING_UPLOAD_TAGGING
from infra.local.moto_quirks import enforce_form_upload_policies, enforce_presigned_urls


@cache
def _moto() -> httpx.Client:
    enforce_form_upload_policies()
    enforce_presigned_urls()
    return httpx.Client(
        transport=httpx.WSGITransport(app=DomainDispatcherApplication(create_backend_app))
    )


def post_form(
    form: Mapping[str, Any],
    data: bytes,
    *,
    filename: str = "upload",
    fields: Mapping[str, str] | None = None,
) -> httpx.Response:
    """Post `data` to the form (`url` and `fields` as Herald hands them out), as a browser does.

    `fields` changes or adds form fields, as a user editing the form could.
    """
    posted = {**form["fields"], **(fields or {})}
    file_type = posted.get("Content-Type", "application/octet-stream")
    return _moto().post(form["url"], data=posted, files={"file": (filename, data, file_type)})


def s3_error(response: httpx.Response) -> tuple[int, str, str]:
    """Status, S3 error code and message of a refused upload."""
    error = ElementTree.fromstring(response.content)  # noqa: S314 - moto's own answer
    return response.status_code, error.findtext("Code", ""), error.findtext("Message", "")


def put_as_browser(form: Mapping[str, Any], data: bytes) -> None:
    """The browser's form POST, which the form's policy accepts, tagged pending by it."""
    assert form["fields"]["tagging"] == PENDING_UPLOAD_TAGGING
    posted = post_form(form, data)
    assert posted.status_code == 204, posted.text


def put_past_the_form(form: Mapping[str, Any], data: bytes) -> None:
    """The file at the form's key and type, put with the bucket's own rights, as no browser can.

    For Herald's own checks of what it finds at the key, behind the policy's.
    """
    boto3.client("s3", region_name=get_settings().region).put_object(
        Bucket=get_settings().media_bucket,
        Key=form["fields"]["key"],
        Body=data,
        ContentType=form["fields"]["Content-Type"],
        Tagging="=".join(PENDING_UPLOAD_TAG),
    )


def download(url: str) -> httpx.Response:
    """GET a presigned download URL, as a browser following it does."""
    return _moto().get(url)
