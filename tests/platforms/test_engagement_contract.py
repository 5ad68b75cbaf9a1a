"""Every adapter answers the inbox's EngagementAdapter interface, and the time cursor that
platforms without since-ids share polls incrementally without losing or repeating a comment."""

import inspect
from datetime import UTC, datetime
from importlib import import_module

import pytest

from functions.publish.adapters.platforms import sandbox
from functions.publish.adapters.platforms.base import EngagementAdapter, page_after_time
from functions.publish.adapters.registry import ADAPTER_CLASSES
from functions.shared.engagement import Engagement, EngagementAuthor

ENGAGEMENT_METHODS = [
    name
    for name, member in vars(EngagementAdapter).items()
    if not name.startswith("_") and inspect.isfunction(member)
]


def adapter_classes() -> list[type]:
    real = [
        getattr(import_module(f"functions.publish.adapters.platforms.{platform}"), entry.name)
        for platform, entry in ADAPTER_CLASSES.items()
    ]
    return [*real, sandbox.SandboxAdapter]


def test_the_interface_has_the_five_inbox_actions() -> None:
    assert sorted(ENGAGEMENT_METHODS) == [
        "delete_engagement",
        "hide_engagement",
        "list_comments",
        "list_mentions",
        "reply_to_engagement",
    ]


@pytest.mark.parametrize("adapter_class", adapter_classes(), ids=lambda cls: cls.__name__)
def test_every_adapter_implements_every_engagement_method(adapter_class: type) -> None:
    for name in ENGAGEMENT_METHODS:
        method = getattr(adapter_class, name, None)
        assert method is not None, f"{adapter_class.__name__} lacks {name}"
        assert inspect.iscoroutinefunction(method), f"{adapter_class.__name__}.{name} is not async"
        expected = inspect.signature(getattr(EngagementAdapter, name)).parameters
        actual = inspect.signature(method).parameters
        assert [(p.name, p.kind) for p in actual.values()] == [
            (p.name, p.kind) for p in expected.values()
        ], f"{adapter_class.__name__}.{name} differs from the interface"


def comment(item_id: str, moment: datetime | None) -> Engagement:
    return Engagement(
        platform="youtube",
        platform_account_id="UC1",
        platform_item_id=item_id,
        kind="comment",
        text=item_id,
        author=EngagementAuthor(),
        created_at=moment,
    )


AT_NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)


def test_first_poll_takes_everything_newest_first() -> None:
    page = page_after_time([comment("a", AT_NOON), comment("b", LATER), comment("u", None)], None)
    assert [item.platform_item_id for item in page.items] == ["b", "a", "u"]
    assert page.cursor == f"{LATER.isoformat()} b"


def test_a_comment_in_the_same_second_as_the_last_seen_is_taken_once() -> None:
    first = page_after_time([comment("a", AT_NOON)], None)
    second = page_after_time([comment("a", AT_NOON), comment("b", AT_NOON)], first.cursor)
    assert [item.platform_item_id for item in second.items] == ["b"]
    assert second.cursor == f"{AT_NOON.isoformat()} a b"
    third = page_after_time([comment("a", AT_NOON), comment("b", AT_NOON)], second.cursor)
    assert third.items == []
    assert third.cursor is None


def test_older_and_undated_items_are_dropped_once_a_cursor_exists() -> None:
    page = page_after_time(
        [comment("old", AT_NOON), comment("undated", None), comment("new", LATER)],
        f"{AT_NOON.isoformat()} old",
    )
    assert [item.platform_item_id for item in page.items] == ["new"]
    assert page.cursor == f"{LATER.isoformat()} new"
