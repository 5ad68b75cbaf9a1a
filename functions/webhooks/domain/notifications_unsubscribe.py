"""One-click unsubscribe links (RFC 8058): a token naming who stops receiving what, signed.

A token is `<payload>.<signature>`, both base64url: the payload is the JSON of the user, the
workspace, the event type (`*` for every type: the digest carries many) and the channel; the
signature is HMAC-SHA256 of the payload text with the unsubscribe key. Anything changed in it,
or a token signed with another key, is refused.
"""

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from functions.shared.problems import BadRequest
from functions.shared.settings import get_settings
from functions.webhooks.adapters.unsubscribe_secret import signing_key
from functions.webhooks.domain.notifications_rules import NOTIFIED_EVENT_TYPES, Channel

EVERY_EVENT_TYPE = "*"
UNSUBSCRIBE_PATH = "/v1/notifications/unsubscribe"


@dataclass(frozen=True, slots=True)
class Unsubscription:
    user_id: str
    workspace_id: str
    event_type: str  # one of NOTIFIED_EVENT_TYPES, or EVERY_EVENT_TYPE
    channel: Channel


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str) -> str:
    return _encode(hmac.new(signing_key(), payload.encode(), hashlib.sha256).digest())


def token_for(unsubscription: Unsubscription) -> str:
    payload = _encode(
        json.dumps(
            [
                unsubscription.user_id,
                unsubscription.workspace_id,
                unsubscription.event_type,
                str(unsubscription.channel),
            ],
            separators=(",", ":"),
        ).encode()
    )
    return f"{payload}.{_signature(payload)}"


def link_for(unsubscription: Unsubscription) -> str:
    base = get_settings().api_base_url.rstrip("/")
    return f"{base}{UNSUBSCRIBE_PATH}?{urlencode({'token': token_for(unsubscription)})}"


def headers_for(unsubscription: Unsubscription) -> tuple[tuple[str, str], ...]:
    """RFC 8058 section 3.1: the https URI in List-Unsubscribe, and List-Unsubscribe-Post."""
    return (
        ("List-Unsubscribe", f"<{link_for(unsubscription)}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )


def verify(token: str) -> Unsubscription:
    invalid = BadRequest("This unsubscribe link is not valid.")
    payload, dot, signature = token.partition(".")
    if not dot or not hmac.compare_digest(signature.encode(), _signature(payload).encode()):
        raise invalid
    try:
        fields = json.loads(_decode(payload))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    if not (
        isinstance(fields, list) and len(fields) == 4 and all(isinstance(f, str) for f in fields)
    ):
        raise invalid
    user_id, workspace_id, event_type, channel = fields
    if event_type not in (*NOTIFIED_EVENT_TYPES, EVERY_EVENT_TYPE) or channel not in set(Channel):
        raise invalid
    return Unsubscription(user_id, workspace_id, event_type, Channel(channel))
