"""Alembic environment for the wechat plugin's tables (``wechat_*``, version table
``plugin_wechat_alembic_version``)."""

import qudao.plugins.wechat.models  # noqa: F401 - registers the tables on Base.metadata
from qudao.core.db.alembic_env import run_migrations
from qudao.core.plugin_api import Base

run_migrations(target_metadata=Base.metadata, include_prefix="wechat_")
