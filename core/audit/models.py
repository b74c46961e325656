"""The audit_log table: who did what to which object, with the values before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, utcnow


class AuditEntry(TenantOwned, Base):
    """One staff change. ``action`` is ``<area>.<what>`` (``price.base``, ``credit.limit``,
    ``stock.on_hand``, ``staff.role``…); ``target`` names the object in the tenant's own
    codes (SKU, customer code, ``warehouse/SKU``, email)."""

    __tablename__ = "audit_log"

    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    user_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_log_tenant_at", "tenant_id", "at"),)
