"""redemptions: no direct key to tenants (the key to orders pins the tenant;
core/db/base.py TenantOwned.__tenant_parent__)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from qudao.core.db.migration_ops import add_tenant_keys, drop_tenant_keys

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("promotions_redemptions",)


def upgrade() -> None:
    drop_tenant_keys(*TABLES)


def downgrade() -> None:
    add_tenant_keys(*TABLES)
