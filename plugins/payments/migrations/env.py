"""Alembic environment for the payments plugin's tables (``payments_*``, version table
``plugin_payments_alembic_version``)."""

import qudao.plugins.payments.models  # noqa: F401 - registers the tables on Base.metadata
from qudao.core.db.alembic_env import run_migrations
from qudao.core.plugin_api import Base

run_migrations(target_metadata=Base.metadata, include_prefix="payments_")
