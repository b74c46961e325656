"""Alembic environment for the sales_targets plugin's tables (``sales_targets_*``, version table
``plugin_sales_targets_alembic_version``)."""

import qudao.plugins.sales_targets.models  # noqa: F401 - registers the tables on Base.metadata
from qudao.core.db.alembic_env import run_migrations
from qudao.core.plugin_api import Base

run_migrations(target_metadata=Base.metadata, include_prefix="sales_targets_")
