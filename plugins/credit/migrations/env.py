"""Alembic environment for the credit plugin's tables (``credit_*``, version table
``plugin_credit_alembic_version``)."""

import qudao.plugins.credit.models  # noqa: F401 - registers the tables on Base.metadata
from qudao.core.db.alembic_env import run_migrations
from qudao.core.plugin_api import Base

run_migrations(target_metadata=Base.metadata, include_prefix="credit_")
