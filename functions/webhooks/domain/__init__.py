"""Outbound events: the event catalogue as customers see it (webhook bodies and their schemas)."""
