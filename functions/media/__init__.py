"""Uploads, the media library, image work and media jobs."""
