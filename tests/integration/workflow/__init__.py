"""A small media-job-like workflow whose steps are Lambda handlers (the asset of a test stack)."""
