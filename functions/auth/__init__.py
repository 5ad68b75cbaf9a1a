"""Users, sessions, workspaces (brands), members, invites, API keys and profiles."""
