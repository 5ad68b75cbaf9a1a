"""Social accounts, posts, preflight, scheduling, publishing and platform adapters."""
