"""Users, roles, passwords, API tokens, web sessions and login throttling."""
