"""Logic of the webhooks group: events, deliveries, notifications and real-time updates."""
