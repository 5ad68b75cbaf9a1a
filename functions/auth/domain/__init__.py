"""Identity rules and flows: accounts, sessions, passwords, workspaces, members, invites, keys."""
