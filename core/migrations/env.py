"""Alembic environment for core tables."""

from qudao.core.db.alembic_env import run_migrations
from qudao.core.host_metadata import core_metadata

run_migrations(target_metadata=core_metadata(), exclude_prefixes=())
