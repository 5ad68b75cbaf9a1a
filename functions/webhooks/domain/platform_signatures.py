"""How each platform signs its webhooks, checked on the raw body before anything parses it.

Every check computes the expected value from Herald's copy of the secret and compares it with
`hmac.compare_digest`, so the time a comparison takes says nothing about how much of a forged
signature was right. A failed check raises `WebhookRefused` (403 problem details): the request
is processed not at all, and the route counts it (docs/inbox.md).

    Meta (Facebook, Instagram, Threads)  X-Hub-Signature-256  sha256=<hex HMAC-SHA256 of the body>
    X                                    x-twitter-webhooks-signature  sha256=<base64 HMAC-SHA256>
    TikTok                               TikTok-Signature  t=<unix time>,s=<hex HMAC of "<t>.body">
    YouTube (WebSub)                     X-Hub-Signature  sha1=<hex HMAC-SHA1 of the body>
    LinkedIn                             X-LI-Signature  hmacsha256=<hex HMAC-SHA256 of the body>

keyed with, in order: the Meta (or Threads) app secret, X's consumer secret, TikTok's client
secret, the subscription's `hub.secret`, LinkedIn's client secret.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from functions.shared.problems import Forbidden

# TikTok's advice: refuse a signed timestamp older than a few minutes, so a captured request
# cannot be replayed later (https://developers.tiktok.com/doc/webhooks-verification).
TIKTOK_TOLERANCE = timedelta(minutes=5)
MAX_HEADER_LENGTH = 512  # every signature header above is far shorter


class WebhookRefused(Forbidden):
    """A platform webhook request that failed verification; `reason` names the check (the
    refusal metric's dimension), never a secret or a computed signature."""

    type: ClassVar[str] = "urn:herald:problem:platform-webhook-refused"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def hmac_digest(
    secret: str, message: bytes, algorithm: Callable[..., Any] = hashlib.sha256
) -> bytes:
    return hmac.new(secret.encode(), message, algorithm).digest()


def _header(value: str | None, name: str) -> str:
    if not value:
        raise WebhookRefused("missing_signature", f"The request has no {name} header.")
    if len(value) > MAX_HEADER_LENGTH:
        raise WebhookRefused("malformed_signature", f"The {name} header is too long.")
    return value


def _require(secret: str | None, what: str) -> str:
    if not secret:
        # Nothing can be verified without the secret: refusing is the only safe answer.
        raise WebhookRefused("not_configured", f"{what} is not configured here.")
    return secret


def _matches(presented: str, expected: str, name: str) -> None:
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise WebhookRefused("bad_signature", f"The {name} signature does not match the body.")


def verify_meta(body: bytes, header: str | None, app_secret: str | None) -> None:
    """https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads"""
    presented = _header(header, "X-Hub-Signature-256")
    secret = _require(app_secret, "The Meta app secret")
    _matches(presented, "sha256=" + hmac_digest(secret, body).hex(), "X-Hub-Signature-256")


def verify_x(body: bytes, header: str | None, consumer_secret: str | None) -> None:
    """https://docs.x.com/x-api/webhooks/quickstart (the signature header)"""
    presented = _header(header, "x-twitter-webhooks-signature")
    secret = _require(consumer_secret, "The X consumer secret")
    expected = "sha256=" + base64.b64encode(hmac_digest(secret, body)).decode()
    _matches(presented, expected, "x-twitter-webhooks-signature")


def x_crc_response(crc_token: str, consumer_secret: str | None) -> str:
    """The `response_token` answering X's challenge-response check."""
    secret = _require(consumer_secret, "The X consumer secret")
    return "sha256=" + base64.b64encode(hmac_digest(secret, crc_token.encode())).decode()


def verify_tiktok(
    body: bytes, header: str | None, client_secret: str | None, now: datetime
) -> None:
    """https://developers.tiktok.com/doc/webhooks-verification"""
    presented = _header(header, "TikTok-Signature")
    secret = _require(client_secret, "The TikTok client secret")
    parts: dict[str, str] = {}
    for element in presented.split(","):
        prefix, _, value = element.strip().partition("=")
        parts[prefix] = value
    timestamp, signature = parts.get("t", ""), parts.get("s", "")
    if not timestamp.isdigit() or not signature:
        raise WebhookRefused("malformed_signature", "The TikTok-Signature header is malformed.")
    _matches(
        signature,
        hmac_digest(secret, timestamp.encode() + b"." + body).hex(),
        "TikTok-Signature",
    )
    # Checked after the signature, so the timestamp is TikTok's own and not the sender's.
    age = now.timestamp() - int(timestamp)
    if abs(age) > TIKTOK_TOLERANCE.total_seconds():
        raise WebhookRefused("stale_timestamp", "The TikTok-Signature timestamp is too old.")


def verify_websub(body: bytes, header: str | None, subscription_secret: str) -> None:
    """https://www.w3.org/TR/websub/#authenticated-content-distribution: the hub signs with the
    `hub.secret` of the subscription; Google's hub uses sha1."""
    presented = _header(header, "X-Hub-Signature")
    method, _, signature = presented.partition("=")
    algorithms: dict[str, Callable[..., Any]] = {
        "sha1": hashlib.sha1,
        "sha256": hashlib.sha256,
        "sha384": hashlib.sha384,
        "sha512": hashlib.sha512,
    }
    algorithm = algorithms.get(method)
    if algorithm is None or not signature:
        raise WebhookRefused("malformed_signature", "The X-Hub-Signature header is malformed.")
    _matches(signature, hmac_digest(subscription_secret, body, algorithm).hex(), "X-Hub-Signature")


def verify_linkedin(body: bytes, header: str | None, client_secret: str | None) -> None:
    """https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation"""
    presented = _header(header, "X-LI-Signature")
    secret = _require(client_secret, "The LinkedIn client secret")
    _matches(presented, "hmacsha256=" + hmac_digest(secret, body).hex(), "X-LI-Signature")


def linkedin_challenge_response(challenge_code: str, client_secret: str | None) -> str:
    secret = _require(client_secret, "The LinkedIn client secret")
    return hmac_digest(secret, challenge_code.encode()).hex()


def meta_verify_token_matches(presented: str, verify_token: str | None) -> None:
    """Meta's subscription handshake: the token typed into the App Dashboard comes back."""
    expected = _require(verify_token, "The Meta webhook verify token")
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise WebhookRefused("bad_verify_token", "The hub.verify_token does not match.")


def _base64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def meta_signed_request(signed_request: str, app_secret: str | None) -> dict[str, Any]:
    """The payload of Meta's `signed_request` (deauthorize and data deletion callbacks):
    `<base64url signature>.<base64url JSON>`, the signature an HMAC-SHA256 of the encoded payload
    (https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback)."""
    secret = _require(app_secret, "The Meta app secret")
    encoded_signature, _, encoded_payload = signed_request.partition(".")
    try:
        signature = _base64url(encoded_signature)
    except (binascii.Error, ValueError):
        raise WebhookRefused("malformed_signature", "The signed_request is malformed.") from None
    if not hmac.compare_digest(signature, hmac_digest(secret, encoded_payload.encode())):
        raise WebhookRefused("bad_signature", "The signed_request signature does not match.")
    try:
        payload = json.loads(_base64url(encoded_payload))
    except (binascii.Error, ValueError, RecursionError):
        raise WebhookRefused("malformed_signature", "The signed_request is malformed.") from None
    if not isinstance(payload, dict) or payload.get("algorithm") != "HMAC-SHA256":
        raise WebhookRefused("malformed_signature", "The signed_request is not HMAC-SHA256.")
    return payload
