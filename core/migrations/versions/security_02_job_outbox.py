"""job outbox: jobs written with the transaction that caused them, relayed if the broker was down

Revision ID: security_02
Revises: security_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qudao.core.db.base

revision: str = "security_02"
down_revision: str | None = "security_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kwargs", sa.JSON(), nullable=False),
        sa.Column("created_at", qudao.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("run_after", qudao.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_try_at", qudao.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", qudao.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
    )
    op.create_index("ix_job_outbox_unsent", "job_outbox", ["next_try_at"], unique=False,
                    postgresql_where=sa.text("sent_at IS NULL"), sqlite_where=sa.text("sent_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_job_outbox_unsent", table_name="job_outbox")
    op.drop_table("job_outbox")
