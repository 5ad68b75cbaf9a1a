"""Tracked links: short links (`<api base>/l/<code>`) that stand for the links of a published
target and lead, through the analytics function's redirect, to the destination with UTM
parameters naming Herald, the platform and the post (docs/analytics.md#tracked-links).

The publish group creates them (`links_of_target`) just before a target's platform call; the
analytics group resolves a code (`ShortLinkItem.find`) and reports on a post's links:

    WS#<ws>            TRACKEDLINK#<post>#<account>#<digest>  a target's link to one destination
    WS#<ws>            ATTRIBUTION#<post>                     the post's attributed site events
    LINKCODE#<code>    LINKCODE                               finds a link by its code (redirect)

A link is keyed by its post, target and destination, so editing or retrying a post finds the
link it already has and reuses its code. A code is claimed with a conditional put in the same
transaction as the link, so two links can never share one; a taken code is drawn again. Deleting
the workspace deletes the code lookups with the partition (the auth group's purge reads
`link_code` from each link).
"""

import hashlib
import re
import secrets
from collections.abc import Iterable
from typing import Any, Self
from urllib.parse import urlsplit

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import TransactWriteError

from functions.shared.identity_items import FindableItem
from functions.shared.inputs import LINE_BREAKING_RUNS
from functions.shared.settings import get_settings
from functions.shared.tables import key, transaction

# 8 characters of base64url: 2^48 codes, so a drawn code is almost never taken; when it is, the
# conditional put refuses it and another is drawn.
CODE_BYTES = 6
CODE_PATTERN = r"^[A-Za-z0-9_-]{8}$"
CODE_ATTEMPTS = 5
MAX_DESTINATION_LENGTH = 2048
SHORT_PATH = "/l/"
# A link in a post's text: http(s) up to the next space, without the punctuation that usually
# closes the sentence around it (`see https://shop.example/menu.`).
_LINK = re.compile(r"https?://\S+", re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}>"


class NotTrackable(ValueError):
    """A destination a short link may not lead to (not an absolute http(s) URL, or too long)."""


def links_in(text: str) -> list[tuple[int, int]]:
    """Where each http(s) link of `text` starts and ends, in order."""
    spans = []
    for match in _LINK.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _TRAILING:
            end -= 1
        if trackable(text[match.start() : end]):
            spans.append((match.start(), end))
    return spans


def trackable(destination: str) -> bool:
    if len(destination) > MAX_DESTINATION_LENGTH or LINE_BREAKING_RUNS.search(destination):
        return False
    try:
        parts = urlsplit(destination)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def replace_links(text: str, replacement: dict[str, str]) -> str:
    """`text` with each link found by `links_in` replaced by `replacement[link]`."""
    pieces, last = [], 0
    for start, end in links_in(text):
        pieces += [text[last:start], replacement[text[start:end]]]
        last = end
    return "".join([*pieces, text[last:]])


def short_url(code: str) -> str:
    return f"{get_settings().api_base_url.rstrip('/')}{SHORT_PATH}{code}"


def short_url_length() -> int:
    """The length of every short link, which is what preflight counts for a link."""
    return len(short_url("x" * 8))


def _digest(destination: str) -> str:
    return hashlib.sha256(destination.encode()).hexdigest()[:32]


class TrackedLinkItem(FindableItem):
    """A target's link to one destination; `clicks` counts its redirects."""

    workspace_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    destination = UnicodeAttribute()
    link_code = UnicodeAttribute()
    clicks = NumberAttribute(default=0)

    @staticmethod
    def keys(workspace_id: str, post_id: str, account_id: str, destination: str) -> tuple[str, str]:
        return key("WS", workspace_id), key(
            "TRACKEDLINK", post_id, account_id, _digest(destination)
        )

    @classmethod
    def of_post(cls, workspace_id: str, post_id: str, account_id: str | None = None) -> list[Self]:
        """A post's links (one target's with `account_id`): one query of its key prefix."""
        prefix = key("TRACKEDLINK", post_id, *((account_id,) if account_id else ())) + "#"
        return list(
            cls.query(key("WS", workspace_id), cls.sk.startswith(prefix), consistent_read=True)
        )


class ShortLinkItem(FindableItem):
    """Finds a link by its code, for the redirect."""

    workspace_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    destination = UnicodeAttribute()

    @staticmethod
    def keys(code: str) -> tuple[str, str]:
        return key("LINKCODE", code), "LINKCODE"

    @classmethod
    def find(cls, code: str) -> Self | None:
        return cls.find_key(*cls.keys(code))

    @property
    def code(self) -> str:
        return self.pk.split("#", 1)[1]


class PostAttributionItem(FindableItem):
    """Site events attributed to a post, per platform; `platforms` are those it has links on, the
    only ones an event may name (docs/analytics.md#attribution)."""

    platforms = UnicodeSetAttribute(null=True)

    @staticmethod
    def keys(workspace_id: str, post_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("ATTRIBUTION", post_id)


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def links_of_target(
    workspace_id: str, post_id: str, account_id: str, platform: str, destinations: Iterable[str]
) -> dict[str, str]:
    """The code of each destination's link for this target: the one it has, or a new one."""
    wanted = list(dict.fromkeys(destinations))
    for destination in wanted:
        if not trackable(destination):
            raise NotTrackable(f"Only http(s) URLs of at most {MAX_DESTINATION_LENGTH} characters.")
    existing = {
        link.destination: link.link_code
        for link in TrackedLinkItem.of_post(workspace_id, post_id, account_id)
    }
    for destination in wanted:
        if destination not in existing:
            existing[destination] = _create(
                workspace_id, post_id, account_id, platform, destination
            )
    return {destination: existing[destination] for destination in wanted}


def _create(
    workspace_id: str, post_id: str, account_id: str, platform: str, destination: str
) -> str:
    link_keys = TrackedLinkItem.keys(workspace_id, post_id, account_id, destination)
    for _ in range(CODE_ATTEMPTS):
        code = new_code()
        fields: dict[str, Any] = {
            "workspace_id": workspace_id,
            "post_id": post_id,
            "account_id": account_id,
            "platform": platform,
            "destination": destination,
        }
        link = TrackedLinkItem(*link_keys, link_code=code, **fields)
        lookup = ShortLinkItem(*ShortLinkItem.keys(code), **fields)
        attribution = PostAttributionItem(*PostAttributionItem.keys(workspace_id, post_id))
        try:
            with transaction() as write:
                write.save(link, condition=TrackedLinkItem.pk.does_not_exist())
                write.save(lookup, condition=ShortLinkItem.pk.does_not_exist())
                write.update(
                    attribution,
                    actions=[PostAttributionItem.platforms.add({platform})],
                    add_version_condition=False,
                )
        except TransactWriteError as error:
            refused = _refused(error)
            if 0 in refused:
                # Another attempt at this target created the link meanwhile: its code stands.
                found = TrackedLinkItem.find_key(*link_keys)
                assert found is not None
                return found.link_code
            if 1 in refused:
                continue
            raise
        return code
    raise RuntimeError("no free short-link code after several draws")


def _refused(error: TransactWriteError) -> set[int]:
    """The positions of the transaction's writes refused by their condition."""
    return {
        index
        for index, reason in enumerate(error.cancellation_reasons or ())
        if reason is not None and reason.code == "ConditionalCheckFailed"
    }
