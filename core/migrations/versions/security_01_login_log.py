"""login attempts: outcome and known device (every attempt is logged, not only failures)

Revision ID: security_01
Revises: channels_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "security_01"
down_revision: str | None = "channels_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), server_default="failed", nullable=False))
        batch_op.add_column(sa.Column("device", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_column("device")
        batch_op.drop_column("outcome")
