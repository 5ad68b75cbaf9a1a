"""Non-HTTP entry points of the publish group (see functions/shared/workers.py)."""
