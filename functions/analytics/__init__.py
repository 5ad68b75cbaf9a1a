"""Event tracking, rollups, platform metrics and reports."""
