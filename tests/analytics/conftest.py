"""The tracking world's fixture, for every test here."""

from tests.analytics.tracking_world import tracking

__all__ = ["tracking"]
