"""Non-HTTP entry points of the webhooks group (see functions/shared/workers.py)."""
