"""The local stack's check of presigned POST forms, rule by rule, against S3's documentation.

Policy and matching: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
Error codes and statuses: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
Forms are signed by botocore, as Herald's are.
"""

from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import boto3
import pytest
from botocore.config import Config

from infra.local.post_policy import FormUpload, S3Refusal, check_form_upload

BUCKET = "herald-media-local"
ACCESS_KEY, SECRET = "local-key", "local-secret"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def signed_form(
    conditions: list[Any],
    fields: dict[str, str] | None = None,
    signature_version: str = "s3v4",
    key: str = "uploads/a.png",
) -> dict[str, str]:
    s3 = boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        config=Config(signature_version=signature_version),
    )
    post = s3.generate_presigned_post(
        BUCKET, key, Fields=fields, Conditions=conditions, ExpiresIn=600
    )
    form: dict[str, str] = post["fields"]
    return form


def check(form: dict[str, str], size: int = 10, /, **changed: str) -> None:
    upload = FormUpload(bucket=BUCKET, fields=list({**form, **changed}.items()), file_size=size)
    check_form_upload(upload, {ACCESS_KEY: SECRET}.get, NOW + timedelta(seconds=1))


def refusal(form: dict[str, str], size: int = 10, /, **changed: str) -> tuple[int, str, str]:
    with pytest.raises(S3Refusal) as refused:
        check(form, size, **changed)
    return int(refused.value.status), refused.value.code, refused.value.message


@pytest.fixture(autouse=True)
def signed_now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def test_a_form_within_its_policy_is_taken() -> None:
    form = signed_form([{"Content-Type": "image/png"}, ["content-length-range", 1, 100]])

    check(form | {"Content-Type": "image/png"}, 100)


def test_starts_with_fixes_a_prefix_and_an_empty_prefix_takes_anything() -> None:
    # botocore turns a key ending in ${filename} into a starts-with condition.
    form = signed_form([["starts-with", "$x-amz-meta-note", ""]], key="uploads/${filename}")

    check(form, key="uploads/b.png", **{"x-amz-meta-note": "anything"})
    assert refusal(form, key="avatars/b.png") == (
        403,
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]',
    )


def test_each_type_of_a_content_type_list_must_start_with_the_prefix() -> None:
    form = signed_form([["starts-with", "$Content-Type", "image/"]])

    check(form, **{"Content-Type": "image/png, image/jpeg"})
    assert refusal(form, **{"Content-Type": "image/png,text/html"})[1] == "AccessDenied"


def test_field_names_match_whatever_their_case() -> None:
    form = signed_form([{"content-type": "image/png"}])

    check(form, **{"Content-Type": "image/png"})


def test_fields_s3_ignores_need_no_condition() -> None:
    form = signed_form([])

    check(form, **{"x-ignore-tracking": "1", "file": "inline bytes"})


def test_success_action_status_is_matched_exactly_only() -> None:
    exact = signed_form([{"success_action_status": "201"}], {"success_action_status": "201"})
    prefix = signed_form([["starts-with", "$success_action_status", "2"]])

    check(exact)
    assert refusal(exact, success_action_status="200")[:2] == (403, "AccessDenied")
    assert refusal(prefix, success_action_status="201") == (
        400,
        "InvalidPolicyDocument",
        "Invalid Policy: Invalid Condition: the 'success_action_status' field does not support "
        "'starts-with' matching.",
    )


def test_the_bucket_condition_names_the_bucket_posted_to() -> None:
    form = signed_form([])
    upload = FormUpload(bucket="another-bucket", fields=list(form.items()), file_size=1)

    with pytest.raises(S3Refusal) as refused:
        check_form_upload(upload, {ACCESS_KEY: SECRET}.get, NOW)

    assert refused.value.message == (
        f'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "{BUCKET}"]'
    )


def test_a_simple_condition_has_one_property() -> None:
    form = signed_form([{"acl": "private", "Content-Type": "image/png"}])

    assert refusal(form) == (
        400,
        "InvalidPolicyDocument",
        "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
        "property specified.",
    )


def test_a_policy_that_is_not_base64_json_is_invalid() -> None:
    form = signed_form([])

    assert refusal(form, policy="not json")[:2] == (403, "SignatureDoesNotMatch")


def test_an_unknown_access_key_is_refused() -> None:
    form = signed_form([])
    credential = form["x-amz-credential"].replace(ACCESS_KEY, "someone-else")

    assert refusal(form, **{"x-amz-credential": credential})[:2] == (403, "InvalidAccessKeyId")


def test_signature_version_2_is_refused_as_new_buckets_refuse_it() -> None:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/specify-signature-version.html"""
    form = signed_form([], signature_version="s3")

    assert refusal(form) == (
        400,
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. "
        "Please use AWS4-HMAC-SHA256.",
    )


def test_a_form_without_a_key_field_is_refused() -> None:
    form = {name: value for name, value in signed_form([]).items() if name != "key"}

    assert refusal(form) == (
        400,
        "InvalidArgument",
        "Bucket POST must contain a field named 'key'.  If it is specified, please check the "
        "order of the fields.",
    )


def test_the_refusal_is_s3s_xml_error() -> None:
    form = signed_form([["content-length-range", 1, 100]])

    with pytest.raises(S3Refusal) as refused:
        check(form, 101)

    error = ElementTree.fromstring(refused.value.xml())  # noqa: S314 - our own document
    assert error.tag == "Error"
    assert {child.tag: child.text for child in error if child.tag != "RequestId"} == {
        "Code": "EntityTooLarge",
        "Message": "Your proposed upload exceeds the maximum allowed size",
        "ProposedSize": "101",
        "MaxSizeAllowed": "100",
    }
