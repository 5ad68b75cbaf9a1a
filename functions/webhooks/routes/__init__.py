"""The webhooks group's HTTP routes: thin, each one a call into the domain."""
