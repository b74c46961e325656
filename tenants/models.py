"""The tenant (a brand) and platform-level rows. These tables are global."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base
from qudao.core.db.columns import CreatedAt, Currency, Email, GlobalId, Name

DEFAULT_SETTINGS: dict[str, Any] = {
    "ordering": {"min_order_amount": None, "min_order_qty": None, "order_window": None},
    "count_in_transit": False,
}


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[GlobalId]
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[Name]
    currency: Mapped[Currency] = mapped_column(default="CNY")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    status: Mapped[str] = mapped_column(String(20), default="active")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=lambda: dict(DEFAULT_SETTINGS))
    created_at: Mapped[CreatedAt]
    # Bumped by every change to this row or to the tenant's plugin states (tenants/cache.py), so
    # each web process can keep them cached and check them in the transaction's first statement.
    config_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Bumped by every committed change to what decides which products a buyer sees (products,
    # brands, categories, brand access: core/catalog/version.py), so each web process can keep
    # the catalog's visible ids cached (core/catalog/listing.py) and check them for free.
    catalog_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def setting(self, *path: str, default: Any = None) -> Any:
        node: Any = self.settings or {}
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node


class PlatformOperator(Base):
    __tablename__ = "platform_operators"

    id: Mapped[GlobalId]
    email: Mapped[Email] = mapped_column(unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[CreatedAt]
