"""Alembic environment for the rebates plugin's tables (``rebates_*``, version table
``plugin_rebates_alembic_version``)."""

import qudao.plugins.rebates.models  # noqa: F401 - registers the tables on Base.metadata
from qudao.core.db.alembic_env import run_migrations
from qudao.core.plugin_api import Base

run_migrations(target_metadata=Base.metadata, include_prefix="rebates_")
