"""order lines, adjustments, events and stock moves: no direct key to tenants (their parent's
composite key pins the tenant; core/db/base.py TenantOwned.__tenant_parent__)

Revision ID: perf_03
Revises: perf_02
"""

from collections.abc import Sequence

from qudao.core.db.migration_ops import add_tenant_keys, drop_tenant_keys

revision: str = "perf_03"
down_revision: str | None = "perf_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("order_lines", "order_adjustments", "order_events", "stock_moves")


def upgrade() -> None:
    drop_tenant_keys(*TABLES)


def downgrade() -> None:
    add_tenant_keys(*TABLES)
