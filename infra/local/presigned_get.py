"""S3's checks of a presigned download URL (SigV4 query authentication), which moto leaves out.

moto serves an object to a URL whose signature is wrong or whose time is up; S3 refuses both, so
without this check a test could download through a URL that has expired. `check_presigned_get`
applies what S3 documents:

- https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html (the canonical
  request of a presigned URL, `UNSIGNED-PAYLOAD`, X-Amz-Expires of 1 to 604800 seconds);
- https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (canonical URI
  and query string encoding, the string to sign);
- https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (403 `AccessDenied`
  "Request has expired", 403 `SignatureDoesNotMatch`, 403 `InvalidAccessKeyId`).
"""

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from http import HTTPStatus
from urllib.parse import quote, unquote

from infra.local.post_policy import SIGNING_ALGORITHM, S3Refusal, SecretLookup, signing_key

MAX_EXPIRES_SECONDS = 604800
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


def is_presigned(query: Sequence[tuple[str, str]], headers: Mapping[str, str]) -> bool:
    """A request authenticated by its query string rather than an Authorization header."""
    signatures = ("X-Amz-Signature", "Signature")
    return "authorization" not in headers and any(name in signatures for name, _ in query)


def check_presigned_get(
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    secret_for: SecretLookup,
    now: datetime,
) -> None:
    """Raise S3Refusal (S3's XML error) where S3 would refuse this presigned request.

    `path` and `query` as sent, decoded; `headers` with lower-case names.
    """
    params = dict(query)
    if "X-Amz-Algorithm" not in params and "Signature" in params:
        # Signature Version 2: buckets created after 24 June 2020 refuse it, as Herald's are.
        raise S3Refusal(
            HTTPStatus.BAD_REQUEST,
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. "
            "Please use AWS4-HMAC-SHA256.",
        )
    if params.get("X-Amz-Algorithm") != SIGNING_ALGORITHM:
        raise _query_error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    scope = params.get("X-Amz-Credential", "").split("/")
    if len(scope) != 5 or scope[3:] != ["s3", "aws4_request"]:
        raise _query_error("Error parsing the X-Amz-Credential parameter")
    try:
        signed_at = datetime.strptime(params["X-Amz-Date"], _AMZ_DATE).replace(tzinfo=now.tzinfo)
        expires = int(params["X-Amz-Expires"])
    except (KeyError, ValueError):
        raise _query_error("X-Amz-Date and X-Amz-Expires must be given and valid") from None
    if not 1 <= expires <= MAX_EXPIRES_SECONDS:
        raise _query_error("X-Amz-Expires must be between 1 and 604800 seconds")
    access_key_id, date, region, service, _ = scope
    secret = secret_for(access_key_id)
    if secret is None:
        raise S3Refusal(
            HTTPStatus.FORBIDDEN,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            AWSAccessKeyId=access_key_id,
        )
    signed_headers = params.get("X-Amz-SignedHeaders", "").split(";")
    canonical = "\n".join(
        [
            method,
            quote(unquote(path), safe="/~"),
            "&".join(
                f"{_encode(name)}={_encode(value)}"
                for name, value in sorted(query)
                if name != "X-Amz-Signature"
            ),
            "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers),
            ";".join(signed_headers),
            "UNSIGNED-PAYLOAD",
        ]
    )
    string_to_sign = "\n".join(
        [
            SIGNING_ALGORITHM,
            params["X-Amz-Date"],
            "/".join(scope[1:]),
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = signing_key(secret, date, region, service)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, params["X-Amz-Signature"].lower()):
        raise S3Refusal(
            HTTPStatus.FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            AWSAccessKeyId=access_key_id,
        )
    expired_at = signed_at + timedelta(seconds=expires)
    if now > expired_at:
        raise S3Refusal(
            HTTPStatus.FORBIDDEN,
            "AccessDenied",
            "Request has expired",
            XAmzExpires=expires,
            Expires=expired_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _query_error(message: str) -> S3Refusal:
    return S3Refusal(HTTPStatus.BAD_REQUEST, "AuthorizationQueryParametersError", message)
