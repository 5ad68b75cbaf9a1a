"""Tracking keys: who may send events (docs/analytics.md#keys).

A write key (`hwk_...`) is publishable: it sits in a web page, works only from the origins it
lists and only for `POST /v1/analytics/events`, and reads nothing. A server key (`hsk_...`) is a
secret for the customer's servers, sent as a bearer token, and likewise only sends events.
Either is stored as the digest of its secret (`functions.shared.auth.digest`), as API keys are,
and shown once.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from ulid import ULID

from functions.analytics.adapters.items import TrackingKeyItem
from functions.analytics.domain.models import TrackingKey, TrackingKeyCreate, TrackingKeyCreated
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.auth import digest
from functions.shared.identity_items import WorkspaceItem
from functions.shared.pagination import PageRequest
from functions.shared.problems import (
    Conflict,
    Forbidden,
    InvalidToken,
    NotFound,
    TooManyRequests,
)
from functions.shared.rate_limits import count_in_window
from functions.shared.settings import get_settings
from functions.shared.tables import key, query_page, transaction, utc_now
from functions.shared.tracking_keys import TrackingKeyLookupItem

WRITE_KEY_PREFIX = "hwk_"
SERVER_KEY_PREFIX = "hsk_"
PREFIXES = {"write": WRITE_KEY_PREFIX, "server": SERVER_KEY_PREFIX}
MAX_KEYS_PER_WORKSPACE = 20
_HINT_LENGTH = len(WRITE_KEY_PREFIX) + 6


@dataclass(frozen=True, slots=True)
class Sender:
    """A request allowed to send events into `workspace_id`, with the key it used."""

    workspace_id: str
    key_id: str
    kind: str


def key_view(item: TrackingKeyItem) -> TrackingKey:
    return TrackingKey(
        id=item.key_id,
        name=item.name,
        kind="write" if item.kind == "write" else "server",
        allowed_origins=list(item.allowed_origins),
        hint=item.hint,
        created_by=item.created_by,
        created_at=item.created_at,
    )


def create_key(access: WorkspaceAccess, body: TrackingKeyCreate) -> TrackingKeyCreated:
    if TrackingKeyItem.count_of_workspace(access.workspace_id) >= MAX_KEYS_PER_WORKSPACE:
        raise Conflict(
            f"A workspace has at most {MAX_KEYS_PER_WORKSPACE} tracking keys; revoke one first."
        )
    secret = PREFIXES[body.kind] + secrets.token_urlsafe(32)
    key_id = str(ULID())
    origins = list(dict.fromkeys(body.allowed_origins))
    item = TrackingKeyItem(
        *TrackingKeyItem.keys(access.workspace_id, key_id),
        key_id=key_id,
        workspace_id=access.workspace_id,
        name=body.name,
        kind=body.kind,
        allowed_origins=origins,
        hint=secret[:_HINT_LENGTH],
        secret_digest=digest(secret),
        created_by=access.actor,
    )
    with transaction() as write:
        write.save(item, condition=TrackingKeyItem.pk.does_not_exist())
        write.save(
            TrackingKeyLookupItem(
                *TrackingKeyLookupItem.keys(digest(secret)),
                key_id=key_id,
                workspace_id=access.workspace_id,
                kind=body.kind,
                allowed_origins=origins,
            ),
            condition=TrackingKeyLookupItem.pk.does_not_exist(),
        )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="tracking_key.created",
                target=f"tracking_key:{key_id}",
                details={"name": body.name, "kind": body.kind},
            )
        )
    return TrackingKeyCreated(**key_view(item).model_dump(), key=secret)


def list_keys(access: WorkspaceAccess, page: PageRequest) -> tuple[list[TrackingKey], str | None]:
    items, cursor = query_page(TrackingKeyItem, key("WS", access.workspace_id), "TRACKKEY#", page)
    return [key_view(item) for item in items], cursor


def revoke_key(access: WorkspaceAccess, key_id: str) -> None:
    item = TrackingKeyItem.find(access.workspace_id, key_id)
    if item is None:
        raise NotFound(f"Tracking key {key_id} was not found.")
    with transaction() as write:
        write.delete(item)
        write.delete(
            TrackingKeyLookupItem(*TrackingKeyLookupItem.keys(item.secret_digest)),
            add_version_condition=False,  # a fresh instance: it carries no version to check
        )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="tracking_key.revoked",
                target=f"tracking_key:{key_id}",
                details={"name": item.name},
            )
        )


def _charge(sender: Sender) -> None:
    """Each key's own budget of batches per window: tracking traffic spends nothing of the
    workspace's request budgets, which its people need for the dashboard."""
    settings = get_settings()
    window = timedelta(seconds=settings.rate_limit_window_seconds)
    hits, window_end = count_in_window(
        key("WS", sender.workspace_id), ("RATE", "TRACKKEY", sender.key_id), window
    )
    quota = settings.analytics_write_key_requests
    if hits > quota:
        wait = max(1, int((window_end - utc_now()).total_seconds() + 0.999))
        raise TooManyRequests(
            f"This tracking key may send {quota} batches per {int(window.total_seconds())} "
            f"seconds and has sent them; try again in {wait} seconds.",
            retry_after_seconds=wait,
        )


def sender_for(write_key: str | None, bearer: str | None, origin: str | None) -> Sender:
    """Who sends a batch: a write key from an allowed origin, or a server key; 401/403 else."""
    if write_key is not None:
        secret, kind = write_key, "write"
    elif bearer is not None and bearer.startswith(SERVER_KEY_PREFIX):
        secret, kind = bearer, "server"
    else:
        raise InvalidToken(
            "Send a write key in X-Herald-Write-Key, or a server key as the bearer token."
        )
    lookup = TrackingKeyLookupItem.find(digest(secret))
    if lookup is None or lookup.kind != kind or WorkspaceItem.find(lookup.workspace_id) is None:
        raise InvalidToken("The tracking key is not valid; it may have been revoked.")
    if kind == "write" and (origin is None or origin.lower() not in lookup.allowed_origins):
        raise Forbidden("This write key may not be used from this origin (see allowed_origins).")
    sender = Sender(workspace_id=lookup.workspace_id, key_id=lookup.key_id, kind=kind)
    _charge(sender)
    return sender
