"""S3's checks of a browser form upload (presigned POST), which moto leaves out.

moto stores whatever a form posts: a file bigger than the policy allows, another Content-Type,
another key, an expired or tampered policy. S3 refuses each, so without these checks the local
stack and the tests that post to it would pass uploads AWS refuses. `check_form_upload` applies
what S3 documents for a SigV4 POST:

- https://docs.aws.amazon.com/AmazonS3/latest/API/specify-signature-version.html (buckets
  created after 24 June 2020 refuse Signature Version 2);
- https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html (the
  signature over the base64 policy, with the key derived from the credential's scope);
- https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html (expiry,
  exact and starts-with matching, content-length-range, which fields take which matching, and
  that every form field but x-amz-signature, file, policy and x-ignore-* needs a condition);
- https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (the XML error body, and
  403 for AccessDenied, InvalidAccessKeyId and SignatureDoesNotMatch, 400 for the others).

The messages are S3's own wording as clients see it ("Invalid according to Policy: ...").
"""

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from xml.sax.saxutils import escape

SIGNING_ALGORITHM = "AWS4-HMAC-SHA256"
# Form fields S3 never asks a condition for.
UNCONDITIONED_FIELDS = frozenset({"x-amz-signature", "file", "policy"})
UNCONDITIONED_PREFIX = "x-ignore-"
# Fields S3 matches with starts-with as well as exactly; every other field only exactly.
STARTS_WITH_FIELDS = frozenset(
    {
        "acl",
        "key",
        "cache-control",
        "content-type",
        "content-disposition",
        "content-encoding",
        "expires",
        "success_action_redirect",
        "redirect",
    }
)
STARTS_WITH_PREFIX = "x-amz-meta-"

SecretLookup = Callable[[str], str | None]
"""The secret access key of an access key id, or None when the id is unknown."""


@dataclass(frozen=True, slots=True)
class FormUpload:
    """A form POST to a bucket: its fields in the order sent (the file excluded) and the file."""

    bucket: str
    fields: Sequence[tuple[str, str]]
    file_size: int


class S3Refusal(Exception):
    """S3's answer to a request it refuses (a form upload, a presigned URL): status, error
    code, message and extra elements."""

    def __init__(self, status: HTTPStatus, code: str, message: str, **details: str | int) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def xml(self) -> bytes:
        """The error document S3 sends, with a fresh request id as each S3 response has."""
        elements = {"Code": self.code, "Message": self.message, **self.details}
        elements["RequestId"] = uuid.uuid4().hex[:16].upper()
        body = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in elements.items())
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{body}</Error>'.encode()


def check_form_upload(upload: FormUpload, secret_for: SecretLookup, now: datetime) -> None:
    """Raise S3Refusal where S3 would refuse this upload; return when S3 would store it."""
    fields = {name.lower(): value for name, value in upload.fields}
    if "key" not in fields:
        raise _missing_field("key")
    if "policy" not in fields:
        # S3 takes a form without a policy only into a publicly writable bucket; none is here.
        raise S3Refusal(HTTPStatus.FORBIDDEN, "AccessDenied", "Access Denied")
    if "x-amz-algorithm" not in fields and "awsaccesskeyid" in fields:
        # Signature Version 2: buckets created after 24 June 2020 refuse it, and every Herald
        # bucket is newer than that.
        raise S3Refusal(
            HTTPStatus.BAD_REQUEST,
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. "
            "Please use AWS4-HMAC-SHA256.",
        )
    for name in ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"):
        if name not in fields:
            raise _missing_field("-".join(part.capitalize() for part in name.split("-")))
    _check_signature(fields, secret_for)
    policy = _decode_policy(fields["policy"])
    if now >= _expiration(policy):
        raise _policy_failed("Policy expired.")
    conditions = policy["conditions"]
    for condition in conditions:
        _check_condition(condition, upload, fields)
    _check_every_field_has_a_condition(upload.fields, conditions)


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The SigV4 key of a credential's scope (YYYYMMDD/region/service/aws4_request)."""
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _check_signature(fields: dict[str, str], secret_for: SecretLookup) -> None:
    if fields["x-amz-algorithm"] != SIGNING_ALGORITHM:
        raise S3Refusal(
            HTTPStatus.BAD_REQUEST,
            "InvalidArgument",
            f"Unsupported algorithm: {fields['x-amz-algorithm']}",
            ArgumentName="x-amz-algorithm",
            ArgumentValue=fields["x-amz-algorithm"],
        )
    scope = fields["x-amz-credential"].split("/")
    if len(scope) != 5 or scope[3:] != ["s3", "aws4_request"]:
        raise S3Refusal(
            HTTPStatus.BAD_REQUEST,
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        )
    access_key_id, date, region, service, _ = scope
    secret = secret_for(access_key_id)
    if secret is None:
        raise S3Refusal(
            HTTPStatus.FORBIDDEN,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            AWSAccessKeyId=access_key_id,
        )
    key = signing_key(secret, date, region, service)
    expected = hmac.new(key, fields["policy"].encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["x-amz-signature"].lower()):
        raise S3Refusal(
            HTTPStatus.FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            AWSAccessKeyId=access_key_id,
            StringToSign=fields["policy"],
            SignatureProvided=fields["x-amz-signature"],
        )


