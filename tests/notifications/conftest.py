"""The notifications world's fixture (defined beside its world)."""

from tests.notifications.notify_world import notify_world

__all__ = ["notify_world"]
