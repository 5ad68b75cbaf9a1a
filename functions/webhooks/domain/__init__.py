"""The webhooks group: events out (catalogue, webhooks), notifications, real-time."""