def _decode_policy(encoded: str) -> dict[str, Any]:
    try:
        policy = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid_policy("Invalid JSON.") from None
    if not isinstance(policy, dict):
        raise _invalid_policy("Invalid JSON.")
    if "expiration" not in policy:
        raise _invalid_policy("Policy missing expiration.")
    if not isinstance(policy.get("conditions"), list):
        raise _invalid_policy("Policy missing conditions.")
    return policy


def _expiration(policy: dict[str, Any]) -> datetime:
    value = policy["expiration"]
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(str(value), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise _invalid_policy(f"Invalid 'expiration' value: '{value}'")


def _check_condition(condition: Any, upload: FormUpload, fields: dict[str, str]) -> None:
    if isinstance(condition, dict):
        if len(condition) != 1:
            raise _invalid_policy(
                "Invalid Simple-Condition: Simple-Conditions must have exactly one property "
                "specified."
            )
        ((name, expected),) = condition.items()
        # S3 reports a simple condition in its long form: {"key": "a"} as ["eq", "$key", "a"].
        condition = ["eq", f"${name}", expected]
        operator, field = "eq", str(name).lower()
    elif isinstance(condition, list) and condition and condition[0] == "content-length-range":
        _check_length(condition, upload.file_size)
        return
    elif (
        isinstance(condition, list)
        and len(condition) == 3
        and condition[0] in ("eq", "starts-with")
        and isinstance(condition[1], str)
        and condition[1].startswith("$")
    ):
        operator, field, expected = condition[0], condition[1][1:].lower(), condition[2]
    else:
        raise _invalid_policy(f"Invalid Condition: {json.dumps(condition)}")
    if not isinstance(expected, str):
        raise _invalid_policy(f"Invalid Condition: {json.dumps(condition)}")
    if operator == "starts-with" and not _takes_starts_with(field):
        raise _invalid_policy(
            f"Invalid Condition: the '{field}' field does not support 'starts-with' matching."
        )
    actual = upload.bucket if field == "bucket" else fields.get(field)
    if not _matches(operator, field, actual, expected):
        raise _policy_failed(f"Policy Condition failed: {json.dumps(condition)}")


def _takes_starts_with(field: str) -> bool:
    return field in STARTS_WITH_FIELDS or field.startswith(STARTS_WITH_PREFIX)


def _matches(operator: str, field: str, actual: str | None, expected: str) -> bool:
    if operator == "eq":
        return actual == expected
    if expected == "":
        # S3's "matching any content": the field may hold anything.
        return True
    if actual is None:
        return False
    if field == "content-type":
        # A comma-separated Content-Type matches when each of its types starts with the prefix.
        return all(part.strip().startswith(expected) for part in actual.split(","))
    return actual.startswith(expected)


def _check_length(condition: list[Any], size: int) -> None:
    bounds = condition[1:]
    if len(bounds) != 2 or not all(isinstance(bound, int) and bound >= 0 for bound in bounds):
        raise _invalid_policy(f"Invalid content-length-range: {json.dumps(condition)}")
    minimum, maximum = bounds
    if size < minimum:
        raise S3Refusal(
            HTTPStatus.BAD_REQUEST,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size",
            ProposedSize=size,
            MinSizeAllowed=minimum,
        )
    if size > maximum:
        raise S3Refusal(
            HTTPStatus.BAD_REQUEST,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            ProposedSize=size,
            MaxSizeAllowed=maximum,
        )


def _check_every_field_has_a_condition(
    fields: Sequence[tuple[str, str]], conditions: list[Any]
) -> None:
    covered: set[str] = set()
    for condition in conditions:
        if isinstance(condition, dict):
            covered.update(str(name).lower() for name in condition)
        elif condition[0] != "content-length-range":
            covered.add(condition[1][1:].lower())
    extra = [
        name
        for name, _ in fields
        if name.lower() not in covered
        and name.lower() not in UNCONDITIONED_FIELDS
        and not name.lower().startswith(UNCONDITIONED_PREFIX)
    ]
    if extra:
        raise _policy_failed(f"Extra input fields: {', '.join(extra)}")


def _missing_field(name: str) -> S3Refusal:
    return S3Refusal(
        HTTPStatus.BAD_REQUEST,
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the "
        "order of the fields.",
        ArgumentName=name,
        ArgumentValue="",
    )


def _invalid_policy(reason: str) -> S3Refusal:
    return S3Refusal(HTTPStatus.BAD_REQUEST, "InvalidPolicyDocument", f"Invalid Policy: {reason}")


def _policy_failed(reason: str) -> S3Refusal:
    return S3Refusal(HTTPStatus.FORBIDDEN, "AccessDenied", f"Invalid according to Policy: {reason}")
