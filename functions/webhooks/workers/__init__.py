"""The webhooks group's workers."""
