"""The webhooks group's routes."""
