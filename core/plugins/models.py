"""Per-tenant plugin enablement and settings."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned
from qudao.core.db.columns import JsonDict, UpdatedAt


class PluginState(TenantOwned, Base):
    __tablename__ = "tenant_plugins"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(60))
    enabled: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[JsonDict]
    updated_at: Mapped[UpdatedAt]
