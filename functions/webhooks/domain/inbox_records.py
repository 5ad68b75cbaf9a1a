"""Recording a comment, reply or mention in a workspace's inbox, once (docs/inbox.md).

The inbox item, its uniqueness guard (`INBOXKEY#<platform>#<platform item id>`) and its
`comment.received` or `mention.received` event are one transaction: the first arrival of a
platform item writes all three, any later one (a platform's retry, the same comment from a
webhook and a poll, two deliveries racing) loses the guard's condition and writes nothing.

What a platform sends is bounded here, whatever the parser let through: the text is cut at
`MAX_TEXT` characters, names and handles at `MAX_NAME`, and a link or secondary id too long to
be real is left out; an item whose own id is too long is refused (`UnusableEngagement`).
"""

from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from functions.shared.engagement import Engagement
from functions.shared.event_catalogue import EngagementAuthorData, EngagementReceivedData
from functions.shared.events import DomainEvent, write_event
from functions.shared.tables import condition_failed, transaction, utc_now
from functions.webhooks.adapters.inbox_items import InboxItem, InboxKeyItem

MAX_TEXT = 10_000  # YouTube's comment limit, the longest of the platforms' comments
MAX_NAME = 200
MAX_URL = 2048
MAX_PLATFORM_ID = 512


class UnusableEngagement(ValueError):
    """The platform's item cannot be recorded as it is (its id is unusable)."""


@dataclass(frozen=True, slots=True)
class InboxPlace:
    """Where an engagement lands: the workspace's account, and the target it is on, if ours."""

    workspace_id: str
    account_id: str
    post_id: str | None = None
    target_id: str | None = None


def _within(value: str | None, limit: int) -> str | None:
    return value if value and len(value) <= limit else None


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def record_engagement(engagement: Engagement, place: InboxPlace) -> InboxItem | None:
    """The new inbox item, or None when the platform item was recorded before."""
    if not engagement.platform_item_id or len(engagement.platform_item_id) > MAX_PLATFORM_ID:
        raise UnusableEngagement("the platform item's id is missing or too long")
    author = engagement.author
    item_id = str(ULID())
    item = InboxItem(
        *InboxItem.keys(place.workspace_id, item_id),
        item_id=item_id,
        workspace_id=place.workspace_id,
        account_id=place.account_id,
        platform=engagement.platform,
        platform_item_id=engagement.platform_item_id,
        kind=engagement.kind,
        text=engagement.text[:MAX_TEXT],
        author_id=_within(author.platform_user_id, MAX_PLATFORM_ID),
        author_name=_cut(author.name, MAX_NAME),
        author_handle=_cut(author.handle, MAX_NAME),
        author_avatar_url=_within(author.avatar_url, MAX_URL),
        created_at=engagement.created_at,
        received_at=utc_now(),
        platform_post_id=_within(engagement.platform_post_id, MAX_PLATFORM_ID),
        post_id=place.post_id,
        target_id=place.target_id,
        parent_id=_within(engagement.parent_id, MAX_PLATFORM_ID),
        thread_id=_within(engagement.thread_id, MAX_PLATFORM_ID),
        permalink=_within(engagement.permalink, MAX_URL),
        status="new",
    )
    guard = InboxKeyItem(
        *InboxKeyItem.keys(place.workspace_id, engagement.platform, engagement.platform_item_id),
        item_id=item_id,
    )
    event_type = "mention.received" if engagement.kind == "mention" else "comment.received"
    try:
        with transaction() as write:
            write.save(guard, condition=InboxKeyItem.pk.does_not_exist())
            write.save(item, condition=InboxItem.pk.does_not_exist())
            write_event(
                write, DomainEvent("webhooks", event_type, place.workspace_id, received_data(item))
            )
    except TransactWriteError as error:
        if condition_failed(error):
            return None
        raise
    return item


def received_data(item: InboxItem) -> dict[str, object]:
    """The `data` of the item's `comment.received` or `mention.received`."""
    return EngagementReceivedData(
        item_id=item.item_id,
        account_id=item.account_id,
        platform=item.platform,
        kind=item.kind,
        platform_item_id=item.platform_item_id,
        text=item.text,
        author=EngagementAuthorData(
            platform_user_id=item.author_id,
            name=item.author_name,
            handle=item.author_handle,
            avatar_url=item.author_avatar_url,
        ),
        created_at=item.created_at,
        post_id=item.post_id,
        target_id=item.target_id,
        platform_post_id=item.platform_post_id,
        parent_id=item.parent_id,
        thread_id=item.thread_id,
        permalink=item.permalink,
    ).data()
