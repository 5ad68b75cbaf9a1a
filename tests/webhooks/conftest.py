"""The webhooks world's fixture, for every test here."""

from tests.webhooks.hooks_world import hooks

__all__ = ["hooks"]
