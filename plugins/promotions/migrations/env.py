"""Alembic environment for the promotions plugin's own tables (``promotions_*``)."""

import qudao.plugins.promotions.models  # noqa: F401 - registers the tables
from qudao.core.db.alembic_env import run_migrations
from qudao.core.plugin_api import Base

run_migrations(target_metadata=Base.metadata, include_prefix="promotions_")
