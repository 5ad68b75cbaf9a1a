"""The sandbox platform's webhooks: what it sends Herald, and how the request is signed.

The sandbox (a built-in platform for trying Herald without credentials) announces a comment or a
mention on a sandbox account the way real platforms do: a signed POST to Herald's own
`/v1/webhooks/platforms/sandbox`. The publish group, which holds the sandbox's accounts and
posts, sends it; the webhooks group verifies it and hands it to the processor. The signature is
modelled on Meta's `X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body,
keyed with the sandbox webhook secret.
"""

import hashlib
import hmac
import secrets
from functools import cache
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from functions.shared.settings import get_settings

SIGNATURE_HEADER = "X-Sandbox-Signature-256"
SIGNATURE_PREFIX = "sha256="
WEBHOOK_PATH = "/v1/webhooks/platforms/sandbox"
MAX_BODY_BYTES = 64 * 1024


@cache
def _process_secret() -> str:
    return secrets.token_urlsafe(32)


def webhook_secret() -> str:
    """The configured secret; without one, a random key of this process (local mode serves
    both groups in one process; in AWS both functions need the configured one)."""
    return get_settings().sandbox_webhook_secret or _process_secret()


def signature(body: bytes, secret: str | None = None) -> str:
    """The header's value for this raw body."""
    key = (secret or webhook_secret()).encode()
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verified(body: bytes, header: str | None) -> bool:
    """Whether `header` signs `body` with the sandbox's secret (a constant-time comparison)."""
    if not header or len(header) > 128:
        return False
    return hmac.compare_digest(header.encode(), signature(body).encode())


class SandboxAuthor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    handle: str | None = Field(None, max_length=100)


class SandboxItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=512)
    kind: Literal["comment", "reply", "mention"]
    text: str = Field(max_length=10_000)
    author: SandboxAuthor
    created_at: AwareDatetime
    post_id: str | None = Field(None, max_length=200)
    parent_id: str | None = Field(None, max_length=100)
    thread_id: str | None = Field(None, max_length=100)


class SandboxWebhook(BaseModel):
    """One sandbox webhook event: an item on (or mentioning) the sandbox account `account_id`."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=100)
    account_id: str = Field(min_length=1, max_length=200)
    item: SandboxItem
