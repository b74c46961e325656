"""Channel customers: tiers, the channel tree, regions and buyer logins."""
