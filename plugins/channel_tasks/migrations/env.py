"""Alembic environment for the channel_tasks plugin's tables (``channel_tasks_*``, version table
``plugin_channel_tasks_alembic_version``)."""

import qudao.plugins.channel_tasks.models  # noqa: F401 - registers the tables on Base.metadata
from qudao.core.db.alembic_env import run_migrations
from qudao.core.plugin_api import Base

run_migrations(target_metadata=Base.metadata, include_prefix="channel_tasks_")
