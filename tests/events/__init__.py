"""Domain events: the transactional outbox, its relay, and deduplication by event id."""
