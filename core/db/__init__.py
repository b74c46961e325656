"""Database layer: declarative base, tenant scoping and sessions."""
