"""Alembic environment for the loyalty_points plugin's tables (``loyalty_points_*``, version table
``plugin_loyalty_points_alembic_version``); ``qudao db upgrade`` runs it after core's."""

from qudao.core.db.alembic_env import run_migrations
from qudao.core.plugin_api import Base

import loyalty_points.models  # noqa: F401 - registers the tables on Base.metadata

run_migrations(target_metadata=Base.metadata, include_prefix="loyalty_points_")
