"""The audit_log table: who did what to which object, with the values before and after."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned
from qudao.core.db.columns import CreatedAt, Email, Json


class AuditEntry(TenantOwned, Base):
    """One staff change. ``action`` is ``<area>.<what>`` (``price.base``, ``credit.limit``,
    ``stock.on_hand``, ``staff.role``…); ``target`` names the object in the tenant's own
    codes (SKU, customer code, ``warehouse/SKU``, email)."""

    __tablename__ = "audit_log"

    at: Mapped[CreatedAt]
    user_id: Mapped[int | None]
    user_email: Mapped[Email] = mapped_column(default="")
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(300))
    before: Mapped[Json | None]
    after: Mapped[Json | None]

    __table_args__ = (Index("ix_audit_log_tenant_at", "tenant_id", "at"),)
