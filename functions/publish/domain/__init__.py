"""Publishing rules: platforms and their limits, social accounts, posts (later), preflight."""
