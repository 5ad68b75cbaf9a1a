"""The local stack's check of presigned download URLs, against S3's documentation.

Query authentication: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
Error codes and statuses: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
URLs are signed by botocore, as Herald's are.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import boto3
import pytest
import time_machine
from botocore.config import Config

from infra.local.post_policy import S3Refusal
from infra.local.presigned_get import check_presigned_get, is_presigned

ACCESS_KEY, SECRET = "local-key", "local-secret"
SIGNED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def presigned(signature_version: str = "s3v4", expires_in: int = 300) -> str:
    s3 = boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        config=Config(signature_version=signature_version),
    )
    params = {
        "Bucket": "herald-media-local",
        "Key": "workspaces/W1/exports/a b+c.csv",
        "ResponseContentDisposition": "attachment; filename*=UTF-8''report (1).csv",
    }
    with time_machine.travel(SIGNED_AT, tick=False):
        url: str = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
    return url


def check(url: str, now: datetime, method: str = "GET") -> None:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    headers = {"host": parts.netloc}
    assert is_presigned(query, headers)
    check_presigned_get(method, parts.path, query, headers, {ACCESS_KEY: SECRET}.get, now)


def refusal(url: str, now: datetime, method: str = "GET") -> tuple[int, str]:
    with pytest.raises(S3Refusal) as refused:
        check(url, now, method)
    return int(refused.value.status), refused.value.code


def test_a_url_as_signed_works_until_it_expires() -> None:
    url = presigned(expires_in=300)
    check(url, SIGNED_AT)
    check(url, SIGNED_AT + timedelta(seconds=300))
    assert refusal(url, SIGNED_AT + timedelta(seconds=301)) == (403, "AccessDenied")


def test_a_changed_url_or_another_method_does_not_match_its_signature() -> None:
    url = presigned()
    assert refusal(url.replace("W1", "W2"), SIGNED_AT) == (403, "SignatureDoesNotMatch")
    assert refusal(url.replace("report", "other"), SIGNED_AT) == (403, "SignatureDoesNotMatch")
    assert refusal(url, SIGNED_AT, method="DELETE") == (403, "SignatureDoesNotMatch")
    other_host = url.replace("herald-media-local.", "elsewhere.", 1)
    assert refusal(other_host, SIGNED_AT) == (403, "SignatureDoesNotMatch")


def test_unknown_keys_and_signature_version_2_are_refused() -> None:
    url = presigned()
    assert refusal(url.replace(ACCESS_KEY, "someone-else"), SIGNED_AT) == (
        403,
        "InvalidAccessKeyId",
    )
    assert refusal(presigned(signature_version="s3"), SIGNED_AT) == (400, "InvalidRequest")
    assert refusal(url.replace("X-Amz-Expires=300", "X-Amz-Expires=604801"), SIGNED_AT) == (
        400,
        "AuthorizationQueryParametersError",
    )


def test_requests_with_an_authorization_header_are_left_to_moto() -> None:
    query = parse_qsl(urlsplit(presigned()).query)
    assert not is_presigned(query, {"authorization": "AWS4-HMAC-SHA256 ..."})
    assert not is_presigned([("versionId", "1")], {})
