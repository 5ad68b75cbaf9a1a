"""Non-HTTP entry points of the media group (see functions/shared/workers.py)."""
