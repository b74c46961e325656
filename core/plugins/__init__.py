"""The plugin host: hookspecs (the plugin API), loading and per-tenant calling."""
