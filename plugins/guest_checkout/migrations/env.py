"""Alembic environment for the guest_checkout plugin's tables (``guest_checkout_*``, version
table ``plugin_guest_checkout_alembic_version``)."""

import qudao.plugins.guest_checkout.models  # noqa: F401 - registers the tables on Base.metadata
from qudao.core.db.alembic_env import run_migrations
from qudao.core.plugin_api import Base

run_migrations(target_metadata=Base.metadata, include_prefix="guest_checkout_")
