"""What Facebook Pages, Instagram and Threads share: Meta's webhook envelope and its app
callbacks (deauthorize, data deletion), which arrive as `signed_request`s.

A Meta body batches changes: `{"object": ..., "entry": [{"id", "time", "changes": [...]}]}`.
`split` makes one delivery per change, each a body of the same shape with that one change, so a
parser reads a split delivery and a whole documented example alike.
"""

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from functions.shared.engagement import Engagement, PlatformNotice
from functions.shared.inbound import InboundDelivery, payload_digest
from functions.shared.platform_links import META_USER
from functions.webhooks.domain.platform_hooks.fields import identifier, items, mapping

# The `callback` of a delivery made from a signed_request, and the notice it becomes.
CALLBACK_NOTICES = {
    "deauthorize": "authorization_removed",
    "data_deletion": "data_deletion_requested",
}

Change = tuple[Mapping[str, Any], Mapping[str, Any]]  # (entry, change)


def changes(body: Mapping[str, Any]) -> Iterator[Change]:
    """Each (entry, change) of a Meta body. Instagram's examples also show an entry carrying its
    `field` and `value` itself, without a `changes` list; that reads as one change."""
    for entry in items(body, "entry"):
        if not isinstance(entry, Mapping):
            continue
        if "changes" in entry:
            for change in items(entry, "changes"):
                if isinstance(change, Mapping):
                    yield entry, change
        elif "field" in entry:
            yield entry, entry


def split(
    platform: str, body: Mapping[str, Any], event_id: Callable[[Change], str | None]
) -> list[InboundDelivery]:
    deliveries = []
    for entry, change in changes(body):
        single = {
            "object": body.get("object"),
            "entry": [
                {
                    "id": entry.get("id"),
                    "time": entry.get("time"),
                    "changes": [{"field": change.get("field"), "value": change.get("value")}],
                }
            ],
        }
        deliveries.append(
            InboundDelivery(platform, event_id((entry, change)) or payload_digest(single), single)
        )
    return deliveries


def callback_delivery(
    platform: str, callback: str, signed: Mapping[str, Any], confirmation_code: str | None = None
) -> InboundDelivery:
    """A verified deauthorize or data deletion request, as a delivery for the processor."""
    user_id = identifier(signed, "user_id") or ""
    payload: dict[str, Any] = {"callback": callback, "user_id": user_id}
    if confirmation_code:
        payload["confirmation_code"] = confirmation_code
    issued_at = identifier(signed, "issued_at") or ""
    return InboundDelivery(platform, f"{callback}:{user_id}:{issued_at}", payload)


def callback_notices(
    platform: str, payload: Mapping[str, Any]
) -> list[Engagement | PlatformNotice]:
    """The notice of a deauthorize or data deletion delivery. Its `platform_account_id` is the
    app-scoped id of the Meta user who removed the app: for Threads, the Threads profile Herald
    connected; for the Facebook Login app, the person, by whom the Pages and Instagram accounts
    they connected are linked (`META_USER`). A data deletion's `detail` is its confirmation
    code, by which the deletion is followed."""
    kind = CALLBACK_NOTICES.get(str(payload.get("callback")))
    user_id = identifier(payload, "user_id")
    if kind is None or not user_id:
        return []
    return [
        PlatformNotice(
            platform=platform if platform == "threads" else META_USER,
            platform_account_id=user_id,
            kind=kind,  # type: ignore[arg-type]  # the values of CALLBACK_NOTICES are NoticeKinds
            detail=identifier(payload, "confirmation_code"),
        )
    ]


def value_of(change: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(change, "value")


ChangeReader = Callable[[str, Mapping[str, Any]], Engagement | None]


def read_changes(
    body: Mapping[str, Any], readers: Mapping[str, ChangeReader]
) -> list[Engagement | PlatformNotice]:
    """What each change of `body` is, read by the reader of its field with the entry's account
    id and the change's value; fields without a reader are left out."""
    found: list[Engagement | PlatformNotice] = []
    for entry, change in changes(body):
        account_id = identifier(entry, "id")
        reader = readers.get(str(change.get("field")))
        engagement = reader(account_id, value_of(change)) if reader and account_id else None
        if engagement is not None:
            found.append(engagement)
    return found
