"""The webhooks group's adapters."""
