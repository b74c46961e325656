"""Alembic operations shared by core's and plugins' migrations."""

from __future__ import annotations

from alembic import op


def drop_tenant_keys(*tables: str) -> None:
    """Drop each table's direct foreign key to ``tenants`` once its model names a
    ``__tenant_parent__`` (core/db/base.py ``TenantOwned`` says why)."""
    for table in tables:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_tenant_id_tenants", type_="foreignkey")


def add_tenant_keys(*tables: str) -> None:
    """The downgrade of :func:`drop_tenant_keys`."""
    for table in tables:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(f"fk_{table}_tenant_id_tenants", "tenants", ["tenant_id"], ["id"],
                                     ondelete="CASCADE")
