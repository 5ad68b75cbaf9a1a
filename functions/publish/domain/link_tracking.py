"""Tracked links at publish time: with the workspace's `tracked_links` setting on, each http(s)
link of a target's text (and of its thread parts) goes out as the target's short link to it
(`functions/shared/tracked_links.py`), and preflight counts the short link's length.

The links are created after the target is claimed and before its platform call, keyed by post,
target and destination: a retry, a resumed thread or a reconciliation finds the same codes, so
the text sent is the same on every attempt and reconciliation still recognises it.
"""

from collections.abc import Sequence

from functions.publish.adapters.post_items import PublishingSettingsItem, TargetItem
from functions.publish.domain.post_models import ThreadPart
from functions.shared import tracked_links


def enabled(workspace_id: str) -> bool:
    settings = PublishingSettingsItem.find_key(*PublishingSettingsItem.keys(workspace_id))
    return bool(settings and settings.tracked_links)


def counted_link_length(workspace_id: str) -> int | None:
    """The length preflight counts for each link: the short link's when they are on."""
    return tracked_links.short_url_length() if enabled(workspace_id) else None


def with_tracked_links(item: TargetItem, parts: Sequence[ThreadPart]) -> list[ThreadPart]:
    """The parts with their links replaced by the target's short links, if the workspace has
    tracked links on; as they are otherwise."""
    destinations = [
        part.text[start:end] for part in parts for start, end in tracked_links.links_in(part.text)
    ]
    if not destinations or not enabled(item.workspace_id):
        return list(parts)
    codes = tracked_links.links_of_target(
        item.workspace_id, item.post_id, item.account_id, item.platform, destinations
    )
    short = {destination: tracked_links.short_url(code) for destination, code in codes.items()}
    return [
        part.model_copy(update={"text": tracked_links.replace_links(part.text, short)})
        for part in parts
    ]
