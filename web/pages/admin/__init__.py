"""Tenant admin (brand back office) pages: one module per area; ``base`` and ``crud`` hold helpers."""
