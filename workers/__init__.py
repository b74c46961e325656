"""Background jobs: Dramatiq broker set-up, the tenant-aware actor decorator, actors."""
