"""credit holds: index for the overdue read (account, status, due date)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_credit_holds_account_status_due", "credit_holds",
                    ["tenant_id", "account_id", "status", "due_date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_credit_holds_account_status_due", table_name="credit_holds")
