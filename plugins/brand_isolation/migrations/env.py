"""Alembic environment for the brand_isolation plugin's tables (``brand_isolation_*``, version
table ``plugin_brand_isolation_alembic_version``)."""

import qudao.plugins.brand_isolation.models  # noqa: F401 - registers the tables on Base.metadata
from qudao.core.db.alembic_env import run_migrations
from qudao.core.plugin_api import Base

run_migrations(target_metadata=Base.metadata, include_prefix="brand_isolation_")
