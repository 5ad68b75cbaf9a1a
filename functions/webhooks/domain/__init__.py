"""The webhooks group's domain."""
